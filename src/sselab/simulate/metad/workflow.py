"""From a structure file to a ready metadynamics: relaxed, supercell, defect, NPT, unbiased equilibration,
CVs and hill parameters (:mod:`sselab.simulate.metad.preparation` for the steps), saved in the run folder.

:func:`prepare_metad` is what :func:`sselab.simulate.recipes.metad_of_structure` calls first. A run folder
that already holds a preparation (``inputs/preparation.json``) is not prepared again: the saved reference
cell, equilibrated start, migration and hill parameters are read back, so a resumed run continues exactly.

Example
-------
>>> prepared = prepare_metad("Cu.cif", "Cu", MetaDSettings(potential="emt", protocol="vacancy"),
...                          RunFolder.create("run"), EMT(), "user")  # doctest: +SKIP
>>> prepared.setup.widths, prepared.settings.pace  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.io import read, write

from sselab.errors import SettingsError
from sselab.simulate.inputs import prepare_cell
from sselab.simulate.metad.preparation import (
    Preparation,
    cv_statistics,
    equilibrate_npt,
    equilibration_warnings,
    hill_defaults,
    load_preparation,
    sample_cvs,
    space_group_number,
)
from sselab.simulate.metad.setup import PROTOCOLS, MetaDSetup, Migration, build_colvars, resolve_cv
from sselab.simulate.neb import run_neb
from sselab.simulate.phases import temperature_warnings
from sselab.simulate.prepare import make_supercell, relax_atoms, supercell_repeats
from sselab.simulate.results import StructureInfo, StructureProvenance
from sselab.simulate.runfolder import RunFolder
from sselab.simulate.settings import MetaDSettings, NEBSettings, RelaxSettings

__all__ = ["PreparedMetaD", "prepare_metad"]

LOGGER = logging.getLogger(__name__)
MIGRATION_FILE = "migration.json"
PATH_FILE = "path.extxyz"


@dataclass(frozen=True)
class PreparedMetaD:
    """A prepared run: the equilibrated start, the CVs on the reference cell, the settings with the measured
    hill parameters, what the preparation did, and the structure's record."""

    start: Atoms
    setup: MetaDSetup
    settings: MetaDSettings
    preparation: Preparation
    info: StructureInfo


def _relax(
    atoms: Atoms, calculator: Calculator, settings: MetaDSettings, cell: bool, warnings: list[str]
) -> Atoms:
    relax = RelaxSettings.build(fmax=settings.relax_fmax, steps=settings.relax_steps, cell_filter=cell)
    relaxed = relax_atoms(atoms, calculator, relax)
    if not relaxed.converged:
        warnings.append(
            f"{'cell' if cell else 'defect'} relaxation not converged: {relaxed.max_force_ev_per_a:.3f} eV/Å "
            f"after {relaxed.steps} steps"
        )
    return relaxed.atoms


def _save_migration(folder: Path, migration: Migration) -> None:
    data = {
        "mover": migration.mover,
        "target_a": [float(x) for x in migration.target_a],
        "direction": [float(x) for x in migration.direction],
        "hop_distance_a": migration.hop_distance_a,
        "defect": migration.defect,
        "reach_a": migration.reach_a,
        "notes": migration.notes,
    }
    (folder / MIGRATION_FILE).write_text(json.dumps(data, indent=2) + "\n")


def _load_migration(folder: Path, reference: Atoms) -> Migration:
    d = json.loads((folder / MIGRATION_FILE).read_text())
    return Migration(
        reference, int(d["mover"]), np.asarray(d["target_a"]), np.asarray(d["direction"]),
        float(d["hop_distance_a"]), str(d["defect"]), float(d["reach_a"]), dict(d["notes"]),
    )  # fmt: skip


def _path_frames(
    reference: Atoms,
    migration: Migration,
    factory: Callable[[], Calculator],
    settings: MetaDSettings,
    folder: Path,
) -> list[Atoms]:
    """The CI-NEB band of the hop (for the path CV): the ion moved to its target, both ends relaxed."""
    if migration.defect == "none":
        raise SettingsError(
            "the path CV needs a hop between two sites: use the vacancy or interstitial protocol", field="cv"
        )
    final = reference.copy()
    final.positions[migration.mover] = (
        reference.positions[migration.mover] + migration.direction * migration.hop_distance_a
    )
    neb = NEBSettings.build(potential=settings.potential, n_images=settings.path_images, fmax=0.1, steps=200)
    result = run_neb(reference, final, factory, settings=neb)
    frames = [image.copy() for image in result.path]
    write(folder / PATH_FILE, frames)
    return frames


