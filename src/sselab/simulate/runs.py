"""Run folders: layout, ``summary.json``, and recording results in the store.

Layout of a run folder (every simulation command writes one)::

    RUN_DIR/
      inputs/        structure as given (start.extxyz), parameters.json outputs/       method outputs (HILLS,
      COLVAR, trajectories, FES tables ...) figures/       PNG figures checkpoint.npz exact restart point
      (MD/MetaD) summary.json   command, parameters, start/end time (UTC), code version, seed, results

Example
-------
>>> from pathlib import Path
>>> folder = RunFolder.create(Path("/tmp/example-run"))  # doctest: +SKIP
>>> folder.write_summary("metad", parameters={}, results={}, seed=1)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import math
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sselab import __version__

__all__ = [
    "MetaDAnalysis",
    "RunFolder",
    "analyse_metadynamics",
    "jsonable",
    "read_summary",
    "record_activation_energy",
    "utc_now",
]

LOGGER = logging.getLogger(__name__)
SUMMARY_NAME = "summary.json"


def utc_now() -> str:
    """Current UTC time, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays, paths, tuples and non-finite floats into JSON-safe values."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, Path):
        return str(value)
    return value


@dataclass(frozen=True)
class RunFolder:
    """A run folder (see the module docstring for its layout)."""

    root: Path

    @classmethod
    def create(cls, root: str | Path) -> RunFolder:
        """Create (or reuse) ``root`` with its ``inputs``, ``outputs`` and ``figures`` sub-folders."""
        folder = cls(Path(root))
        for sub in (folder.inputs, folder.outputs, folder.figures):
            sub.mkdir(parents=True, exist_ok=True)
        return folder

    @property
    def inputs(self) -> Path:
        """Input files."""
        return self.root / "inputs"

    @property
    def outputs(self) -> Path:
        """Output files."""
        return self.root / "outputs"

    @property
    def figures(self) -> Path:
        """PNG figures."""
        return self.root / "figures"

    @property
    def summary_path(self) -> Path:
        """``summary.json``."""
        return self.root / SUMMARY_NAME

    def write_summary(
        self,
        kind: str,
        parameters: dict[str, Any],
        results: dict[str, Any],
        seed: int | None = None,
        command: str | None = None,
        started: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write ``summary.json`` and return it as a dict."""
        summary = {
            "kind": kind,
            "command": command if command is not None else " ".join(sys.argv),
            "parameters": parameters,
            "seed": seed,
            "started_utc": started,
            "finished_utc": utc_now(),
            "code_version": __version__,
            "results": results,
            **(extra or {}),
        }
        summary = jsonable(summary)
        self.summary_path.write_text(json.dumps(summary, indent=2) + "\n")
        return summary


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    """Read a run folder's ``summary.json``."""
    from sselab.errors import SimulationError

    path = Path(run_dir) / SUMMARY_NAME
    if not path.is_file():
        raise SimulationError(f"{path} not found: is {run_dir} a run folder?")
    return json.loads(path.read_text())


def record_activation_energy(
    store_url: str | None,
    summary: dict[str, Any],
    run_dir: str | Path,
    material: str,
    activation_energy_ev: float,
    uncertainty_ev: float | None,
    method: str = "MetaD",
    potential: str | None = None,
    temperature_k: float | None = None,
    note: str | None = None,
) -> int:
    """Record the run (``Store.record_run``) and its barrier as an ``ActivationEnergyRecord``; return the Ea
    id.

    ``store_url`` as for :func:`sselab.store.open_store` (``None``: the configured default store).
    """
    from sselab.errors import FormulaParseError
    from sselab.store import open_store
    from sselab.store.records import ActivationEnergyRecord, MaterialRecord

    store = open_store(store_url)
    store.record_run(summary.get("kind", method), str(run_dir), summary.get("parameters", {}), summary)
    try:
        material_record = MaterialRecord.from_formula(material)
    except FormulaParseError:
        material_record = MaterialRecord(formula=material)
    record = ActivationEnergyRecord(
        material=material_record,
        activation_energy_ev=float(activation_energy_ev),
        method=method,
        uncertainty_ev=uncertainty_ev,
        potential=potential,
        parameters=summary.get("parameters", {}),
        run_folder=str(Path(run_dir).resolve()),
        temperature_min_k=temperature_k,
        temperature_max_k=temperature_k,
        note=note,
    )
    return int(store.add_activation_energy(record))


@dataclass(frozen=True)
class MetaDAnalysis:
    """FES, barriers (with uncertainty) and convergence details of a metadynamics run."""

    fes: Any
    barriers: Any
    barrier_error: str | None
    details: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready results (for ``summary.json``)."""
        return {
            "barriers": self.barriers.as_dict() if self.barriers is not None else None,
            "barrier_error": self.barrier_error,
            "uncertainty_details": self.details,
            "fes_method": self.fes.method,
        }


def analyse_metadynamics(
    hills: Any,
    colvar: Any,
    temperature_k: float,
    bias_factor: float,
    bins: int = 200,
    start: Any = None,
    end: Any = None,
    min_depth_ev: float = 0.05,
    cv_names: Any = None,
    folder: RunFolder | None = None,
) -> MetaDAnalysis:
    """FES from the hills, barriers between ``start`` and ``end``, their uncertainty; tables and figures in
    ``folder``.

    Writes ``outputs/fes.dat`` (CVs and free energy in eV) and ``figures/fes.png``, ``track.png`` and
    ``barrier_convergence.png`` when ``folder`` is given.
    """
    from sselab.errors import SimulationError
    from sselab.simulate.barriers import estimate_uncertainty, find_barriers
    from sselab.simulate.fes import free_energy_surface

    fes = free_energy_surface(hills, bias_factor, bins=bins, cv_names=cv_names)
    barriers, error, details = None, None, {}  # type: ignore[var-annotated]
    try:
        barriers = find_barriers(fes, start=start, end=end, min_depth_ev=min_depth_ev)
        uncertainty, details = estimate_uncertainty(
            hills, colvar, temperature_k, bias_factor, barriers, min(bins, 100), min_depth_ev=min_depth_ev
        )
        barriers = barriers.with_uncertainty(uncertainty)
    except SimulationError as exc:
        error = str(exc)
        LOGGER.warning("no barrier: %s", exc)
    if folder is not None:
        from sselab.simulate.figures import plot_barrier_convergence, plot_fes, plot_track

        grids = np.meshgrid(*fes.axes, indexing="ij")
        table = np.column_stack([g.ravel() for g in grids] + [fes.free_energy_ev.ravel()])
        header = "FIELDS " + " ".join(fes.cv_names) + " free_energy_ev"
        np.savetxt(folder.outputs / "fes.dat", table, fmt="%.6f", header=header, comments="#! ")
        plot_fes(fes, barriers, folder.figures / "fes.png")
        plot_track(colvar, folder.figures / "track.png")
        if details.get("times_ps"):
            plot_barrier_convergence(
                details["times_ps"], details["barrier_vs_time_ev"], folder.figures / "barrier_convergence.png"
            )
    return MetaDAnalysis(fes, barriers, error, details)
