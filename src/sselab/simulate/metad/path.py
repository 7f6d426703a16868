"""PLUMED-style path collective variables ``s`` and ``z`` through reference frames (e.g. CI-NEB images).

With the mean square deviation ``d_i`` of the current structure from frame ``i = 1 … N`` over the atoms that
move along the path,

``s = Σ_i i exp(-λ d_i) / Σ_i exp(-λ d_i)``  (progress along the path, 1 … N),
``z = -λ⁻¹ ln Σ_i exp(-λ d_i)``  (distance from it, Å²),

as PLUMED's ``PATHMSD`` (Branduardi, Gervasio & Parrinello, J. Chem. Phys. 126, 054103 (2007)); ``λ``
defaults to PLUMED's recommendation, 2.3 over the mean ``d`` between neighbouring frames. Positions are
taken relative to the centroid of the host (every atom but the migrating ion), as the other CVs of a crystal
are (:mod:`sselab.simulate.metad.relative`): the CVs are translation invariant and exert no net force.

Example
-------
>>> from ase.build import bulk
>>> from sselab.simulate.neb import cation_hop_endpoints
>>> hop = cation_hop_endpoints(bulk("Cu", cubic=True).repeat(2), "Cu")
>>> frames = [hop.initial.copy() for _ in range(5)]
>>> for k, f in enumerate(frames):
...     f.positions[hop.moving_index] += k / 4 * (hop.final.positions[hop.moving_index]
...                                               - hop.initial.positions[hop.moving_index])
>>> s = PathCV(frames, hop.moving_index, "s")
>>> round(s.compute(frames[2])[0], 3), round(s.compute(frames[4])[0], 2)
(3.0, 4.91)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from ase import Atoms

from sselab.errors import SimulationError
from sselab.simulate.metad.colvars import _mic
from sselab.simulate.metad.relative import _HostRelative

__all__ = ["PathCV", "path_atoms"]


def path_atoms(frames: Sequence[Atoms], mover: int, threshold_a: float = 0.1, limit: int = 16) -> list[int]:
    """The migrating ion and the atoms that move more than ``threshold_a`` (Å) along the frames (at most
    ``limit``, the largest movers first), host-relative."""
    first = frames[0]
    host = np.array([i for i in range(len(first)) if i != mover])
    moves = np.zeros(len(first))
    for frame in frames[1:]:
        step = _mic(frame.positions - first.positions, first)
        step = step - step[host].mean(axis=0)
        moves = np.maximum(moves, np.linalg.norm(step, axis=1))
    moves[mover] = np.inf
    order = [int(i) for i in np.argsort(-moves, kind="stable") if moves[i] > threshold_a]
    return sorted(order[:limit])


class PathCV(_HostRelative):
    """One component (``"s"`` or ``"z"``) of the path CV through ``frames`` (host-relative, see the module).

    Parameters
    ----------
    frames
        Structures along the path (same atoms, same order), e.g. the CI-NEB band, end points included.
    mover
        Index of the migrating ion (excluded from the host whose centroid is the reference).
    component
        ``"s"`` (1 … N along the path) or ``"z"`` (Å², distance from it).
    atoms_used
        Atoms whose positions enter ``d_i`` (default :func:`path_atoms`).
    lambda_per_a2
        ``λ`` (1/Å²); default 2.3 over the mean ``d`` of neighbouring frames.
    """

    def __init__(
        self,
        frames: Sequence[Atoms],
        mover: int,
        component: Literal["s", "z"] = "s",
        atoms_used: Sequence[int] | None = None,
        lambda_per_a2: float | None = None,
        name: str | None = None,
    ) -> None:
        if len(frames) < 2 or component not in ("s", "z"):
            raise SimulationError("a path CV needs at least two frames and component 's' or 'z'")
        super().__init__(mover, frames[0], None, name or f"path_{component}", np.zeros(3))
        self.component = component
        self.used = np.array(path_atoms(frames, mover) if atoms_used is None else list(atoms_used), dtype=int)
        self.frames = np.array([self._relative_frame(f) for f in frames])  # (N, n_used, 3)
        steps = [self._msd(self.frames[i + 1], self.frames[i]) for i in range(len(frames) - 1)]
        mean_step = float(np.mean(steps))
        if lambda_per_a2 is None and mean_step <= 0.0:
            raise SimulationError("the path frames are identical: no path")
        self.lambda_per_a2 = float(lambda_per_a2 if lambda_per_a2 is not None else 2.3 / mean_step)

    def _relative_frame(self, frame: Atoms) -> np.ndarray:
        unwrapped = self._reference + _mic(frame.positions - self._reference, frame)
        return unwrapped[self.used] - unwrapped[self._host].mean(axis=0)

    @staticmethod
    def _msd(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.mean(np.sum((a - b) ** 2, axis=1)))

    def compute(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        """``s`` (dimensionless, 1 … N) or ``z`` (Å²) and the gradient (sums to zero)."""
        self._relative(atoms)  # updates the unwrapped track
        assert self._unwrapped is not None
        current = self._unwrapped[self.used] - self._unwrapped[self._host].mean(axis=0)
        delta = current[None, :, :] - self.frames  # (N, n_used, 3)
        d = np.mean(np.sum(delta * delta, axis=2), axis=1)
        logs = -self.lambda_per_a2 * d
        top = float(logs.max())
        weights = np.exp(logs - top)
        total = float(weights.sum())
        w = weights / total
        index = np.arange(1, len(d) + 1, dtype=float)
        s = float(w @ index)
        if self.component == "s":
            value, dvalue_dd = s, -self.lambda_per_a2 * w * (index - s)
        else:
            value, dvalue_dd = -(top + np.log(total)) / self.lambda_per_a2, w
        grad_used = (2.0 / len(self.used)) * np.einsum("i,iak->ak", dvalue_dd, delta)  # d value / d X_a
        gradient = np.zeros((len(atoms), 3))
        gradient[self.used] += grad_used
        gradient[self._host] -= grad_used.sum(axis=0) / len(self._host)
        return float(value), gradient

    def describe(self) -> dict[str, Any]:
        """What is recorded about the CV."""
        return {
            "type": "PathCV",
            "name": self.name,
            "component": self.component,
            "mover": self.index,
            "atoms_used": [int(i) for i in self.used],
            "n_frames": len(self.frames),
            "lambda_per_a2": self.lambda_per_a2,
        }
