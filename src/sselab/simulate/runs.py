"""Run folders: layout, ``summary.json``, and recording results in the store.

Layout of a run folder (every simulation command writes one)::

    RUN_DIR/
      inputs/          structure as given (start.extxyz), parameters.json
      outputs/         method outputs (HILLS, COLVAR, trajectories, fes.dat ...)
      figures/         PNG figures
      checkpoint.npz   exact restart point (MD/MetaD)
      summary.json     command, parameters, start/end time (UTC), code version, seed, results

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


def code_commit() -> str | None:
    """The git commit of the sselab checkout (``None`` when not installed from a git checkout)."""
    import subprocess

    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


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
            "code_commit": code_commit(),
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
    temperature_min_k: float | None = None,
    temperature_max_k: float | None = None,
) -> int:
    """Record the run (``Store.record_run``) and its barrier as an ``ActivationEnergyRecord``; return the Ea
    id.

    ``store_url`` as for :func:`sselab.store.open_store` (``None``: the configured default store).
    ``uncertainty_ev`` (eV) may be ``None`` (not estimated; stored as unknown). The temperature is either one
    ``temperature_k`` (a MetaD run) or the range ``temperature_min_k``..``temperature_max_k`` (K) of an
    Arrhenius fit, not both.
    """
    from sselab.errors import SimulationError

    if temperature_k is not None and (temperature_min_k is not None or temperature_max_k is not None):
        raise SimulationError(
            "record_activation_energy: give temperature_k or temperature_min_k/temperature_max_k, not both"
        )
    low = temperature_k if temperature_k is not None else temperature_min_k
    high = temperature_k if temperature_k is not None else temperature_max_k
    if low is not None and high is not None and low > high:
        raise SimulationError(
            f"record_activation_energy: temperature_min_k {low} K is above temperature_max_k {high} K"
        )
    if uncertainty_ev is not None and not math.isfinite(float(uncertainty_ev)):
        uncertainty_ev = None
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
        temperature_min_k=low,
        temperature_max_k=high,
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
            "uncertainty_reason": self.details.get("uncertainty_reason")
            or self.details.get("uncertainty_error"),
            "uncertainty_details": self.details,
            "fes_method": self.fes.method,
        }


def _samples(fes: Any, position: Any) -> bool:
    """Whether ``fes`` has a finite free energy in the bin nearest ``position`` (inside its axes)."""
    idx = []
    for axis, x in zip(fes.axes, position, strict=True):
        step = axis[1] - axis[0] if len(axis) > 1 else 0.0
        if not axis[0] - step <= x <= axis[-1] + step:
            return False
        idx.append(int(np.argmin(np.abs(axis - x))))
    return bool(np.isfinite(fes.free_energy_ev[tuple(idx)]))


def _same_sites(fes: Any, result: Any, anchor: Any, bins_tolerance: float = 3.0) -> bool:
    """Whether ``result``'s start and end minima lie within a few bins of ``fes`` of ``anchor``'s."""
    spacing = np.array([a[1] - a[0] for a in fes.axes])
    for mine, ref in ((result.minima[0], anchor.minima[0]), (result.minima[-1], anchor.minima[-1])):
        offset = np.abs(np.asarray(mine.position) - np.asarray(ref.position)) / spacing
        if np.any(offset > bins_tolerance):
            return False
    return True


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
    fes_method: str = "reweighting",
    reweight_bins: int | None = None,
) -> MetaDAnalysis:
    """FES, barriers between ``start`` and ``end`` and their uncertainty; tables and figures in ``folder``.

    Both FES estimators are computed: from the hills (``F = -γ/(γ-1) V``, ``bins`` intervals per CV) and by
    Tiwary–Parrinello reweighting of the COLVAR (``reweight_bins`` per CV, default 80 in 1D, 40 in 2D). The
    barriers of ``fes_method`` are the result: ``"reweighting"`` (default; free of the Gaussian-width
    smoothing that lowers sharp barriers in the hills estimate) or ``"hills"``. The hills FES locates the
    start and end sites; the reweighted one is used only if its minima fall within 3 of its bins of those
    sites and it samples the start site. When the chosen estimator gives no barrier, the other is used. Both
    results are kept in ``details``.

    Writes ``outputs/fes.dat`` (CVs and free energy in eV) and ``figures/fes.png``, ``track.png`` and
    ``barrier_convergence.png`` when ``folder`` is given.
    """
    from sselab.errors import SimulationError
    from sselab.simulate.barriers import estimate_uncertainty, find_barriers
    from sselab.simulate.fes import free_energy_surface, reweight_fes

    if fes_method not in ("reweighting", "hills"):
        raise SimulationError(f"fes_method must be 'reweighting' or 'hills', got {fes_method!r}")
    surfaces = {"hills": free_energy_surface(hills, bias_factor, bins=bins, cv_names=cv_names)}
    ndim = surfaces["hills"].ndim
    errors: dict[str, str] = {}
    try:
        nb = reweight_bins if reweight_bins is not None else (80 if ndim == 1 else 40)
        reweighted = reweight_fes(colvar, hills, temperature_k, bias_factor, bins=nb)
        if start is not None and not _samples(reweighted, start):
            raise SimulationError(
                "the reweighted FES does not sample the start site (the ion left it before the analysed part "
                "of the run and did not come back)"
            )
        surfaces["reweighting"] = reweighted
    except SimulationError as exc:
        errors["reweighting"] = str(exc)
    found = {}
    try:
        found["hills"] = find_barriers(surfaces["hills"], start=start, end=end, min_depth_ev=min_depth_ev)
    except SimulationError as exc:
        errors["hills"] = str(exc)
    if "reweighting" in surfaces:
        # the smooth hills FES locates the sites; the reweighted FES must find the same ones
        anchor = found.get("hills")
        r_start = anchor.minima[0].position if anchor is not None else start
        r_end = anchor.minima[-1].position if anchor is not None else end
        try:
            candidate = find_barriers(surfaces["reweighting"], r_start, r_end, min_depth_ev=min_depth_ev)
            if anchor is not None and not _same_sites(surfaces["reweighting"], candidate, anchor):
                raise SimulationError(
                    "the reweighted FES puts the start or end minimum elsewhere than the hills FES "
                    f"({candidate.minima[0].position}, {candidate.minima[-1].position} vs "
                    f"{anchor.minima[0].position}, {anchor.minima[-1].position}): too little sampling"
                )
            found["reweighting"] = candidate
        except SimulationError as exc:
            errors["reweighting"] = str(exc)
    order = [fes_method, "hills" if fes_method == "reweighting" else "reweighting"]
    chosen = next((m for m in order if m in found), order[0] if order[0] in surfaces else "hills")
    fes = surfaces[chosen]
    barriers = found.get(chosen)
    error = None if barriers is not None else errors.get(chosen, "no barrier")
    details: dict[str, Any] = {
        "fes_method": chosen,
        "barriers_by_method": {m: b.as_dict() for m, b in found.items()},
        "errors_by_method": errors,
    }
    if barriers is not None:
        try:
            uncertainty, extra = estimate_uncertainty(
                hills, colvar, temperature_k, bias_factor, barriers, min(bins, 100), min_depth_ev=min_depth_ev
            )
            details.update(extra)
            barriers = barriers.with_uncertainty(uncertainty)
        except SimulationError as exc:
            details["uncertainty_error"] = str(exc)
    if barriers is None:
        LOGGER.warning("no barrier: %s", error)
    if folder is not None:
        from sselab.simulate.figures import plot_barrier_convergence, plot_fes, plot_track

        grids = np.meshgrid(*fes.axes, indexing="ij")
        table = np.column_stack([g.ravel() for g in grids] + [fes.free_energy_ev.ravel()])
        header = "FIELDS " + " ".join(fes.cv_names) + f" free_energy_ev ({chosen})"
        np.savetxt(folder.outputs / "fes.dat", table, fmt="%.6f", header=header, comments="#! ")
        plot_fes(fes, barriers, folder.figures / "fes.png")
        plot_track(colvar, folder.figures / "track.png")
        if details.get("times_ps"):
            plot_barrier_convergence(
                details["times_ps"], details["barrier_vs_time_ev"], folder.figures / "barrier_convergence.png"
            )
    return MetaDAnalysis(fes, barriers, error, details)
