"""Recording any method's activation energy in the store, with how it was obtained, and only if it means
something.

:func:`record_activation_energy` takes an open :class:`~sselab.store.Store` and a result whose
``activation_energy()`` gives an :class:`~sselab.simulate.results.EaEstimate` (MetaD, CI-NEB, MD-Arrhenius,
and any later method). It refuses, whatever the options, a physically impossible number (not finite, not
positive, above :data:`MAX_PLAUSIBLE_BARRIER_EV`), and by default an unconverged one (``converged`` not
``True``); ``store_unconverged=True`` keeps the latter, labelled with its ``converged`` flag and reason.
Every row
records the protocol, potential, device, convergence and the provenance of the structure.

Example
-------
>>> from sselab.store import open_store
>>> outcome = record_activation_energy(open_store("sqlite://"), result, material="LiBH4")  # doctest: +SKIP
>>> outcome.stored, outcome.reason  # doctest: +SKIP
(False, 'refused: not converged (not assessed: ...); store_unconverged keeps it, labelled')
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from sselab.errors import FormulaParseError
from sselab.simulate.results import EaEstimate, StructureInfo
from sselab.store import Store
from sselab.store.records import ActivationEnergyRecord, MaterialRecord

__all__ = ["MAX_PLAUSIBLE_BARRIER_EV", "RecordOutcome", "implausibility", "record_activation_energy"]

#: Largest activation energy accepted from a simulation (eV). Ion-migration barriers of solid electrolytes
#: lie well below 2 eV; a larger value means a broken run (a wrong unit, an exploded cell, hills far too
# high).
MAX_PLAUSIBLE_BARRIER_EV = 5.0


class RecordableResult(Protocol):
    """What the recorder needs of a result (every simulation result has it)."""

    @property
    def kind(self) -> str: ...

    @property
    def run_dir(self) -> Path | None: ...

    @property
    def potential(self) -> str | None: ...

    @property
    def device(self) -> str: ...

    @property
    def structure(self) -> StructureInfo | None: ...

    def activation_energy(self) -> EaEstimate | None: ...


@dataclass(frozen=True)
class RecordOutcome:
    """What :func:`record_activation_energy` did: the row's id, whether it was written now, and why (not)."""

    ea_id: int | None
    stored: bool
    reason: str


def implausibility(estimate: EaEstimate) -> str | None:
    """Why ``estimate`` is physically impossible (``None`` when it is not)."""
    value = estimate.activation_energy_ev
    if not math.isfinite(value):
        return f"the activation energy is {value} (not a number)"
    if value <= 0.0:
        return f"the activation energy {value:.4g} eV is not positive: not a barrier"
    if value > MAX_PLAUSIBLE_BARRIER_EV:
        return f"the activation energy {value:.4g} eV is above {MAX_PLAUSIBLE_BARRIER_EV:g} eV: a broken run"
    unc = estimate.uncertainty_ev
    if unc is not None and not (math.isfinite(unc) and unc >= 0.0):
        return f"the uncertainty {unc} eV is not a non-negative number"
    return None


def _material(formula: str) -> MaterialRecord:
    try:
        return MaterialRecord.from_formula(formula)
    except FormulaParseError:
        return MaterialRecord(formula=formula)


def record_activation_energy(
    store: Store,
    result: RecordableResult,
    *,
    material: str | None = None,
    phase: str | None = None,
    method: str | None = None,
    note: str | None = None,
    store_unconverged: bool = False,
) -> RecordOutcome:
    """Store the activation energy of ``result`` (and its run) in ``store``, unless it means nothing.

    Parameters
    ----------
    store
        The open store.
    result
        A simulation result with ``activation_energy()`` (``MetaDResult``, ``NEBResult``, ...).
    material
        Formula to store it under (default: the reduced formula of the structure the result ran on).
    phase
        Phase label, as the experimental data write it (e.g. ``"low-T"``), so that it is compared with the
        same phase.
    method
        Store method label instead of the result's own (e.g. ``"AIMD"`` for an ab initio MD-Arrhenius).
    note
        Replaces the result's own description.
    store_unconverged
        Keep a result whose ``converged`` is not ``True`` (stored with ``converged`` false or unknown).

    Returns
    -------
    RecordOutcome
        ``stored=False`` with the reason when nothing was written: no barrier, refused (impossible or
        unconverged), or already stored for the same run folder and method (a rerun adds nothing).
    """
    estimate = result.activation_energy()
    if estimate is None:
        return RecordOutcome(None, False, "no activation energy in this result")
    problem = implausibility(estimate)
    if problem is not None:
        return RecordOutcome(None, False, f"refused: {problem}")
    if estimate.converged is not True and not store_unconverged:
        state = "not converged" if estimate.converged is False else "convergence unknown"
        reason = f" ({estimate.convergence_reason})" if estimate.convergence_reason else ""
        return RecordOutcome(None, False, f"refused: {state}{reason}; store_unconverged keeps it, labelled")
    label = method or estimate.method
    run_folder = str(Path(result.run_dir).resolve()) if result.run_dir is not None else None
    if run_folder is not None:
        existing = store.activation_energy_frame(method=label)
        same = existing[existing["run_folder"] == run_folder]
        if len(same):
            return RecordOutcome(int(same["ea_id"].iloc[0]), False, "already stored for this run folder")
    structure = result.structure
    formula = material or (structure.formula if structure is not None else None)
    if not formula:
        return RecordOutcome(None, False, "refused: no material formula (give material=)")
    summary = {
        "kind": result.kind,
        "run_dir": run_folder,
        "activation_energy": asdict(estimate),
        "potential": result.potential,
        "device": result.device,
        "structure": None if structure is None else structure.as_dict(),
    }
    settings = getattr(result, "settings", None)
    parameters = settings.as_dict() if settings is not None else {}
    store.record_run(str(result.kind), run_folder or "", parameters, summary)
    record = ActivationEnergyRecord(
        material=_material(formula),
        activation_energy_ev=float(estimate.activation_energy_ev),
        method=label,
        phase=phase,
        temperature_min_k=estimate.temperature_min_k,
        temperature_max_k=estimate.temperature_max_k,
        uncertainty_ev=estimate.uncertainty_ev,
        potential=result.potential,
        parameters=parameters,
        run_folder=run_folder,
        note=note or estimate.note,
        protocol=estimate.protocol,
        converged=estimate.converged,
        convergence_reason=estimate.convergence_reason,
        device=result.device,
        structure_provenance=None if structure is None else structure.provenance,
    )
    ea_id = int(store.add_activation_energy(record))
    labelled = "" if estimate.converged is True else " (unconverged: stored with its label)"
    return RecordOutcome(ea_id, True, f"stored{labelled}")
