"""Structure descriptors of Ea: V (Å³ per formula unit), d (anion-centre distance, Å) and b_m (eV).

``V``
    cell volume divided by the number of formula units in the cell (the formula unit is the parsed
    composition, neutral molecules included); the number of formula units must agree for every element.
``d``
    mean over anion centres of the distance to the nearest other anion centre (periodic images included), Å.
    An anion centre is the centroid of a cluster of "centre" atoms bonded within ``cluster_cutoff_a``
    (default: the most abundant non-H element of the dominant anion – B for BH4⁻, B10H10²⁻, CB11H12⁻; N for
    NH2⁻; Al for AlH4⁻), so a B12 cage counts as one centre and a BH4 tetrahedron as one.
``b_m``
    binding energy of the moving cation, eV: E(crystal) − E(crystal without one cation) − E(isolated cation),
    each a single-point energy with the same ASE calculator (no relaxation); negative means bound.

Example
-------
>>> from sselab.simulate.reference import libh4_pnma
>>> from sselab.descriptors.structure import anion_centre_distance, volume_per_formula_unit
>>> from pymatgen.io.ase import AseAtomsAdaptor
>>> s = AseAtomsAdaptor.get_structure(libh4_pnma())
>>> round(volume_per_formula_unit(s, {"Li": 1, "B": 1, "H": 4}), 2)
54.17
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from ase import Atoms
from pymatgen.core import Composition, Lattice, Structure

from sselab.descriptors.elements import DescriptorError

if TYPE_CHECKING:
    from ase.calculators.calculator import Calculator

    from sselab.chem import ParsedFormula

logger = logging.getLogger(__name__)

#: Structure descriptors and units.
STRUCTURE_DESCRIPTOR_UNITS: dict[str, str] = {"V": "Å^3 per formula unit", "d": "Å", "b_m": "eV"}


def to_structure(structure_or_cif: Structure | Atoms | str) -> Structure:
    """A pymatgen ``Structure`` from a Structure, ASE ``Atoms`` or CIF text."""
    # lazy: pymatgen.io loads its I/O stack (~0.5 s)
    from pymatgen.io.ase import AseAtomsAdaptor

    if isinstance(structure_or_cif, Structure):
        return structure_or_cif
    if isinstance(structure_or_cif, Atoms):
        return AseAtomsAdaptor.get_structure(structure_or_cif)
    try:
        return Structure.from_str(structure_or_cif, fmt="cif")
    except (ValueError, IndexError) as exc:
        raise DescriptorError(f"cannot read the CIF text: {exc}") from exc


def formula_units_in_cell(structure: Structure, formula_unit: Mapping[str, float]) -> float:
    """Number of formula units in the cell; raises :class:`DescriptorError` if the compositions disagree."""
    cell = {str(el): float(amount) for el, amount in structure.composition.get_el_amt_dict().items()}
    unit = {str(el): float(amount) for el, amount in dict(formula_unit).items() if float(amount) > 0}
    if set(cell) != set(unit):
        raise DescriptorError(
            f"structure elements {sorted(cell)} differ from the formula unit's {sorted(unit)}"
        )
    ratios = np.array([cell[el] / unit[el] for el in unit])
    if not np.allclose(ratios, ratios[0], rtol=1e-3):
        raise DescriptorError(f"the cell {cell} is not a whole number of formula units {unit}")
    return float(ratios[0])


def volume_per_formula_unit(structure: Structure | Atoms | str, formula_unit: Mapping[str, float]) -> float:
    """Cell volume per formula unit, Å³ (``V``)."""
    struct = to_structure(structure)
    return float(struct.volume) / formula_units_in_cell(struct, formula_unit)


def default_centre_elements(parsed: ParsedFormula) -> tuple[str, ...]:
    """The centre element of the dominant anion: its most abundant non-H element (B for BH4, CB11H12)."""
    if not parsed.anions:
        raise DescriptorError(f"{parsed.text}: no anion, so no anion-centre distance")
    anion = max(parsed.anions, key=lambda component: float(component.count))
    amounts = {
        str(el): float(n) for el, n in Composition(anion.formula).get_el_amt_dict().items() if el != "H"
    }
    if not amounts:
        return ("H",)
    return (max(sorted(amounts), key=lambda el: amounts[el]),)


def _clusters(structure: Structure, cutoff_a: float) -> list[list[tuple[int, np.ndarray]]]:
    """Group sites bonded within ``cutoff_a`` into clusters of (site, image) pairs, unwrapped consistently."""
    n_sites = len(structure)
    centre, neighbour, images, _ = structure.get_neighbor_list(cutoff_a)
    adjacency: dict[int, list[tuple[int, np.ndarray]]] = {i: [] for i in range(n_sites)}
    for i, j, image in zip(centre, neighbour, images, strict=True):
        adjacency[int(i)].append((int(j), np.asarray(image, dtype=float)))
    seen: dict[int, np.ndarray] = {}
    clusters = []
    for root in range(n_sites):
        if root in seen:
            continue
        seen[root] = np.zeros(3)
        members = [(root, seen[root])]
        stack = [root]
        while stack:
            i = stack.pop()
            for j, image in adjacency[i]:
                if j not in seen:
                    seen[j] = seen[i] + image
                    members.append((j, seen[j]))
                    stack.append(j)
        clusters.append(members)
    return clusters


def anion_centres(
    structure: Structure | Atoms | str, centre_elements: Sequence[str], cluster_cutoff_a: float = 2.0
) -> np.ndarray:
    """Cartesian coordinates (Å) of the anion centres, shape (M, 3)."""
    struct = to_structure(structure)
    wanted = set(centre_elements)
    sites = [site for site in struct if site.specie.symbol in wanted]
    if not sites:
        raise DescriptorError(
            f"no atom of {sorted(wanted)} in the structure {struct.composition.reduced_formula}"
        )
    sub = Structure.from_sites(sites)
    frac = sub.frac_coords
    centroids = [
        np.mean([frac[i] + image for i, image in members], axis=0)
        for members in _clusters(sub, cluster_cutoff_a)
    ]
    return sub.lattice.get_cartesian_coords(np.array(centroids) % 1.0)


def anion_centre_distance(
    structure: Structure | Atoms | str, centre_elements: Sequence[str] = ("B",), cluster_cutoff_a: float = 2.0
) -> float:
    """Mean nearest anion-centre to anion-centre distance, Å (``d``), periodic images included."""
    struct = to_structure(structure)
    cart = anion_centres(struct, centre_elements, cluster_cutoff_a)
    lattice: Lattice = struct.lattice
    centres = Structure(lattice, ["He"] * len(cart), cart, coords_are_cartesian=True)
    radius = 4.0
    while True:
        i_idx, _, _, dist = centres.get_neighbor_list(radius)
        keep = dist > 1e-6
        nearest = np.full(len(cart), np.inf)
        np.minimum.at(nearest, i_idx[keep], dist[keep])
        if np.all(np.isfinite(nearest)):
            return float(nearest.mean())
        radius *= 2.0
        if radius > 200.0:
            raise DescriptorError("no neighbouring anion centre within 200 Å")


def moving_cation_binding_energy(
    atoms: Atoms, cation: str, calculator: Calculator, index: int | None = None, box_a: float = 20.0
) -> float:
    """Binding energy of the moving cation (``b_m``, eV): E(crystal) − E(crystal − cation) − E(cation).

    Parameters
    ----------
    atoms
        The crystal (periodic), unchanged by the call.
    cation
        Symbol of the moving cation; the first such atom is removed unless ``index`` is given.
    calculator
        Any ASE calculator (e.g. from ``sselab.simulate.potentials.get_calculator``), used for all three
        energies.
    index
        Which atom to remove.
    box_a
        Edge of the cubic periodic box holding the isolated cation, Å.
    """
    symbols = atoms.get_chemical_symbols()
    if index is None:
        if cation not in symbols:
            raise DescriptorError(f"no {cation} atom in {atoms.get_chemical_formula()}")
        index = symbols.index(cation)
    elif symbols[index] != cation:
        raise DescriptorError(f"atom {index} is {symbols[index]}, not the cation {cation}")
    crystal = atoms.copy()
    crystal.calc = calculator
    e_crystal = float(crystal.get_potential_energy())
    vacancy = atoms.copy()
    del vacancy[index]
    vacancy.calc = calculator
    e_vacancy = float(vacancy.get_potential_energy())
    isolated = Atoms(cation, positions=[(box_a / 2,) * 3], cell=[box_a] * 3, pbc=atoms.pbc)
    isolated.calc = calculator
    e_isolated = float(isolated.get_potential_energy())
    logger.info("b_m(%s): E=%.4f, E-cation=%.4f, E(ion)=%.4f eV", cation, e_crystal, e_vacancy, e_isolated)
    return e_crystal - e_vacancy - e_isolated


def structure_descriptors(
    structure: Structure | Atoms | str,
    parsed: ParsedFormula,
    calculator: Calculator | None = None,
    centre_elements: Sequence[str] | None = None,
) -> dict[str, Any]:
    """``V`` and ``d`` of a structure, and ``b_m`` when a calculator is given (else NaN).

    Returns
    -------
    dict[str, float]
        ``V`` (Å³/f.u.), ``d`` (Å), ``b_m`` (eV).
    """
    # lazy: pymatgen.io loads its I/O stack (~0.5 s)
    from pymatgen.io.ase import AseAtomsAdaptor

    struct = to_structure(structure)
    centres = tuple(centre_elements) if centre_elements else default_centre_elements(parsed)
    out = {
        "V": volume_per_formula_unit(struct, parsed.composition),
        "d": anion_centre_distance(struct, centres),
        "b_m": float("nan"),
    }
    if calculator is not None and parsed.cation:
        atoms = AseAtomsAdaptor.get_atoms(struct)
        out["b_m"] = moving_cation_binding_energy(atoms, str(parsed.cation), calculator)
    return out
