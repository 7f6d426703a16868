"""Neutral defect pairs in a relaxed supercell: the cation Frenkel pair and the Schottky pair.

Formation energies (eV), both neutral, same potential as the bulk:

* Frenkel: ``E(vacancy + interstitial) - E(bulk)``; the cation is moved from its site to an interstitial site
  as far from the vacancy as the cell allows (several starts, lowest kept);
* Schottky: ``E(bulk minus one formula unit) - (Z - 1)/Z · E(bulk)``, removing the cation(s) and whole
  anion/neutral units, each as far from the others as the cell allows.

Both are relaxed at fixed cell. In a periodic cell the two defects of a pair still interact, so these are
pair energies at the separation reported, not isolated-defect limits.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.geometry import get_distances

from sselab.errors import SimulationError
from sselab.simulate.defects.relaxation import RelaxationRecord, relax_structure
from sselab.simulate.defects.settings import CompositeSettings
from sselab.simulate.defects.sites import (
    InterstitialSite,
    farthest_image,
    formula_unit_counts,
    mic_distance_a,
    molecular_units,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrenkelStart:
    """One interstitial start of the Frenkel pair and where it ended.

    Attributes
    ----------
    site_frac
        Interstitial site in the input (unit) cell, fractional.
    multiplicity, free_radius_a
        Of the site in the unit cell; distance to the nearest host atom (Å).
    initial_distance_a
        Vacancy–interstitial distance at the start (minimum image, Å).
    final_distance_a
        Distance between the empty lattice site and the off-lattice cation after relaxation (Å); ``None``
        when the pair recombined.
    formation_energy_ev
        ``E(relaxed pair) - E(bulk)`` (eV).
    recombined
        Every lattice site is occupied again after relaxation (the pair annihilated).
    relaxation
        Convergence of the relaxation.
    """

    site_frac: tuple[float, float, float]
    multiplicity: int
    free_radius_a: float
    initial_distance_a: float
    final_distance_a: float | None
    formation_energy_ev: float
    recombined: bool
    relaxation: RelaxationRecord

    def as_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        return {**asdict(self), "site_frac": list(self.site_frac), "relaxation": self.relaxation.as_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrenkelStart:
        """Inverse of :meth:`as_dict`."""
        values = dict(data)
        values["site_frac"] = tuple(values["site_frac"])
        values["relaxation"] = RelaxationRecord.from_dict(values["relaxation"])
        return cls(**values)


@dataclass(frozen=True)
class FrenkelResult:
    """The cation Frenkel pair: every start, and the lowest one that did not recombine.

    Attributes
    ----------
    formation_energy_ev
        Lowest formation energy over the starts that kept a separated pair (eV); ``None`` if all recombined.
    chosen
        Index into ``starts`` of that start (``None`` if all recombined).
    vacancy_index
        Supercell index of the cation moved off its site.
    starts
        All starts, in the order tried.
    """

    formation_energy_ev: float | None
    chosen: int | None
    vacancy_index: int
    starts: tuple[FrenkelStart, ...]

    @property
    def converged(self) -> bool:
        """The chosen start's relaxation converged (``False`` when none was chosen)."""
        return self.chosen is not None and self.starts[self.chosen].relaxation.converged

    @property
    def pair_distance_a(self) -> float | None:
        """Final vacancy–interstitial distance of the chosen start (Å)."""
        return None if self.chosen is None else self.starts[self.chosen].final_distance_a

    def as_dict(self) -> dict[str, Any]:
        """JSON-able fields (with the derived ``converged`` and ``pair_distance_a``)."""
        return {
            "formation_energy_ev": self.formation_energy_ev,
            "chosen": self.chosen,
            "vacancy_index": self.vacancy_index,
            "starts": [s.as_dict() for s in self.starts],
            "converged": self.converged,
            "pair_distance_a": self.pair_distance_a,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrenkelResult:
        """Inverse of :meth:`as_dict` (derived fields ignored)."""
        return cls(
            data["formation_energy_ev"],
            data["chosen"],
            data["vacancy_index"],
            tuple(FrenkelStart.from_dict(s) for s in data["starts"]),
        )


def _classify(relaxed: Atoms, bulk: Atoms, cation: str, radius_a: float) -> tuple[float | None, bool]:
    """Distance between the empty lattice site and the off-lattice cation, and whether the pair is gone."""
    lattice = [i for i, s in enumerate(bulk.get_chemical_symbols()) if s == cation]
    sites = bulk.positions[lattice]
    cations = relaxed.positions[lattice]

    _, d = get_distances(sites, cations, cell=relaxed.cell, pbc=relaxed.pbc)
    empty = np.flatnonzero(d.min(axis=1) > radius_a)
    off = np.flatnonzero(d.min(axis=0) > radius_a)
    if empty.size == 0 or off.size == 0:
        return None, True
    return float(min(mic_distance_a(relaxed, sites[i], cations[j]) for i in empty for j in off)), False


def frenkel_pair(
    bulk: Atoms,
    unit_cell: Atoms,
    repetitions: tuple[int, int, int],
    cation: str,
    vacancy_index: int,
    sites: list[InterstitialSite],
    calculator: Calculator,
    bulk_energy_ev: float,
    settings: CompositeSettings,
) -> FrenkelResult:
    """Relax a Frenkel pair from each of the first ``settings.n_interstitial_starts`` sites; keep the lowest.

    Parameters
    ----------
    bulk
        Relaxed perfect supercell (a ``repetitions`` repeat of ``unit_cell``), Å.
    unit_cell
        The relaxed cell the interstitial ``sites`` were found in.
    vacancy_index
        Index in ``bulk`` of the cation moved to the interstitial site.
    bulk_energy_ev
        Energy of ``bulk`` with ``calculator`` (eV).
    """
    if bulk.get_chemical_symbols()[vacancy_index] != cation:
        raise SimulationError(f"atom {vacancy_index} of the supercell is not a {cation!r}")
    vacancy = bulk.positions[vacancy_index].copy()
    starts = []
    for site in sites[: settings.n_interstitial_starts]:
        position, initial = farthest_image(unit_cell, repetitions, site, bulk, vacancy)
        start = bulk.copy()
        start.calc = None
        start.positions[vacancy_index] = position
        relaxed, record = relax_structure(
            start,
            calculator,
            fmax_ev_per_a=settings.defect_fmax_ev_per_a,
            steps=settings.defect_steps,
            optimizer=settings.optimizer,
        )
        final, recombined = _classify(relaxed, bulk, cation, settings.recombination_distance_a)
        starts.append(
            FrenkelStart(
                site.frac_coords,
                site.multiplicity,
                site.free_radius_a,
                initial,
                final,
                record.energy_ev - bulk_energy_ev,
                recombined,
                record,
            )
        )
        logger.info(
            "Frenkel start %s: %.3f eV, %.2f -> %s Å%s",
            site.frac_coords,
            record.energy_ev - bulk_energy_ev,
            initial,
            f"{final:.2f}" if final is not None else "-",
            " (recombined)" if recombined else "",
        )
    valid = [i for i, s in enumerate(starts) if not s.recombined]
    chosen = min(valid, key=lambda i: starts[i].formation_energy_ev) if valid else None
    energy = starts[chosen].formation_energy_ev if chosen is not None else None
    return FrenkelResult(energy, chosen, vacancy_index, tuple(starts))


@dataclass(frozen=True)
class SchottkyResult:
    """One formula unit removed (whole molecular units), relaxed at fixed cell.

    Attributes
    ----------
    formation_energy_ev
        ``E(defective) - (Z - 1)/Z · E(bulk)`` (eV).
    removed_units
        Formula of each removed unit (cation first).
    removed_indices
        Supercell indices of the removed atoms.
    min_separation_a
        Smallest centroid distance between two removed units (Å); ``None`` for a one-unit formula.
    formula_units
        Z of the supercell.
    relaxation
        Convergence of the relaxation.
    """

    formation_energy_ev: float
    removed_units: tuple[str, ...]
    removed_indices: tuple[int, ...]
    min_separation_a: float | None
    formula_units: int
    relaxation: RelaxationRecord

    @property
    def converged(self) -> bool:
        """Whether its relaxation converged."""
        return self.relaxation.converged

    def as_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        data = asdict(self)
        data.update(
            removed_units=list(self.removed_units),
            removed_indices=list(self.removed_indices),
            relaxation=self.relaxation.as_dict(),
            converged=self.converged,
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SchottkyResult:
        """Inverse of :meth:`as_dict`."""
        values = {k: v for k, v in data.items() if k != "converged"}
        values["removed_units"] = tuple(values["removed_units"])
        values["removed_indices"] = tuple(values["removed_indices"])
        values["relaxation"] = RelaxationRecord.from_dict(values["relaxation"])
        return cls(**values)


def schottky_pair(
    bulk: Atoms,
    cation: str,
    vacancy_index: int,
    calculator: Calculator,
    bulk_energy_ev: float,
    settings: CompositeSettings,
) -> SchottkyResult:
    """Remove one neutral formula unit from ``bulk`` (starting with the cation ``vacancy_index``), relax it.

    The other units of the formula unit are chosen greedily, each the one whose centroid is farthest from
    those already removed.

    Raises
    ------
    SimulationError
        When the cell's molecular units do not make whole formula units.
    """
    units = molecular_units(bulk, cation)
    per_unit, z = formula_unit_counts(units)
    if cation not in per_unit:
        raise SimulationError(f"no {cation!r} unit found in {bulk.get_chemical_formula()}")
    if z < 2:
        raise SimulationError(
            f"the supercell holds {z} formula unit(s) of {per_unit}: a Schottky pair needs at least 2"
        )
    first = next(u for u in units if vacancy_index in u.indices)
    chosen = [first]
    needed = dict(per_unit)
    needed[cation] -= 1
    for kind in sorted(needed, key=lambda k: (k != cation, k)):
        for _ in range(needed[kind]):
            pool = [u for u in units if u.formula == kind and u not in chosen]
            best = max(
                pool,
                key=lambda u: min(
                    mic_distance_a(bulk, np.array(u.centroid_a), np.array(c.centroid_a)) for c in chosen
                ),
            )
            chosen.append(best)
    separations = [
        mic_distance_a(bulk, np.array(a.centroid_a), np.array(b.centroid_a))
        for i, a in enumerate(chosen)
        for b in chosen[i + 1 :]
    ]
    removed = sorted(i for unit in chosen for i in unit.indices)
    defective = bulk.copy()
    defective.calc = None
    del defective[removed]
    _, record = relax_structure(
        defective,
        calculator,
        fmax_ev_per_a=settings.defect_fmax_ev_per_a,
        steps=settings.defect_steps,
        optimizer=settings.optimizer,
    )
    energy = record.energy_ev - (z - 1) / z * bulk_energy_ev
    logger.info("Schottky pair %s: %.3f eV", [u.formula for u in chosen], energy)
    return SchottkyResult(
        energy,
        tuple(u.formula for u in chosen),
        tuple(removed),
        min(separations) if separations else None,
        z,
        record,
    )
