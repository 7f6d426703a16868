"""Where defects go: Voronoi interstitial sites of a cation, and the molecular units of a formula unit.

Interstitial sites come from pymatgen-analysis-defects' ``VoronoiInterstitialGenerator`` (Voronoi nodes of
the host, clustered and grouped by symmetry). Molecular units (BH4, AlH4, NH2, NH3, a halide ...) are the
connected groups of covalently bonded atoms (ASE neighbour list with covalent radii), with every cation a
unit of its own, so that a Schottky defect removes whole molecules.

Example
-------
>>> from ase.build import bulk
>>> sites = interstitial_sites(bulk("Cu", cubic=True), "Cu")
>>> [site.multiplicity for site in sites]  # octahedral (4) and tetrahedral (8) holes of fcc
[4, 8]
>>> round(sites[0].free_radius_a, 2)
1.8
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import reduce
from math import gcd

import numpy as np
from ase import Atoms
from ase.geometry import find_mic, get_distances
from ase.neighborlist import NeighborList, natural_cutoffs
from pymatgen.analysis.defects.generators import VoronoiInterstitialGenerator
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor
from scipy.sparse.csgraph import connected_components

from sselab.errors import SimulationError

#: Elements always treated as single-atom cations (never bonded into a molecular unit).
IONIC_CATIONS = frozenset({"Li", "Na", "K", "Rb", "Cs", "Mg", "Ca", "Sr", "Ba"})
#: Multiplier of ASE's natural (covalent) cutoffs that defines a covalent bond inside a unit.
BOND_CUTOFF_FACTOR = 1.15


@dataclass(frozen=True)
class InterstitialSite:
    """A symmetry-distinct interstitial site of the input cell.

    Attributes
    ----------
    frac_coords
        Fractional coordinates of one representative (of the input cell).
    equivalent_frac_coords
        All symmetry-equivalent positions in the input cell (fractional).
    multiplicity
        Number of equivalent positions in the input cell.
    free_radius_a
        Distance from the site to the nearest atom of the host (Å): the roomiest sites come first.
    """

    frac_coords: tuple[float, float, float]
    equivalent_frac_coords: tuple[tuple[float, float, float], ...]
    multiplicity: int
    free_radius_a: float


def interstitial_sites(atoms: Atoms, cation: str, min_distance_a: float = 1.0) -> list[InterstitialSite]:
    """Symmetry-distinct interstitial sites for ``cation`` in ``atoms``, roomiest first.

    Parameters
    ----------
    atoms
        Host cell (Å), usually the relaxed primitive or conventional cell.
    cation
        Element inserted (only used to label the pymatgen defects).
    min_distance_a
        Sites closer than this to any atom are discarded (Å).

    Raises
    ------
    SimulationError
        When no site is found.
    """

    host = AseAtomsAdaptor.get_structure(atoms)
    frac_host = np.mod(host.frac_coords, 1.0)
    frac_host[frac_host >= 1.0 - 1e-9] = 0.0  # pymatgen's TopographyAnalyzer drops sites outside [0, 1]
    structure = Structure(host.lattice, host.species, frac_host)
    generator = VoronoiInterstitialGenerator(min_dist=min_distance_a)
    sites = []
    for defect in generator.generate(structure, insert_species=[cation]):
        frac = np.asarray(defect.site.frac_coords, dtype=float) % 1.0
        equivalent = tuple(
            tuple(float(x) for x in np.asarray(s.frac_coords) % 1.0) for s in defect.equivalent_sites
        )
        free = nearest_distance_a(atoms, frac)
        sites.append(
            InterstitialSite(
                (float(frac[0]), float(frac[1]), float(frac[2])),
                equivalent or (tuple(float(x) for x in frac),),  # type: ignore[arg-type]
                int(defect.multiplicity),
                free,
            )
        )
    if not sites:
        raise SimulationError(
            f"no interstitial site at least {min_distance_a} Å from every atom in "
            f"{atoms.get_chemical_formula()}"
        )
    return sorted(sites, key=lambda s: -s.free_radius_a)


def nearest_distance_a(atoms: Atoms, frac: np.ndarray, exclude: int | None = None) -> float:
    """Minimum-image distance from fractional position ``frac`` to the nearest atom (Å)."""

    point = np.asarray(frac, dtype=float) @ atoms.cell.array
    _, distances = get_distances([point], atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
    d = distances[0]
    if exclude is not None:
        d = np.delete(d, exclude)
    return float(d.min()) if d.size else float("inf")


def mic_distance_a(atoms: Atoms, a: np.ndarray, b: np.ndarray) -> float:
    """Minimum-image distance between two Cartesian points in the cell of ``atoms`` (Å)."""

    vector, _ = find_mic(np.asarray(b, dtype=float) - np.asarray(a, dtype=float), atoms.cell, atoms.pbc)
    return float(np.linalg.norm(vector))


def farthest_image(
    unit_cell: Atoms,
    repetitions: tuple[int, int, int],
    site: InterstitialSite,
    supercell: Atoms,
    point: np.ndarray,
) -> tuple[np.ndarray, float]:
    """The copy of ``site`` in ``supercell`` (a ``repetitions`` repeat of ``unit_cell``) farthest from
    ``point`` (Cartesian, Å); returns its Cartesian position and that distance (Å)."""
    reps = np.asarray(repetitions, dtype=float)
    best, best_d = None, -1.0
    for frac in site.equivalent_frac_coords:
        for shift in np.ndindex(*repetitions):
            cart = ((np.asarray(frac) + np.asarray(shift)) / reps) @ supercell.cell.array
            d = mic_distance_a(supercell, point, cart)
            if d > best_d + 1e-9:
                best, best_d = cart, d
    assert best is not None
    return best, best_d


@dataclass(frozen=True)
class MolecularUnit:
    """A group of atoms removed together by a Schottky defect (a cation, BH4, NH3, an iodide ...)."""

    indices: tuple[int, ...]
    formula: str
    centroid_a: tuple[float, float, float]


def molecular_units(atoms: Atoms, cation: str) -> list[MolecularUnit]:
    """Split ``atoms`` into single-atom cations and covalently bonded units (connected components).

    Bonds: ASE natural cutoffs times :data:`BOND_CUTOFF_FACTOR`, minimum image; ``cation`` and the elements
    of :data:`IONIC_CATIONS` are never bonded. Centroids are computed with unwrapped positions.
    """

    symbols = atoms.get_chemical_symbols()
    ionic = IONIC_CATIONS | {cation}
    cutoffs = [
        0.0 if s in ionic else c
        for s, c in zip(symbols, natural_cutoffs(atoms, mult=BOND_CUTOFF_FACTOR), strict=True)
    ]
    neighbours = NeighborList(cutoffs, self_interaction=False, bothways=True, skin=0.0)
    neighbours.update(atoms)
    n, labels = connected_components(neighbours.get_connectivity_matrix(sparse=True), directed=False)
    units = []
    for label in range(n):
        members = [int(i) for i in np.flatnonzero(labels == label)]
        anchor = atoms.positions[members[0]]
        deltas, _ = find_mic(atoms.positions[members] - anchor, atoms.cell, atoms.pbc)
        centroid = anchor + deltas.mean(axis=0)
        counts = Counter(symbols[i] for i in members)
        formula = "".join(f"{el}{counts[el] if counts[el] > 1 else ''}" for el in sorted(counts, key=_order))
        units.append(
            MolecularUnit(
                tuple(members), formula, (float(centroid[0]), float(centroid[1]), float(centroid[2]))
            )
        )
    return units


def _order(element: str) -> tuple[int, str]:
    return (1 if element == "H" else 0, element)


def formula_unit_counts(units: list[MolecularUnit]) -> tuple[dict[str, int], int]:
    """Units of each kind in one formula unit, and the number of formula units ``Z`` in the cell."""
    counts = Counter(unit.formula for unit in units)
    z = reduce(gcd, counts.values())
    return {kind: n // z for kind, n in sorted(counts.items())}, z
