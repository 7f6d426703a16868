"""Recipes: one typed function per simulation method, as quacc writes them.

A recipe takes a structure (ASE ``Atoms`` or a file path), keyword-only settings and returns a result object
that serialises (``as_dict``/``from_dict``). Its defaults are those of the method's settings class
(:mod:`sselab.simulate.settings`): pass ``settings=`` (e.g. built from a profile) and/or any of its fields as
keywords. Before any work, the inputs are validated (settings, run folder, cation, elements known to the
potential, supercell size). The CLI, the Dask jobs of the pipeline and a notebook call the same functions.

=========================  ==========================  =======================
recipe                     settings                    result
=========================  ==========================  =======================
:func:`metad_of_structure`  ``MetaDSettings``           ``MetaDResult``
:func:`neb_of_structure`    ``NEBSettings``             ``NEBResult``
:func:`md_arrhenius_of_structure` ``MDArrheniusSettings`` ``MDArrheniusResult``
:func:`relax_structure`     ``RelaxSettings``           ``RelaxationResult``
=========================  ==========================  =======================

Example (a MetaD in three lines)
--------------------------------
>>> from sselab.simulate import metad_of_structure
>>> result = metad_of_structure("LiBH4.cif", "Li", temperature_k=600.0, steps=20_000)  # doctest: +SKIP
>>> result.barriers.rate_determining_ev, result.converged  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from ase import Atoms
from ase.io import write

from sselab.errors import SettingsError
from sselab.simulate.diffusion import MDArrheniusResult, md_arrhenius
from sselab.simulate.inputs import prepare_cell
from sselab.simulate.metad.convergence import BarrierStoppingRule
from sselab.simulate.metad.engine import run_metadynamics
from sselab.simulate.metad.replicas import MetaDReplicaSet
from sselab.simulate.metad.result import MetaDResult
from sselab.simulate.metad.workflow import preparation_record, prepare_metad
from sselab.simulate.neb import NEBResult, cation_hop_endpoints, run_neb
from sselab.simulate.potentials import device_of, get_calculator
from sselab.simulate.prepare import make_vacancy, relax_atoms
from sselab.simulate.relaxation import RelaxationResult
from sselab.simulate.results import StructureInfo, StructureProvenance
from sselab.simulate.runfolder import RunFolder
from sselab.simulate.settings import (
    MDArrheniusSettings,
    MetaDSettings,
    MethodSettings,
    NEBSettings,
    RelaxSettings,
)

__all__ = [
    "StoppingRule",
    "md_arrhenius_of_structure",
    "metad_of_structure",
    "metad_replicas_of_structure",
    "neb_of_structure",
    "no_stopping_rule",
    "relax_structure",
]

LOGGER = logging.getLogger(__name__)
Structure = Atoms | str | Path
#: Judges a MetaD result after each chunk: ``(converged, reason)`` or ``(converged, reason, measurements)``;
#: ``converged`` is ``None`` when the rule cannot tell.
StoppingRule = Callable[[MetaDResult], tuple[Any, ...]]


def no_stopping_rule(result: MetaDResult) -> tuple[bool | None, str]:
    """A rule that assesses nothing (``converged = None``): for runs whose convergence is judged elsewhere."""
    return None, "not assessed: no stopping rule applied"


def _calculator(settings: MethodSettings) -> Any:
    return get_calculator(settings.potential, device=settings.device, threads=settings.threads)


def _described(info: StructureInfo, description: str) -> StructureInfo:
    return replace(info, description=description)


def metad_of_structure(
    structure: Structure,
    cation: str,
    *,
    settings: MetaDSettings | None = None,
    run_dir: str | Path = "metad-run",
    restart: bool = True,
    progress: bool = False,
    stopping_rule: StoppingRule | None = None,
    structure_provenance: StructureProvenance = "user",
    **changes: Any,
) -> MetaDResult:
    """Well-tempered metadynamics of ``cation`` migrating in ``structure`` (``settings.protocol`` sets it up).

    Prepares the run as :mod:`sselab.simulate.metad.workflow` describes (relaxation of positions and cell,
    supercell ≥ ``supercell_min_length_a``, the protocol's defect, NPT and unbiased equilibration at the
    temperature, hill width and pace from the CV's spread and correlation time, height ½ kT; a warning when
    the temperature does not suit the phase), then runs to ``settings.steps`` in chunks of
    ``settings.chunk_steps``, each resuming exactly from the checkpoint of the last. After each chunk
    ``stopping_rule`` (default :class:`~sselab.simulate.metad.convergence.BarrierStoppingRule`) judges the
    result and a converged run stops early; the result carries its verdict (``converged``,
    ``convergence_reason``, ``convergence``).

    Parameters
    ----------
    structure
        ``Atoms`` or a structure file (CIF, POSCAR, extxyz).
    cation
        Element of the migrating ion, e.g. ``"Li"``.
    settings
        :class:`~sselab.simulate.settings.MetaDSettings`; its fields may also be given as keywords.
    run_dir
        The run folder (``outputs/HILLS``, ``COLVAR``, figures, ``summary.json``); an existing run continues.
    restart
        Continue from the run folder's checkpoint (and preparation) when there is one.
    progress
        Show a progress bar (steps/s).
    stopping_rule
        Judges each chunk: ``rule(result) -> (converged, reason[, measurements])``.
    structure_provenance
        ``experimental``, ``predicted``, ``user`` or ``built-in`` (recorded).
    """
    settings = MetaDSettings.build(settings, **changes) if changes or settings is None else settings
    rule: StoppingRule = stopping_rule if stopping_rule is not None else BarrierStoppingRule()
    folder = RunFolder.create(run_dir)
    calculator = _calculator(settings)
    factory = partial(get_calculator, settings.potential, device=settings.device, threads=settings.threads)
    prepared = prepare_metad(
        structure, cation, settings, folder, calculator, structure_provenance, factory, restart
    )
    setup, run_settings = prepared.setup, prepared.settings
    chunk = run_settings.chunk_steps or run_settings.steps
    targets = [*range(chunk, run_settings.steps, chunk), run_settings.steps]
    parameters = {**setup.parameters(), "preparation": preparation_record(prepared.preparation)}
    onward = run_settings.protocol in ("frenkel", "paper") and setup.cv_kind != "path"
    result: MetaDResult | None = None
    verdict: tuple[Any, ...] = (None, "not run")
    for target in targets:
        result = run_metadynamics(
            prepared.start.copy(), calculator, setup.colvars, widths=[float(w) for w in setup.widths if w],
            settings=run_settings if target == run_settings.steps else run_settings.replace(steps=target),
            run_dir=run_dir, grid=setup.grid, restart=restart or target != targets[0], progress=progress,
            potential=settings.potential, structure=prepared.info, parameters=parameters,
            start=list(setup.start), end=list(setup.end), walls=setup.walls,
            target_tolerance=run_settings.target_tolerance_a if setup.cv_kind != "path" else 0.5,
            onward=onward, quantity="intrinsic" if run_settings.protocol == "frenkel" else "effective",
        )  # fmt: skip
        result = replace(result, settings=run_settings)
        verdict = rule(result)
        LOGGER.info("MetaD %s: %d steps, %s", run_dir, result.steps_done, verdict[1])
        if verdict[0]:
            break
    assert result is not None
    details = verdict[2] if len(verdict) > 2 else None
    result = result.with_convergence(verdict[0], verdict[1], details)
    RunFolder(result.run_dir).write_summary(result)
    return result


def metad_replicas_of_structure(
    structure: Structure,
    cation: str,
    *,
    replicas: int = 3,
    settings: MetaDSettings | None = None,
    run_dir: str | Path = "metad-replicas",
    restart: bool = True,
    progress: bool = False,
    stopping_rule: StoppingRule | None = None,
    structure_provenance: StructureProvenance = "user",
    **changes: Any,
) -> MetaDReplicaSet:
    """``replicas`` independent runs of :func:`metad_of_structure` (seeds ``seed``, ``seed + 1`` ...) in
    ``run_dir/replica-<k>``, combined as ONE result: mean ± sd/√n of their barriers, converged when every
    replica is and there are at least three (:class:`~sselab.simulate.metad.replicas.MetaDReplicaSet`)."""
    settings = MetaDSettings.build(settings, **changes) if changes or settings is None else settings
    if replicas < 1:
        raise SettingsError(f"must be at least 1, got {replicas}", field="replicas")
    folder = RunFolder.create(run_dir)
    results = [
        metad_of_structure(
            structure,
            cation,
            settings=settings.replace(seed=settings.seed + k),
            run_dir=folder.root / f"replica-{k}",
            restart=restart,
            progress=progress,
            stopping_rule=stopping_rule,
            structure_provenance=structure_provenance,
        )
        for k in range(replicas)
    ]
    combined = MetaDReplicaSet.from_replicas(results, folder.root)
    folder.write_summary(combined)
    return combined


def neb_of_structure(
    structure: Structure,
    cation: str,
    *,
    settings: NEBSettings | None = None,
    run_dir: str | Path | None = "neb-run",
    progress: bool = False,
    structure_provenance: StructureProvenance = "user",
    **changes: Any,
) -> NEBResult:
    """CI-NEB of a ``cation`` hopping into a neighbouring vacancy of ``structure`` (a perfect cell).

    ``settings`` (:class:`~sselab.simulate.settings.NEBSettings`) or its fields as keywords; ``run_dir``
    receives the band, the energy profile and ``summary.json`` (``None``: nothing written).
    """
    settings = NEBSettings.build(settings, **changes) if changes or settings is None else settings
    if run_dir is not None:
        RunFolder.create(run_dir)
    cell = prepare_cell(structure, settings, cation, structure_provenance)
    hop = cation_hop_endpoints(cell.atoms, cation, settings.vacancy_site, settings.neighbour_rank)
    description = (
        f"{len(hop.initial)} atoms, {cation} atom {hop.moving_index} hops {hop.hop_distance_a:.2f} Å into "
        f"the vacancy; potential {settings.potential}"
    )
    factory = partial(get_calculator, settings.potential, device=settings.device, threads=settings.threads)
    return run_neb(
        hop.initial, hop.final, factory, settings=settings, run_dir=run_dir, progress=progress,
        potential=settings.potential, structure=_described(cell.info, description),
        hop_distance_a=hop.hop_distance_a,
    )  # fmt: skip


def md_arrhenius_of_structure(
    structure: Structure,
    cation: str,
    *,
    settings: MDArrheniusSettings | None = None,
    run_dir: str | Path | None = "md-arrhenius-run",
    progress: bool = False,
    on_temperature_done: Callable[[float, Any], None] | None = None,
    structure_provenance: StructureProvenance = "user",
    **changes: Any,
) -> MDArrheniusResult:
    """MD of ``structure`` at ``settings.temperatures_k`` → ``cation`` MSD → D → Nernst–Einstein σ → Ea.

    ``settings`` (:class:`~sselab.simulate.settings.MDArrheniusSettings`) or its fields as keywords; with
    ``settings.vacancy`` one cation is removed first.
    """
    settings = MDArrheniusSettings.build(settings, **changes) if changes or settings is None else settings
    if run_dir is not None:
        RunFolder.create(run_dir)
    cell = prepare_cell(structure, settings, cation, structure_provenance)
    atoms = make_vacancy(cell.atoms, cation).atoms if settings.vacancy else cell.atoms
    description = f"{len(atoms)} atoms, {cation} diffusion with {settings.potential}"
    factory = partial(get_calculator, settings.potential, device=settings.device, threads=settings.threads)
    return md_arrhenius(
        atoms, factory, cation, settings=settings, run_dir=run_dir, progress=progress,
        on_temperature_done=on_temperature_done, potential=settings.potential,
        structure=replace(cell.info, n_atoms=len(atoms), description=description),
    )  # fmt: skip


def relax_structure(
    structure: Structure,
    *,
    settings: RelaxSettings | None = None,
    run_dir: str | Path | None = None,
    structure_provenance: StructureProvenance = "user",
    **changes: Any,
) -> RelaxationResult:
    """Relax the positions (and cell) of ``structure`` with ``settings.potential``.

    ``settings`` (:class:`~sselab.simulate.settings.RelaxSettings`) or its fields as keywords; ``run_dir``
    (optional) receives the start and relaxed cells and ``summary.json``.
    """
    settings = RelaxSettings.build(settings, **changes) if changes or settings is None else settings
    folder = RunFolder.create(run_dir) if run_dir is not None else None
    cell = prepare_cell(structure, settings, None, structure_provenance)
    calculator = _calculator(settings)
    started = time.perf_counter()
    trajectory = folder.outputs / "relax.traj" if folder is not None else None
    relaxed = relax_atoms(cell.atoms, calculator, settings, trajectory)
    result = RelaxationResult(
        relaxed.atoms, relaxed.energy_ev, relaxed.max_force_ev_per_a, relaxed.steps, relaxed.converged,
        settings, None if folder is None else folder.root, settings.potential, device_of(calculator),
        cell.info, time.perf_counter() - started,
    )  # fmt: skip
    if folder is not None:
        write(folder.inputs / "start.extxyz", cell.atoms)
        write(folder.outputs / "relaxed.extxyz", relaxed.atoms)
        folder.write_summary(result)
    return result
