"""Recipes: the composite activation energy ``Ea = Em + ½·min(Ef Frenkel, Ef Schottky)`` of an intrinsic
cation conductor, and the migration-only barrier ``Em`` (protocol ``vacancy``), from one relaxed supercell.

Steps (each a part cached in ``run_dir``, so a rerun or the other recipe reuses it):

1. relax the input cell (positions and lattice) with the potential;
2. build the supercell (every width >= ``min_width_a``, or explicit ``supercell`` repetitions);
3. CI-NEB of the nearest cation hopping into a vacancy (Em), maximum checked to be an interior image;
4. (composite) the neutral cation Frenkel pair from several interstitial starts, lowest kept;
5. (composite) the Schottky pair, one formula unit removed as whole molecular units.

Example
-------
>>> from ase.build import bulk
>>> result = composite_barrier(bulk("Cu", cubic=True), "Cu", potential="emt", supercell=(2, 2, 2),
...                            n_interstitial_starts=1, neb_images=1, neb_fmax_ev_per_a=0.1)
>>> result.protocol, result.limiting_pair, result.converged
('composite', 'schottky', True)
>>> round(result.activation_energy_ev, 1)  # EMT Cu: Em 0.8 eV + half a 1.2 eV vacancy
1.4
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from sselab import __version__
from sselab.errors import SimulationError
from sselab.simulate.defects.cache import PartCache, atoms_as_dict, atoms_from_dict, structure_fingerprint
from sselab.simulate.defects.migration import MigrationResult, vacancy_migration
from sselab.simulate.defects.pairs import FrenkelResult, SchottkyResult, frenkel_pair, schottky_pair
from sselab.simulate.defects.relaxation import RelaxationRecord, relax_structure, single_point_energy
from sselab.simulate.defects.result import DefectBarrierResult, SupercellInfo
from sselab.simulate.defects.settings import CompositeSettings
from sselab.simulate.defects.sites import interstitial_sites
from sselab.simulate.potentials import get_calculator, potential_identity
from sselab.simulate.prepare import make_supercell

logger = logging.getLogger(__name__)

#: Fewest formula units in the supercell for the Schottky pair to count as a defect, not a new compound.
MIN_FORMULA_UNITS = 4
_BULK_KEYS = (
    "relax_cell",
    "bulk_fmax_ev_per_a",
    "bulk_steps",
    "optimizer",
    "min_width_a",
    "max_atoms",
    "supercell",
)
_NEB_KEYS = ("neb_images", "neb_fmax_ev_per_a", "neb_steps", "neb_spring_ev_per_a2", "neighbour_rank")
_DEFECT_KEYS = ("defect_fmax_ev_per_a", "defect_steps", "optimizer")
_FRENKEL_KEYS = (
    *_DEFECT_KEYS,
    "n_interstitial_starts",
    "interstitial_min_distance_a",
    "recombination_distance_a",
)


def composite_barrier(
    atoms: Atoms,
    cation: str,
    *,
    potential: str = "chgnet",
    settings: CompositeSettings | None = None,
    cation_index: int | None = None,
    device: str | None = None,
    threads: int | None = None,
    calculator_factory: Callable[[], Calculator] | None = None,
    run_dir: str | Path | None = None,
    **overrides: Any,
) -> DefectBarrierResult:
    """Composite activation energy ``Em + ½·min(Ef Frenkel, Ef Schottky)`` of ``cation`` in ``atoms``.

    Parameters
    ----------
    atoms
        Perfect crystal (Å), any cell; relaxed first (``relax_cell``).
    cation
        Migrating element, e.g. ``"Li"``.
    potential
        Registry name of :func:`sselab.simulate.potentials.get_calculator` (ignored with
        ``calculator_factory``).
    settings
        :class:`CompositeSettings`; keyword ``overrides`` replace some of its fields (validated).
    cation_index
        Index in ``atoms`` of the cation whose site becomes the vacancy (default: the first ``cation``).
    device, threads
        Passed to :func:`~sselab.simulate.potentials.get_calculator`.
    calculator_factory
        Makes a fresh ASE calculator (one per NEB image); for calculators outside the registry.
    run_dir
        Folder for the parts cache, the NEB band and ``summary.json``; ``None`` writes nothing.

    Returns
    -------
    DefectBarrierResult
        ``protocol="composite"``.

    Raises
    ------
    ConfigError
        For an invalid or unknown setting.
    SimulationError
        For a structure without that cation, or without room for the defects.
    """
    return _run(
        atoms,
        cation,
        "composite",
        potential,
        settings,
        cation_index,
        device,
        threads,
        calculator_factory,
        run_dir,
        overrides,
    )


def vacancy_hop_barrier(
    atoms: Atoms,
    cation: str,
    *,
    potential: str = "chgnet",
    settings: CompositeSettings | None = None,
    cation_index: int | None = None,
    device: str | None = None,
    threads: int | None = None,
    calculator_factory: Callable[[], Calculator] | None = None,
    run_dir: str | Path | None = None,
    **overrides: Any,
) -> DefectBarrierResult:
    """Migration energy Em of the cation vacancy hop alone (protocol ``vacancy``; CI-NEB), same parameters
    and parts as :func:`composite_barrier`, whose cached bulk and NEB parts it shares in one ``run_dir``."""
    return _run(
        atoms,
        cation,
        "vacancy",
        potential,
        settings,
        cation_index,
        device,
        threads,
        calculator_factory,
        run_dir,
        overrides,
    )


def _subset(settings: CompositeSettings, keys: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    data = settings.as_dict()
    return {**{k: data[k] for k in keys}, **extra}


def _check_input(atoms: Atoms, cation: str, cation_index: int | None) -> int:
    symbols = atoms.get_chemical_symbols()
    if cation not in symbols:
        raise SimulationError(f"no {cation!r} atom in {atoms.get_chemical_formula()}")
    if atoms.cell.rank < 3 or not atoms.pbc.all():
        raise SimulationError("the defect recipes need a 3D periodic cell")
    if cation_index is None:
        return symbols.index(cation)
    if not 0 <= cation_index < len(atoms) or symbols[cation_index] != cation:
        raise SimulationError(f"cation_index {cation_index} is not a {cation!r} atom of the cell")
    return cation_index


def _widths(atoms: Atoms) -> tuple[float, float, float]:
    cell = atoms.cell.array
    volume = abs(np.linalg.det(cell))
    w = [volume / np.linalg.norm(np.cross(cell[(i + 1) % 3], cell[(i + 2) % 3])) for i in range(3)]
    return (float(w[0]), float(w[1]), float(w[2]))


def _widest_within(relaxed: Atoms, max_atoms: int) -> tuple[int, int, int]:
    widths = np.asarray(_widths(relaxed))
    options = [
        (float(np.min(widths * np.array(r))), -len(relaxed) * int(np.prod(r)), r)
        for r in itertools.product(range(1, 5), repeat=3)
        if len(relaxed) * int(np.prod(r)) <= max_atoms
    ]
    if not options:
        raise SimulationError(f"the cell has {len(relaxed)} atoms, more than max_atoms={max_atoms}")
    best = max(options)[2]
    return (best[0], best[1], best[2])


def _supercell(relaxed: Atoms, settings: CompositeSettings) -> tuple[Atoms, tuple[int, int, int]]:
    if settings.supercell is not None or settings.max_atoms is not None:
        reps = settings.supercell or _widest_within(relaxed, settings.max_atoms)  # type: ignore[arg-type]
        return relaxed.repeat(reps), reps
    big = make_supercell(relaxed, settings.min_width_a)
    ratio = [np.linalg.norm(big.cell[i]) / np.linalg.norm(relaxed.cell[i]) for i in range(3)]
    reps3 = (round(ratio[0]), round(ratio[1]), round(ratio[2]))
    return big, reps3


class _Parts:
    """Computes each part of one recipe call, or reads it from the run folder's cache, timing it."""

    def __init__(self, cache: PartCache) -> None:
        self.cache = cache
        self.walls: dict[str, float] = {}
        self.reused: list[str] = []

    def get(self, name: str, extra: dict[str, Any], compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        stored = self.cache.load(name, extra)
        if stored is not None:
            self.reused.append(name)
            self.walls[name] = float(stored["wall_time_s"])
            return dict(stored["data"])
        t0 = time.perf_counter()
        data = compute()
        self.walls[name] = time.perf_counter() - t0
        self.cache.save(name, {"data": data, "wall_time_s": self.walls[name]}, extra)
        return data


def _bulk(atoms: Atoms, calc: Calculator, settings: CompositeSettings) -> dict[str, Any]:
    relaxed, record = relax_structure(
        atoms,
        calc,
        fmax_ev_per_a=settings.bulk_fmax_ev_per_a,
        steps=settings.bulk_steps,
        relax_cell=settings.relax_cell,
        optimizer=settings.optimizer,
    )
    big, _ = _supercell(relaxed, settings)
    return {
        "atoms": atoms_as_dict(relaxed),
        "relaxation": record.as_dict(),
        "supercell_energy_ev": single_point_energy(big, calc),
    }


def _run(
    atoms: Atoms,
    cation: str,
    protocol: str,
    potential: str,
    settings: CompositeSettings | None,
    cation_index: int | None,
    device: str | None,
    threads: int | None,
    calculator_factory: Callable[[], Calculator] | None,
    run_dir: str | Path | None,
    overrides: dict[str, Any],
) -> DefectBarrierResult:
    chosen = (settings or CompositeSettings()).replace(**overrides) if overrides else settings
    settings = chosen or CompositeSettings()
    vacancy = _check_input(atoms, cation, cation_index)
    started, t_start = datetime.now(UTC).isoformat(timespec="seconds"), time.perf_counter()
    factory = calculator_factory or (lambda: get_calculator(potential, device=device, threads=threads))
    calc = factory()
    identity = potential_identity(calc)
    key = [identity.name, identity.model_version, identity.modal, identity.weights_sha256]
    parts = _Parts(
        PartCache(run_dir, {"structure": structure_fingerprint(atoms), "cation": cation, "potential": key})
    )
    bulk = parts.get("bulk", _subset(settings, _BULK_KEYS), lambda: _bulk(atoms, calc, settings))
    relaxed = atoms_from_dict(bulk["atoms"])
    big, reps = _supercell(relaxed, settings)
    energy_bulk = float(bulk["supercell_energy_ev"])
    neb_dir = Path(run_dir) / "neb" if run_dir is not None else None
    migration = MigrationResult.from_dict(
        parts.get(
            "migration",
            _subset(settings, _BULK_KEYS + _NEB_KEYS, vacancy_index=vacancy),
            lambda: vacancy_migration(
                big, cation, vacancy, factory, settings, neb_dir, potential=identity.name
            ).as_dict(),
        )
    )
    frenkel: FrenkelResult | None = None
    schottky: SchottkyResult | None = None
    if protocol == "composite":

        def compute_frenkel() -> dict[str, Any]:
            sites = interstitial_sites(relaxed, cation, settings.interstitial_min_distance_a)
            return frenkel_pair(
                big, relaxed, reps, cation, vacancy, sites, calc, energy_bulk, settings
            ).as_dict()

        frenkel_key = _subset(settings, _BULK_KEYS + _FRENKEL_KEYS, vacancy_index=vacancy)
        frenkel = FrenkelResult.from_dict(parts.get("frenkel", frenkel_key, compute_frenkel))
        schottky = SchottkyResult.from_dict(
            parts.get(
                "schottky",
                _subset(settings, _BULK_KEYS + _DEFECT_KEYS, vacancy_index=vacancy),
                lambda: schottky_pair(big, cation, vacancy, calc, energy_bulk, settings).as_dict(),
            )
        )
    bulk_record = RelaxationRecord.from_dict(bulk["relaxation"])
    energy, limiting = _activation_energy(protocol, migration, frenkel, schottky)
    issues = _issues(bulk_record, migration, frenkel, schottky)
    result = DefectBarrierResult(
        protocol=protocol,
        formula=atoms.get_chemical_formula(mode="reduce"),
        cation=cation,
        activation_energy_ev=energy,
        limiting_pair=limiting,
        converged=not issues,
        issues=tuple(issues),
        potential=identity,
        device=identity.device,
        settings=settings,
        supercell=SupercellInfo(reps, len(big), _widths(big), tuple(relaxed.cell.lengths().tolist())),  # type: ignore[arg-type]
        bulk=bulk_record,
        bulk_energy_ev=energy_bulk,
        migration=migration,
        frenkel=frenkel,
        schottky=schottky,
        wall_time_s=time.perf_counter() - t_start,
        part_wall_time_s=parts.walls,
        reused_parts=tuple(parts.reused),
        sselab_version=__version__,
        started=started,
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
        run_dir=Path(run_dir) if run_dir is not None else None,
    )
    if run_dir is not None:
        (Path(run_dir) / f"{protocol}_summary.json").write_text(json.dumps(result.as_dict(), indent=1))
    return result


def _activation_energy(
    protocol: str, migration: MigrationResult, frenkel: FrenkelResult | None, schottky: SchottkyResult | None
) -> tuple[float, str | None]:
    if protocol == "vacancy":
        return migration.barrier_ev, None
    candidates = {
        name: energy
        for name, energy in (
            ("frenkel", frenkel.formation_energy_ev if frenkel else None),
            ("schottky", schottky.formation_energy_ev if schottky else None),
        )
        if energy is not None
    }
    if not candidates:
        raise SimulationError("neither a Frenkel nor a Schottky formation energy: no composite barrier")
    limiting = min(candidates, key=lambda k: candidates[k])
    return migration.barrier_ev + 0.5 * candidates[limiting], limiting


def _issues(
    bulk: RelaxationRecord,
    migration: MigrationResult,
    frenkel: FrenkelResult | None,
    schottky: SchottkyResult | None,
) -> list[str]:
    issues = []
    if not bulk.converged:
        issues.append(f"bulk relaxation not converged (max force {bulk.max_force_ev_per_a:.3f} eV/Å)")
    if not migration.converged:
        issues.append("CI-NEB not converged")
    if not migration.max_is_interior:
        issues.append(f"CI-NEB maximum at end point image {migration.max_image}: no saddle found")
    if frenkel is not None:
        if frenkel.chosen is None:
            issues.append("every Frenkel start recombined")
        elif not frenkel.converged:
            issues.append("Frenkel relaxation not converged")
        if frenkel.formation_energy_ev is not None and frenkel.formation_energy_ev < 0:
            issues.append("negative Frenkel formation energy: the host is not at its minimum")
    if schottky is not None:
        if schottky.formula_units < MIN_FORMULA_UNITS:
            issues.append(
                f"the supercell holds {schottky.formula_units} formula units: removing one is not a dilute "
                f"Schottky pair (at least {MIN_FORMULA_UNITS} needed)"
            )
        if not schottky.converged:
            issues.append("Schottky relaxation not converged")
        if schottky.formation_energy_ev < 0:
            issues.append("negative Schottky formation energy: the host is not at its minimum")
    return issues
