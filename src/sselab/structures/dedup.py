"""Duplicate detection of relaxed candidates with pymatgen's ``StructureMatcher``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ase import Atoms
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

if TYPE_CHECKING:
    from sselab.structures.search import Individual

#: Matcher used for duplicates and for comparing with reference structures (tolerances of pymatgen's defaults,
#: slightly looser on sites because short relaxations leave structures a little off their minimum).
MATCHER = StructureMatcher(
    ltol=0.2, stol=0.4, angle_tol=5, primitive_cell=True, scale=True, attempt_supercell=True
)


def to_structure(atoms: Atoms) -> Structure:
    """pymatgen ``Structure`` of periodic ``atoms`` (tags dropped)."""
    plain = Atoms(numbers=atoms.numbers, positions=atoms.get_positions(), cell=atoms.get_cell(), pbc=True)
    return AseAtomsAdaptor.get_structure(plain)


def same_structure(a: Atoms | Structure, b: Atoms | Structure, matcher: StructureMatcher = MATCHER) -> bool:
    """Whether two structures match (``StructureMatcher.fit``)."""
    sa = a if isinstance(a, Structure) else to_structure(a)
    sb = b if isinstance(b, Structure) else to_structure(b)
    return bool(matcher.fit(sa, sb))


def find_duplicate(
    atoms: Atoms,
    enthalpy_ev_per_atom: float,
    pool: list[Individual],
    cache: dict[str, Any],
    window_ev_per_atom: float,
) -> str | None:
    """Key of an individual in ``pool`` that ``atoms`` duplicates, or ``None``.

    Only pool members within ``window_ev_per_atom`` (eV/atom) are compared; ``cache`` keeps their pymatgen
    structures between calls.
    """
    candidate: Structure | None = None
    for other in pool:
        if abs(other.enthalpy_ev_per_atom - enthalpy_ev_per_atom) > window_ev_per_atom:
            continue
        if candidate is None:
            candidate = to_structure(atoms)
        if other.key not in cache:
            cache[other.key] = to_structure(other.atoms)
        if MATCHER.fit(candidate, cache[other.key]):
            return other.key
    return None
