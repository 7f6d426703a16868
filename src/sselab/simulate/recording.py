"""Recording a simulation's activation energy in the store (temporary home during the layout move)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sselab.errors import FormulaParseError, SimulationError
from sselab.simulate.diffusion import MDArrheniusResult
from sselab.simulate.neb import NEBResult
from sselab.simulate.runfolder import read_summary
from sselab.store import open_store
from sselab.store.records import ActivationEnergyRecord, MaterialRecord


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


def record_neb_result(
    result: NEBResult,
    material: str,
    potential: str | None,
    store_url: str | None = None,
    note: str | None = None,
) -> int:
    """Store a CI-NEB barrier as an ``ActivationEnergyRecord(method="CI-NEB")`` with its run; return its
    id."""
    if result.run_dir is None:
        raise SimulationError("only a NEB written to a run folder (run_dir) can be recorded")
    return record_activation_energy(
        store_url,
        read_summary(result.run_dir),
        result.run_dir,
        material,
        result.barrier_ev,
        None,
        method="CI-NEB",
        potential=potential,
        note=note,
    )


def record_md_arrhenius_result(
    result: MDArrheniusResult,
    material: str,
    potential: str | None,
    store_url: str | None = None,
    method: str = "MLMD",
) -> int:
    """Store the Arrhenius Ea as an ``ActivationEnergyRecord`` (``"MLMD"``, or ``"AIMD"`` for an ab initio
    potential) with its run and temperature range; return its id."""
    if result.run_dir is None or result.fit is None:
        raise SimulationError(
            "only an MD-Arrhenius run with a run folder and an Arrhenius fit can be recorded"
        )
    temps = ", ".join(f"{t:g}" for t in result.temperatures_k)
    return record_activation_energy(
        store_url,
        read_summary(result.run_dir),
        result.run_dir,
        material,
        result.fit.activation_energy_ev,
        result.fit.stderr_ev,
        method=method,
        potential=potential,
        note=f"MD at {temps} K, Nernst-Einstein (Haven ratio 1)",
        temperature_min_k=min(result.temperatures_k),
        temperature_max_k=max(result.temperatures_k),
    )