def prepare_metad(
    structure: Atoms | str | Path,
    cation: str,
    settings: MetaDSettings,
    folder: RunFolder,
    calculator: Calculator,
    provenance: StructureProvenance,
    calculator_factory: Callable[[], Calculator] | None = None,
    restart: bool = True,
) -> PreparedMetaD:
    """Prepare (or read back) the metadynamics of ``cation`` in ``structure`` (see the module)."""
    prepare_cell(structure, settings, cation, provenance)  # every check (cation, elements, size) first
    unit_cell = prepare_cell(structure, settings.replace(supercell_min_length_a=0.0), cation, provenance)
    saved = load_preparation(folder.inputs) if restart else None
    if saved is not None and (folder.inputs / MIGRATION_FILE).is_file():
        preparation, reference, start = saved
        migration = _load_migration(folder.inputs, reference)
        frames = list(read(folder.inputs / PATH_FILE, ":")) if (folder.inputs / PATH_FILE).is_file() else None
        setup = build_colvars(reference, migration, settings, frames)  # type: ignore[arg-type]
        resolved = _with_hills(settings, setup, preparation)
        info = replace(unit_cell.info, n_atoms=len(reference), description=setup.description)
        return PreparedMetaD(start, setup.with_widths(preparation.widths), resolved, preparation, info)
    warnings: list[str] = []
    unit = unit_cell.atoms
    relaxed_cell = None
    if settings.relax_steps > 0:
        unit = _relax(unit, calculator, settings, True, warnings)
        relaxed_cell = unit.cell.array.tolist()
    space_group = space_group_number(unit)
    warnings += temperature_warnings(unit_cell.info.formula, space_group, settings.temperature_k)
    for text in warnings:
        LOGGER.warning(text)
    repeats = supercell_repeats(unit, settings.supercell_min_length_a)
    if len(unit) * int(np.prod(repeats)) > settings.max_atoms:
        n_atoms = len(unit) * int(np.prod(repeats))
        raise SettingsError(
            f"the relaxed cell makes {n_atoms} atoms, above max_atoms", field="supercell_min_length_a"
        )
    migration = PROTOCOLS[settings.protocol](
        make_supercell(unit, settings.supercell_min_length_a), cation, settings
    )
    work = migration.atoms
    if migration.defect != "none" and settings.relax_steps > 0:
        work = _relax(work, calculator, settings, False, warnings)
    rng = np.random.default_rng(settings.seed + 1_000_003)
    relaxed_lengths = work.cell.lengths()
    npt_cell, npt_t, start = None, None, work.copy()
    if settings.npt_steps > 0:
        mean_cell, start, npt_t = equilibrate_npt(work, calculator, settings, rng)
        npt_cell = mean_cell.tolist()
        frac_target = np.linalg.solve(work.cell.array.T, migration.target_a)
        work = work.copy()
        work.set_cell(mean_cell, scale_atoms=True)
        migration = replace(migration, target_a=frac_target @ mean_cell)
    reference = work
    frames = None
    if resolve_cv(settings) == "path":
        frames = _path_frames(
            reference, migration, calculator_factory or (lambda: calculator), settings, folder.inputs
        )
    setup = build_colvars(reference, migration, settings, frames)
    spreads: list[float] = []
    taus: list[float] = []
    values = None
    if settings.equilibration_steps > 0:
        values, start = sample_cvs(start, calculator, setup.colvars, settings, rng)
        for k in range(values.shape[1]):
            spread, tau = cv_statistics(values[:, k], settings.timestep_fs)
            spreads.append(spread)
            taus.append(tau)
    first = None if values is None else values[:, 0]
    npt_lengths = None if npt_cell is None else reference.cell.lengths()
    site = float(setup.start[0])
    for text in equilibration_warnings(
        relaxed_lengths, npt_lengths, first, site, spreads[0] if spreads else None
    ):
        LOGGER.warning(text)
        warnings.append(text)
    height, widths, pace, derived = hill_defaults(settings, spreads, taus, setup.widths)
    preparation = Preparation(
        relaxed_cell, [int(r) for r in repeats], npt_cell, npt_t, spreads, taus, height, widths, pace,
        derived, warnings, space_group,
    )  # fmt: skip
    preparation.save(folder.inputs, reference, start)
    _save_migration(folder.inputs, migration)
    resolved = _with_hills(settings, setup, preparation)
    info = replace(unit_cell.info, n_atoms=len(reference), description=setup.description)
    return PreparedMetaD(start, setup.with_widths(widths), resolved, preparation, info)


def _with_hills(settings: MetaDSettings, setup: MetaDSetup, preparation: Preparation) -> MetaDSettings:
    """``settings`` with the hill height, pace and widths that were used."""
    changes: dict[str, Any] = {"height_ev": preparation.height_ev, "pace": preparation.pace}
    for cv, width in zip(setup.colvars, preparation.widths, strict=True):
        if cv.name == "cn":
            changes["coordination_width"] = width
        elif cv.name in ("d1", "r1") and settings.width_a is None:
            changes["width_a"] = width
    return settings.replace(**changes)


def preparation_record(preparation: Preparation) -> dict[str, Any]:
    """The preparation as recorded in the result's parameters (JSON-ready)."""
    return asdict(preparation)
