"""Random symmetric molecular crystals (PyXtal) as tagged ASE ``Atoms`` for the structure search.

Every rigid unit (polyatomic ion, neutral molecule, single-atom cation) becomes one tag value, numbered 0..n-1
in a
fixed order (the :class:`~sselab.structures.cell.SearchCell` order), and the atoms of every individual come in
the
same order, which the ``ase-ga`` operators require (``use_tags=True``).

PyXtal's volume estimate for molecular crystals of small ions is loose (about twice the experimental volume of
LiBH4), so each generated cell is compressed isotropically with rigid units (unit centroids keep their
fractional
coordinates) to the densest scaling that respects the minimum distances, then expanded by ``volume_factor``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers, covalent_radii
from pymatgen.core import Composition, Molecule

from sselab.errors import SearchInputError
from sselab.structures.cell import SearchCell
from sselab.structures.units import MolecularUnit

logger = logging.getLogger(__name__)

#: Space groups sampled by default: the most common ones of molecular and ionic crystals, low to high
#: symmetry.
DEFAULT_SPACE_GROUPS = (
    1,
    2,
    4,
    5,
    7,
    9,
    12,
    13,
    14,
    15,
    18,
    19,
    29,
    33,
    36,
    43,
    60,
    61,
    62,
    63,
    88,
    92,
    96,
    122,
    148,
)
#: Shortest distance between atoms of different units in generated cells (Å), whatever the radii say.
MIN_INTERUNIT_DISTANCE_A = 1.5


@dataclass(frozen=True)
class GeneratorSettings:
    """How random structures are drawn.

    Attributes
    ----------
    space_groups
        Space groups sampled uniformly (groups whose Wyckoff positions cannot hold the units are skipped).
    volume_factor
        Volume of the generated cell relative to the densest rigid-unit packing found (dimensionless, ≥ 1).
    max_attempts
        Attempts (PyXtal calls) per structure before giving up: the stated retry budget.
    distance_ratio
        Minimum distance between atoms of different units as a fraction of the covalent-radius sum.
    """

    space_groups: tuple[int, ...] = DEFAULT_SPACE_GROUPS
    volume_factor: float = 1.15
    max_attempts: int = 40
    distance_ratio: float = 1.0


def min_distances(
    numbers: list[int] | np.ndarray, ratio: float = 1.0, floor_a: float = MIN_INTERUNIT_DISTANCE_A
) -> dict[tuple[int, int], float]:
    """``blmin`` dictionary for ``ase-ga``: ``max(ratio × (r_cov,i + r_cov,j), floor_a)`` in Å."""
    unique = sorted({int(n) for n in numbers})
    return {
        (i, j): max(ratio * (covalent_radii[i] + covalent_radii[j]), floor_a) for i in unique for j in unique
    }


def _pyxtal_molecule(unit: MolecularUnit, rng: np.random.Generator):
    # lazy: pyxtal is in the optional search extra (and takes ~1 s to import)
    from pyxtal.molecule import pyxtal_molecule

    seed = int(rng.integers(2**31))
    return pyxtal_molecule(
        Molecule(list(unit.symbols), np.array(unit.positions_a)), fix=True, random_state=seed
    )


def _tagged_atoms(crystal, cell: SearchCell) -> Atoms:
    """Collect PyXtal's molecule sites into one tagged ``Atoms`` in the cell's unit order."""
    per_unit: dict[str, list[tuple[list[str], np.ndarray]]] = {u.name: [] for u, _ in cell.units}
    order = {u.name: i for i, (u, _) in enumerate(cell.units)}
    for site in crystal.mol_sites:
        coords, species = site.get_coords_and_species(absolute=True)
        n = len(site.molecule.mol)
        formula = site.molecule.mol.composition.reduced_formula
        unit = next(u for u, _ in cell.units if _reduced(u) == formula and u.n_atoms == n)
        for k in range(0, len(coords), n):
            per_unit[unit.name].append((list(species[k : k + n]), np.asarray(coords[k : k + n])))
    symbols: list[str] = []
    positions: list[np.ndarray] = []
    tags: list[int] = []
    tag = 0
    for unit, count in sorted(cell.units, key=lambda uc: order[uc[0].name]):
        found = per_unit[unit.name]
        if len(found) != count:
            raise RuntimeError(f"PyXtal placed {len(found)} {unit.name}, expected {count}")
        template = sorted(unit.symbols)
        for species, coords in found:
            idx = sorted(range(len(species)), key=lambda i: species[i])  # canonical atom order inside a unit
            if [species[i] for i in idx] != template:
                raise RuntimeError(f"PyXtal changed the atoms of {unit.name}")
            symbols += [species[i] for i in idx]
            positions.append(coords[idx])
            tags += [tag] * len(idx)
            tag += 1
    atoms = Atoms(symbols=symbols, positions=np.vstack(positions), cell=crystal.lattice.matrix, pbc=True)
    atoms.set_tags(tags)
    return atoms


def _reduced(unit: MolecularUnit) -> str:
    return Composition("".join(unit.symbols)).reduced_formula


def scale_rigid(atoms: Atoms, factor: float) -> Atoms:
    """Scale the cell by ``factor`` (lengths) moving whole units: centroids keep fractional coordinates."""
    # lazy: ase-ga is in the optional search extra
    from ase_ga.utilities import gather_atoms_by_tag

    out = atoms.copy()
    gather_atoms_by_tag(out)
    tags = out.get_tags()
    pos = out.get_positions()
    new_pos = pos.copy()
    for tag in np.unique(tags):
        idx = np.where(tags == tag)[0]
        centre = pos[idx].mean(axis=0)
        new_pos[idx] = pos[idx] - centre + centre * factor
    out.set_cell(out.get_cell() * factor, scale_atoms=False)
    out.set_positions(new_pos)
    out.wrap()
    return out


def compress(atoms: Atoms, blmin: dict[tuple[int, int], float], volume_factor: float) -> Atoms:
    """Densest isotropic rigid-unit scaling without short contacts (bisection), then ``volume_factor`` ×
    volume."""
    # lazy: ase-ga is in the optional search extra
    from ase_ga.utilities import atoms_too_close

    low, high = 0.4, 1.0
    if atoms_too_close(atoms, blmin, use_tags=True):
        return atoms
    for _ in range(12):
        mid = 0.5 * (low + high)
        if atoms_too_close(scale_rigid(atoms, mid), blmin, use_tags=True):
            low = mid
        else:
            high = mid
    return scale_rigid(atoms, high * volume_factor ** (1.0 / 3.0))


def random_structure(
    cell: SearchCell, rng: np.random.Generator, settings: GeneratorSettings | None = None
) -> Atoms:
    """One random symmetric crystal of ``cell`` with PyXtal, tagged by unit and compressed.

    Parameters
    ----------
    cell
        Units and counts.
    rng
        Random generator (the caller derives it from the search seed and the individual's index).
    settings
        Space groups, volume factor and retry budget.

    Returns
    -------
    ase.Atoms
        With ``info["space_group"]`` (the group it was generated in) and ``info["attempts"]``.

    Raises
    ------
    SearchInputError
        If no structure could be generated within ``settings.max_attempts`` attempts.
    """
    settings = settings or GeneratorSettings()
    # PyXtal draws some rotations from numpy's global generator: seed it from ``rng`` and restore it
    # afterwards.
    saved = np.random.get_state()
    np.random.seed(int(rng.integers(2**31)))
    try:
        return _generate(cell, rng, settings)
    finally:
        np.random.set_state(saved)


def _generate(cell: SearchCell, rng: np.random.Generator, settings: GeneratorSettings) -> Atoms:
    # lazy: pyxtal is in the optional search extra (and takes ~1 s to import)
    from pyxtal import pyxtal

    molecules = [_pyxtal_molecule(u, rng) for u, _ in cell.units]
    counts = [n for _, n in cell.units]
    numbers = [atomic_numbers[s] for u, _ in cell.units for s in u.symbols]
    blmin = min_distances(numbers, settings.distance_ratio)
    last_error = ""
    for attempt in range(1, settings.max_attempts + 1):
        group = int(rng.choice(settings.space_groups))
        crystal = pyxtal(molecular=True)
        try:
            crystal.from_random(3, group, molecules, counts, factor=1.1, random_state=rng, max_count=3)
        except Exception as exc:
            last_error = f"{type(exc).__name__}: {exc}"
            continue
        if not crystal.valid:
            continue
        try:
            atoms = _tagged_atoms(crystal, cell)
        except (RuntimeError, StopIteration) as exc:
            last_error = str(exc)
            continue
        atoms = compress(atoms, blmin, settings.volume_factor)
        atoms.info["space_group"] = group
        atoms.info["attempts"] = attempt
        return atoms
    raise SearchInputError(
        f"could not generate a random crystal of {cell.formula} (Z={cell.z}) in {settings.max_attempts} "
        f"attempts "
        f"over space groups {settings.space_groups}; last error: {last_error}"
    )
