"""Genetic-algorithm (and random) crystal structure search with rigid molecular units, checkpointed individual
by
individual.

Individual ``i`` is made from a random generator seeded with ``(seed, i)`` and from the individuals ``0..i-1``
read back from the checkpoint, so a search that is killed and rerun with the same arguments continues where it
stopped and produces the same individuals it would have produced uninterrupted: none lost, none duplicated.

Example::

    >>> from sselab.structures import MemoryCheckpoint, SearchSettings, run_search, search_cell
    >>> cell = search_cell("LiBH4", 4, [("Li", 1), ("BH4", 1)])  # doctest: +SKIP
    >>> settings = SearchSettings(budget=40)  # doctest: +SKIP
    >>> result = run_search(cell, calculator, MemoryCheckpoint(), "libh4-ga", settings)  # doctest: +SKIP
    >>> result.best.energy_ev_per_atom  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.data import atomic_numbers
from pymatgen.io.cif import CifWriter
from threadpoolctl import threadpool_limits

from sselab.errors import SearchInputError
from sselab.progress import report_progress
from sselab.structures.cell import SearchCell, search_cell
from sselab.structures.checkpoint import (
    SearchCheckpoint,
    atoms_from_record,
    atoms_to_record,
    decode_json_field,
)
from sselab.structures.dedup import find_duplicate, to_structure
from sselab.structures.generate import min_distances, random_structure
from sselab.structures.operators import build_operators
from sselab.structures.relax import relax_candidate
from sselab.structures.settings import (
    OPERATOR_DISTANCE_FLOOR_A,
    OPERATOR_DISTANCE_RATIO,
    PROFILES,
    SearchSettings,
    settings_for_profile,
)

__all__ = [
    "PROFILES",
    "Individual",
    "SearchResult",
    "SearchSettings",
    "load_search",
    "run_search",
    "settings_for_profile",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Individual:
    """One relaxed candidate of a search."""

    key: str
    index: int
    atoms: Atoms
    energy_ev_per_atom: float
    enthalpy_ev_per_atom: float
    generation: int
    parents: tuple[str, ...]
    operator: str
    valid: bool
    duplicate_of: str | None
    extra: dict[str, Any]


@dataclass(frozen=True)
class SearchResult:
    """All individuals of a search, in the order they were made."""

    run_name: str
    cell: SearchCell
    settings: SearchSettings
    individuals: tuple[Individual, ...]

    def unique(self) -> list[Individual]:
        """Valid, non-duplicate individuals sorted by enthalpy per atom (best first)."""
        pool = [i for i in self.individuals if i.valid and i.duplicate_of is None]
        return sorted(pool, key=lambda i: i.enthalpy_ev_per_atom)

    @property
    def best(self) -> Individual:
        """The lowest-enthalpy valid individual."""
        pool = self.unique()
        if not pool:
            raise SearchInputError(f"search {self.run_name!r} has no valid individual yet")
        return pool[0]

    def best_so_far(self) -> np.ndarray:
        """Lowest enthalpy per atom (eV/atom) after each individual sampled (NaN before the first valid
        one)."""
        values = [i.enthalpy_ev_per_atom if i.valid else np.inf for i in self.individuals]
        best = np.minimum.accumulate(values) if values else np.array([])
        return np.where(np.isfinite(best), best, np.nan)


def individual_key(index: int) -> str:
    """Store key of individual ``index``."""
    return f"{index:05d}"


def _load(checkpoint: SearchCheckpoint, run_name: str, fingerprint: str | None) -> list[Individual]:
    frame = checkpoint.search_individuals(run_name)
    out: list[Individual] = []
    for row in frame.to_dict("records"):
        extra = decode_json_field(row["extra"]) or {}
        if fingerprint is not None and extra.get("settings_fingerprint") != fingerprint:
            raise SearchInputError(
                f"search run {run_name!r} exists with different settings; rerun with the same options or "
                f"another name"
            )
        out.append(
            Individual(
                key=str(row["key"]),
                index=int(extra["index"]),
                atoms=atoms_from_record(extra["atoms"]),
                energy_ev_per_atom=float(row["energy_ev_per_atom"]),
                enthalpy_ev_per_atom=float(extra["enthalpy_ev_per_atom"]) if extra["valid"] else float("inf"),
                generation=int(row["generation"]),
                parents=tuple(decode_json_field(row["parents"]) or ()),
                operator=str(row["operator"]),
                valid=bool(extra["valid"]),
                duplicate_of=extra.get("duplicate_of"),
                extra=extra,
            )
        )
    out.sort(key=lambda i: i.index)
    if [i.index for i in out] != list(range(len(out))):
        raise SearchInputError(
            f"search run {run_name!r} has a gap in its individuals: {[i.index for i in out]}"
        )
    return out


def _parent_weights(pool: list[Individual]) -> np.ndarray:
    """``ase-ga``-style fitness: 0.5·(1 − tanh(2·(H − H_mid)/(H_max − H_min))), normalised."""
    h = np.array([i.enthalpy_ev_per_atom for i in pool])
    spread = max(float(h.max() - h.min()), 1e-9)
    fitness = 0.5 * (1.0 - np.tanh(2.0 * (h - 0.5 * (h.max() + h.min())) / spread)) + 1e-3
    return fitness / fitness.sum()


def _offspring(
    pool: list[Individual],
    blmin: dict[tuple[int, int], float],
    settings: SearchSettings,
    rng: np.random.RandomState,
) -> tuple[Atoms, list[str], str] | None:
    template = pool[0].atoms
    ops = build_operators(template, blmin, rng, settings.operators)
    population_atoms = []
    for ind in pool:
        atoms = ind.atoms.copy()
        atoms.info["confid"] = ind.key
        population_atoms.append(atoms)
    for _, op in ops:
        if hasattr(op, "update_scaling_volume"):
            op.update_scaling_volume(population_atoms)
    weights = np.array([w for w, _ in ops])
    probs = _parent_weights(pool)
    for _ in range(settings.operator_tries):
        op = ops[int(rng.choice(len(ops), p=weights / weights.sum()))][1]
        n_parents = op.get_min_inputs()
        chosen = rng.choice(len(pool), size=n_parents, replace=False, p=probs)
        parents = [population_atoms[int(k)].copy() for k in chosen]
        for parent, k in zip(parents, chosen, strict=True):
            parent.info["confid"] = pool[int(k)].key
        child, _desc = op.get_new_individual(parents)
        if child is not None:
            child.set_tags(template.get_tags())
            return child, [pool[int(k)].key for k in chosen], op.descriptor
    return None


def run_search(
    cell: SearchCell,
    calculator: Calculator,
    checkpoint: SearchCheckpoint,
    run_name: str,
    settings: SearchSettings,
    *,
    on_individual: Callable[[Individual], None] | None = None,
    stop_when: Callable[[Individual], bool] | None = None,
) -> SearchResult:
    """Run (or continue) a structure search until ``settings.budget`` individuals exist in the checkpoint.

    Parameters
    ----------
    cell
        Units and counts per cell.
    calculator
        ASE calculator of the potential used for every relaxation.
    checkpoint
        The store (or a :class:`~sselab.structures.checkpoint.MemoryCheckpoint`).
    run_name
        Name of the run; rerunning with the same name and settings continues it.
    settings
        Search parameters.
    on_individual
        Called after each new individual is stored (progress bars, logging).
    stop_when
        Stop before the budget when this returns True for an individual (checked for resumed ones too).

    Raises
    ------
    SearchInputError
        If the run exists with different settings, or no random structure can be generated.
    """
    fingerprint = settings.fingerprint(cell)
    parameters = {"cell": cell.as_dict(), "settings": settings.as_dict(), "fingerprint": fingerprint}
    checkpoint.create_search_run(run_name, cell.formula, parameters)
    done = _load(checkpoint, run_name, fingerprint)
    if done:
        logger.info("search %s: resuming after %d individuals", run_name, len(done))
    if stop_when is not None and any(stop_when(i) for i in done):
        return SearchResult(run_name=run_name, cell=cell, settings=settings, individuals=tuple(done))
    # BLAS threads only slow down the 3×3 cell algebra of the cell filter (and spin against torch's OpenMP
    # threads).
    with threadpool_limits(limits=1, user_api="blas"):
        _extend(cell, calculator, checkpoint, run_name, settings, done, fingerprint, on_individual, stop_when)
    return SearchResult(run_name=run_name, cell=cell, settings=settings, individuals=tuple(done))


def _extend(
    cell: SearchCell,
    calculator: Calculator,
    checkpoint: SearchCheckpoint,
    run_name: str,
    settings: SearchSettings,
    done: list[Individual],
    fingerprint: str,
    on_individual: Callable[[Individual], None] | None,
    stop_when: Callable[[Individual], bool] | None,
) -> None:
    """Make, relax and store individuals ``len(done)..budget-1``, appending them to ``done``."""
    numbers = [int(n) for n in _numbers(cell)]
    blmin = min_distances(numbers, OPERATOR_DISTANCE_RATIO, OPERATOR_DISTANCE_FLOOR_A)
    structures: dict[str, Any] = {}
    first = len(done)  # progress counts this call's individuals (a resumed run starts past 0)
    for index in range(len(done), settings.budget):
        started = time.perf_counter()
        rng = np.random.RandomState([settings.seed, index])
        generator_rng = np.random.default_rng([settings.seed, index])
        pool = [i for i in done if i.valid and i.duplicate_of is None]
        pool = sorted(pool, key=lambda i: i.enthalpy_ev_per_atom)[: settings.population_size]
        made = None
        if settings.method == "ga" and index >= settings.population_size and len(pool) >= 2:
            made = _offspring(pool, blmin, settings, rng)
        if made is None:
            candidate = random_structure(cell, generator_rng, settings.generator)
            parents: list[str] = []
            operator = "random"
        else:
            candidate, parents, operator = made
        relaxed = relax_candidate(
            candidate,
            calculator,
            max_steps=settings.relax_steps,
            fmax_ev_per_a=settings.fmax_ev_per_a,
            pressure_gpa=settings.pressure_gpa,
            optimizer=settings.optimizer,
            symmetric=settings.symmetric_random and operator == "random",
            release_steps=settings.release_steps,
        )
        valid = bool(
            np.isfinite(relaxed.energy_ev_per_atom) and relaxed.atoms.get_volume() / len(relaxed.atoms) < 79.0
        )
        duplicate_of = (
            find_duplicate(
                relaxed.atoms,
                relaxed.enthalpy_ev_per_atom,
                pool,
                structures,
                settings.duplicate_window_ev_per_atom,
            )
            if valid
            else None
        )
        generation = (
            0
            if index < settings.population_size
            else 1 + (index - settings.population_size) // settings.population_size
        )
        extra = {
            "index": index,
            "atoms": atoms_to_record(relaxed.atoms),
            "enthalpy_ev_per_atom": relaxed.enthalpy_ev_per_atom,
            "valid": valid,
            "duplicate_of": duplicate_of,
            "steps": relaxed.steps,
            "converged": relaxed.converged,
            "space_group_generated": candidate.info.get("space_group"),
            "space_group_kept": relaxed.space_group,
            "symmetric_steps": relaxed.symmetric_steps,
            "method": settings.method,
            "settings_fingerprint": fingerprint,
            "seconds": round(time.perf_counter() - started, 2),
        }
        if index == 0:
            extra["cell"] = cell.as_dict() | {
                "units_per_formula_unit": [(u.name, n / cell.z) for u, n in cell.units]
            }
            extra["settings"] = settings.as_dict()
        energy = relaxed.energy_ev_per_atom if np.isfinite(relaxed.energy_ev_per_atom) else 1.0e6
        key = individual_key(index)
        checkpoint.add_search_individual(
            run_name,
            key,
            _cif(relaxed.atoms),
            float(energy),
            generation,
            parents,
            operator,
            bool(relaxed.converged),
            extra,
        )
        individual = Individual(
            key=key,
            index=index,
            # the stored (rounded) copy, so that a resumed run breeds from exactly the same parents
            atoms=atoms_from_record(extra["atoms"]),
            energy_ev_per_atom=float(energy),
            enthalpy_ev_per_atom=float(relaxed.enthalpy_ev_per_atom) if valid else float("inf"),
            generation=generation,
            parents=tuple(parents),
            operator=operator,
            valid=valid,
            duplicate_of=duplicate_of,
            extra=extra,
        )
        done.append(individual)
        logger.info("search %s: %s %s E=%.4f eV/atom dup=%s", run_name, key, operator, energy, duplicate_of)
        if on_individual is not None:
            on_individual(individual)
        report_progress(
            len(done) - first, settings.budget - first, label=f"search {cell.formula}", unit="structures"
        )
        if stop_when is not None and stop_when(individual):
            break


def load_search(checkpoint: SearchCheckpoint, run_name: str) -> SearchResult:
    """Read a search back from its checkpoint without running anything (cell and settings from individual 0).

    Raises
    ------
    SearchInputError
        If the run has no individual yet.
    """
    done = _load(checkpoint, run_name, None)
    if not done:
        raise SearchInputError(f"search run {run_name!r} has no individual yet")
    first = done[0].extra
    cell_data = first["cell"]
    counts = [(str(name), float(n)) for name, n in cell_data["units_per_formula_unit"]]
    cell = search_cell(cell_data["formula"], int(cell_data["z"]), counts, max_atoms=10**6)
    settings = SearchSettings.from_dict(first["settings"])
    return SearchResult(run_name=run_name, cell=cell, settings=settings, individuals=tuple(done))


def _numbers(cell: SearchCell) -> list[int]:
    return [atomic_numbers[s] for u, _ in cell.units for s in u.symbols]


def _cif(atoms: Atoms) -> str:
    return str(CifWriter(to_structure(atoms)))
