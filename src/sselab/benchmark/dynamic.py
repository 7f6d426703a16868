"""Benchmark jobs of the dynamic methods: MetaD and MD-Arrhenius on a manifest's structure.

Each runs its recipe (:func:`~sselab.simulate.recipes.metad_of_structure`,
:func:`~sselab.simulate.recipes.md_arrhenius_of_structure`) in the job's run folder (``RUN/<material>/
<potential>/metad``, ``.../md-arrhenius``), so a killed job resumes from the recipe's own checkpoint, and
reports the number the recipe's protocol defines with the recipe's own verdict: a MetaD barrier is
``converged`` only when the stopping rule said so (``None``, "not assessed", counts as not converged).

Temperatures come from the experiment, not from a fit: a MetaD job runs at the middle of the material's
measured range (``temperature_min_k``/``temperature_max_k`` of the manifest) when it is known, else at the
run's ``temperature_k`` (the job's issues then say so: choose one below the phase's transition). An
MD-Arrhenius job runs at its settings' temperatures.

Example
-------
>>> from sselab.benchmark.manifest import BenchmarkMaterial
>>> from sselab.simulate.settings import MetaDSettings
>>> material = BenchmarkMaterial("Cu", "Cu", "low-T", "cu.cif", "user", "Cu", temperature_min_k=300,
...                              temperature_max_k=500)
>>> metad_temperature_k(material, MetaDSettings())
(400.0, None)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ase import Atoms

from sselab.benchmark.manifest import BenchmarkMaterial
from sselab.simulate.diffusion import MDArrheniusResult
from sselab.simulate.metad.result import MetaDResult
from sselab.simulate.potentials import get_calculator, potential_identity
from sselab.simulate.recipes import md_arrhenius_of_structure, metad_of_structure
from sselab.simulate.settings import MDArrheniusSettings, MetaDSettings, MethodSettings

__all__ = [
    "DYNAMIC_METHODS",
    "DynamicMethod",
    "DynamicOutcome",
    "dynamic_result",
    "metad_temperature_k",
    "run_dynamic",
]


@dataclass(frozen=True)
class DynamicMethod:
    """A dynamic benchmark method: its settings class, recipe and result class."""

    settings: type[MethodSettings]
    recipe: Callable[..., Any]
    result: type[MetaDResult] | type[MDArrheniusResult]


#: Dynamic methods by benchmark name (their waves run after ``neb`` and ``composite``).
DYNAMIC_METHODS: dict[str, DynamicMethod] = {
    "metad": DynamicMethod(MetaDSettings, metad_of_structure, MetaDResult),
    "md-arrhenius": DynamicMethod(MDArrheniusSettings, md_arrhenius_of_structure, MDArrheniusResult),
}


@dataclass(frozen=True)
class DynamicOutcome:
    """What a dynamic job gives the benchmark record (the fields of
    :class:`~sselab.benchmark.jobs.BenchmarkRecord` it fills)."""

    protocol: str | None
    ea_ev: float | None
    converged: bool
    issues: tuple[str, ...]
    temperature_k: float | None
    device: str
    potential_identity: dict[str, Any]
    result: dict[str, Any]


def metad_temperature_k(material: BenchmarkMaterial, settings: MetaDSettings) -> tuple[float, str | None]:
    """The MetaD temperature (K) of ``material`` and, when it is not the experiment's, why.

    The middle of the measured range when the manifest gives both ends; else ``settings.temperature_k``.
    """
    low, high = material.temperature_min_k, material.temperature_max_k
    if low is not None and high is not None:
        return 0.5 * (float(low) + float(high)), None
    return float(settings.temperature_k), (
        f"temperature {settings.temperature_k:g} K from the run's settings: the manifest gives no measured "
        "range for this phase"
    )


def run_dynamic(
    method: str,
    atoms: Atoms,
    material: BenchmarkMaterial,
    spec: dict[str, Any],
    folder: Path,
) -> DynamicOutcome:
    """Run the dynamic ``method`` on ``atoms`` for ``material`` with the job spec's potential and settings.

    ``spec["settings"]`` holds the method's settings (without the potential); ``folder`` is the
    (material, potential) run folder, the recipe's run folder is ``folder / method``.
    """
    chosen = DYNAMIC_METHODS[method]
    settings = chosen.settings.build(
        spec["settings"],
        source=f"[{method}] settings",
        potential=spec["potential"],
        threads=spec.get("threads"),
    )
    notes: list[str] = []
    if isinstance(settings, MetaDSettings):
        temperature, why = metad_temperature_k(material, settings)
        settings = settings.replace(temperature_k=temperature)
        if why:
            notes.append(why)
    result = chosen.recipe(
        atoms, material.cation, settings=settings, run_dir=folder / method,
        structure_provenance=material.provenance,
    )  # fmt: skip
    estimate = result.activation_energy()
    reason = result.convergence_reason or ("not assessed" if result.converged is None else "")
    if result.converged is not True:
        notes.append(f"not converged: {reason}" if reason else "not converged")
    if estimate is None:
        notes.append("no barrier in this run")
    if isinstance(settings, MetaDSettings):
        temperature_k: float | None = float(settings.temperature_k)
    else:  # MD-Arrhenius: the middle of its temperatures
        temperatures = [float(t) for t in settings.temperatures_k]  # type: ignore[attr-defined]
        temperature_k = 0.5 * (min(temperatures) + max(temperatures))
    identity = potential_identity(get_calculator(settings.potential, device=settings.device, threads=1))
    return DynamicOutcome(
        protocol=None if estimate is None else estimate.protocol,
        ea_ev=None if estimate is None else float(estimate.activation_energy_ev),
        converged=result.converged is True and estimate is not None,
        issues=tuple(notes),
        temperature_k=temperature_k,
        device=result.device,
        potential_identity=identity.as_dict(),
        result=result.as_dict(),
    )


def dynamic_result(method: str, data: dict[str, Any]) -> MetaDResult | MDArrheniusResult:
    """The recipe's result of a finished dynamic job, rebuilt from its record (for the store's recorder)."""
    return DYNAMIC_METHODS[method].result.from_dict(data)
