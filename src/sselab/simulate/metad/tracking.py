"""What a metadynamics run keeps track of besides the hills: the CVs' unwrapping state (saved in checkpoints,
so restarts are exact) and the drift of the host's centroid (what a translation-invariant bias must not
cause).

Example
-------
>>> tracker = DriftTracker(np.arange(3))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from ase import Atoms

from sselab.simulate.metad.bias import WellTemperedMetaD

__all__ = ["DriftTracker", "coordinate", "cv_states", "host_indices", "restore_cv_states"]


def coordinate(value: Any) -> float | None:
    """A target coordinate as recorded: a float, or ``None`` for a free coordinate (``None`` or NaN)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return float(value)


def cv_states(metad: WellTemperedMetaD) -> dict[str, np.ndarray]:
    """The unwrapping state of every CV that keeps one (``cv_state_<group>_<k>``), for the checkpoint."""
    states: dict[str, np.ndarray] = {}
    for g, group in enumerate(metad.groups):
        for k, cv in enumerate(group):
            state = cv.state() if hasattr(cv, "state") else None
            if state is not None:
                states[f"cv_state_{g}_{k}"] = np.asarray(state, dtype=float)
    return states


def restore_cv_states(metad: WellTemperedMetaD, extra: Mapping[str, Any] | None) -> None:
    """Give the CVs back their unwrapping state from a checkpoint's ``extra`` (exact restart); with ``None``
    (or no state saved) reset them, so that their next evaluation starts from their reference."""
    legacy = None if extra is None else extra.get("cv_unwrapped")  # (ngroups, ncv, 3), older checkpoints
    for g, group in enumerate(metad.groups):
        for k, cv in enumerate(group):
            state = None if extra is None else extra.get(f"cv_state_{g}_{k}")
            if state is None and legacy is not None and np.all(np.isfinite(legacy[g, k])):
                state = legacy[g, k]
            if state is not None and hasattr(cv, "restore_state"):
                cv.restore_state(np.asarray(state))
            elif hasattr(cv, "reset"):
                cv.reset()


def host_indices(metad: WellTemperedMetaD, natoms: int) -> np.ndarray:
    """Atoms no CV follows directly (every index a CV names is left out): the host whose drift is tracked."""
    moved: set[int] = set()
    for group in metad.groups:
        for cv in group:
            for attr in ("index", "index_1", "index_2"):
                value = getattr(cv, attr, None)
                if isinstance(value, int | np.integer):
                    moved.add(int(value))
    return np.array([i for i in range(natoms) if i not in moved], dtype=int)


class DriftTracker:
    """The displacement of the host's centroid from the start of the run (Å, per-atom minimum image)."""

    def __init__(self, host: np.ndarray) -> None:
        self.host = host
        self.reference: np.ndarray | None = None
        self.last: np.ndarray | None = None
        self.final_a: float | None = None
        self.max_a: float | None = None

    def start(self, atoms: Atoms) -> None:
        if len(self.host) == 0:
            return
        self.reference = atoms.positions[self.host].copy()
        self.last = self.reference.copy()
        self.final_a = self.max_a = 0.0

    def update(self, atoms: Atoms) -> None:
        if self.reference is None or self.last is None or len(self.host) == 0:
            return
        current = atoms.positions[self.host]
        delta = current - self.last
        frac = np.linalg.solve(atoms.cell.array.T, delta.T).T if atoms.cell.rank == 3 else None
        if frac is not None:
            delta = (frac - np.round(frac) * atoms.pbc) @ atoms.cell.array
        self.last = self.last + delta
        self.final_a = float(np.linalg.norm((self.last - self.reference).mean(axis=0)))
        self.max_a = max(self.max_a or 0.0, self.final_a)

    def state(self) -> dict[str, np.ndarray]:
        if self.reference is None or self.last is None:
            return {}
        return {
            "drift_reference": self.reference,
            "drift_last": self.last,
            "drift_max": np.array(self.max_a or 0.0),
        }

    def restore(self, extra: Mapping[str, Any], atoms: Atoms) -> None:
        if len(self.host) == 0:
            return
        if "drift_reference" in extra and len(extra["drift_reference"]) == len(self.host):
            self.reference = np.asarray(extra["drift_reference"], float)
            self.last = np.asarray(extra["drift_last"], float)
            self.max_a = float(extra["drift_max"])
            self.final_a = float(np.linalg.norm((self.last - self.reference).mean(axis=0)))
