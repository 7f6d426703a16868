"""Rigid building blocks of a molecular-crystal structure search: polyatomic anions, neutral molecules,
cations.

Each unit has a starting geometry (from :func:`ase.build.molecule` where the G2 set has it, otherwise built
from
textbook bond lengths and the polyhedron's ideal shape), a formal charge, and can be relaxed once with the
search's
potential (in a vacuum box) and cached on disk.

Example::

    >>> from sselab.structures.units import get_unit
    >>> get_unit("BH4").charge, get_unit("BH4").formula
    (-1, 'BH4')
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.build import molecule
from ase.calculators.calculator import Calculator
from ase.optimize import FIRE
from pymatgen.core import Composition

from sselab.config import get_settings
from sselab.errors import SearchInputError

logger = logging.getLogger(__name__)

#: Bond lengths used to build the units (Å): B–H terminal in borohydrides and closo cages, C–H, N–H, B–N.
B_H_BOND_A = 1.21
CAGE_C_H_BOND_A = 1.10
N_H_BOND_A = 1.01
B_N_BOND_A = 1.66
ICOSAHEDRON_EDGE_A = 1.78


@dataclass(frozen=True)
class MolecularUnit:
    """A rigid unit placed as a whole by the structure search.

    Attributes
    ----------
    name
        Canonical name ("BH4", "B12H12", "NH3", "Mg", ...).
    charge
        Formal charge (e.g. -1 for BH4⁻, +2 for Mg²⁺, 0 for NH3).
    symbols
        Chemical symbols of the atoms.
    positions_a
        Cartesian positions in Å, centred on the centroid, shape (n, 3).
    relaxed_with
        Name of the potential that relaxed the geometry, or ``None`` for the built geometry.
    """

    name: str
    charge: int
    symbols: tuple[str, ...]
    positions_a: tuple[tuple[float, ...], ...]
    relaxed_with: str | None = None

    @property
    def n_atoms(self) -> int:
        """Number of atoms in the unit."""
        return len(self.symbols)

    @property
    def formula(self) -> str:
        """Hill-free formula in the unit's element order, e.g. ``"BH4"``."""
        comp = Composition("".join(self.symbols))
        return "".join(f"{el}{int(n) if n != 1 else ''}" for el, n in comp.get_el_amt_dict().items())

    def to_atoms(self) -> Atoms:
        """The unit as ASE ``Atoms`` (no cell, centred at the origin)."""
        return Atoms(symbols=list(self.symbols), positions=np.array(self.positions_a))

    def radius_a(self) -> float:
        """Largest distance of an atom from the centroid (Å); 0 for a single atom."""
        pos = np.array(self.positions_a)
        return float(np.max(np.linalg.norm(pos, axis=1))) if len(pos) > 1 else 0.0


def _centred(
    symbols: list[str], positions: np.ndarray
) -> tuple[tuple[str, ...], tuple[tuple[float, ...], ...]]:
    pos = np.asarray(positions, dtype=float)
    pos = pos - pos.mean(axis=0)
    return tuple(symbols), tuple(tuple(float(x) for x in row) for row in pos)


def _from_ase(name: str) -> tuple[list[str], np.ndarray]:
    atoms = molecule(name)
    return atoms.get_chemical_symbols(), atoms.get_positions()


def _tetrahedral_bh4() -> tuple[list[str], np.ndarray]:
    d = B_H_BOND_A / np.sqrt(3.0)
    h = np.array([[1, 1, 1], [-1, -1, 1], [-1, 1, -1], [1, -1, -1]], dtype=float) * d
    return ["B", "H", "H", "H", "H"], np.vstack([[0.0, 0.0, 0.0], h])


def _icosahedron_vertices(edge_a: float) -> np.ndarray:
    phi = (1 + np.sqrt(5.0)) / 2
    verts = []
    for s1 in (-1, 1):
        for s2 in (-1, 1):
            verts += [(0, s1, s2 * phi), (s1, s2 * phi, 0), (s2 * phi, 0, s1)]
    v = np.array(verts, dtype=float)
    return v * edge_a / 2.0  # the edge of this vertex set is 2


def _with_radial_h(cage: np.ndarray, cage_symbols: list[str]) -> tuple[list[str], np.ndarray]:
    centre = cage.mean(axis=0)
    hydrogens = []
    for sym, p in zip(cage_symbols, cage, strict=True):
        bond = CAGE_C_H_BOND_A if sym == "C" else B_H_BOND_A
        u = (p - centre) / np.linalg.norm(p - centre)
        hydrogens.append(p + bond * u)
    return cage_symbols + ["H"] * len(cage), np.vstack([cage, np.array(hydrogens)])


def _b12h12(carbon: bool = False) -> tuple[list[str], np.ndarray]:
    cage = _icosahedron_vertices(ICOSAHEDRON_EDGE_A)
    symbols = ["B"] * 12
    if carbon:
        symbols[0] = "C"
    return _with_radial_h(cage, symbols)


def _bicapped_square_antiprism() -> np.ndarray:
    """B10 cage: two squares (edge 1.84 Å) 45° apart, capped by apical atoms 1.70 Å from the square atoms."""
    ring_radius = 1.84 / np.sqrt(2.0)
    half_gap = 0.76  # gives ~1.82 Å between the two squares
    apex = half_gap + np.sqrt(1.70**2 - ring_radius**2)
    pts = [[0.0, 0.0, apex]]
    for k in range(4):
        t = k * np.pi / 2
        pts.append([ring_radius * np.cos(t), ring_radius * np.sin(t), half_gap])
    for k in range(4):
        t = k * np.pi / 2 + np.pi / 4
        pts.append([ring_radius * np.cos(t), ring_radius * np.sin(t), -half_gap])
    pts.append([0.0, 0.0, -apex])
    return np.array(pts)


def _b10h10(carbon: bool = False) -> tuple[list[str], np.ndarray]:
    symbols = ["B"] * 10
    if carbon:
        symbols[0] = "C"
    return _with_radial_h(_bicapped_square_antiprism(), symbols)


def _ammonia_borane() -> tuple[list[str], np.ndarray]:
    """Staggered H3N–BH3 along z (B–N 1.66 Å, N–H 1.01 Å, B–H 1.21 Å, tetrahedral angles)."""
    pos = [[0.0, 0.0, 0.0], [0.0, 0.0, B_N_BOND_A]]
    theta = np.deg2rad(180 - 109.47)
    for k in range(3):
        t = 2 * np.pi * k / 3
        pos.append(
            [
                N_H_BOND_A * np.sin(theta) * np.cos(t),
                N_H_BOND_A * np.sin(theta) * np.sin(t),
                -N_H_BOND_A * np.cos(theta),
            ]
        )
    for k in range(3):
        t = 2 * np.pi * k / 3 + np.pi / 3
        pos.append(
            [
                B_H_BOND_A * np.sin(theta) * np.cos(t),
                B_H_BOND_A * np.sin(theta) * np.sin(t),
                B_N_BOND_A + B_H_BOND_A * np.cos(theta),
            ]
        )
    return ["N", "B", "H", "H", "H", "H", "H", "H"], np.array(pos)


def _isopropylamine() -> tuple[list[str], np.ndarray]:
    """(CH3)2CHNH2 from G2 isobutane: one methyl carbon becomes N (C–N 1.47 Å) and loses one H (N–H 1.01
    Å)."""
    atoms = molecule("isobutane")
    symbols = atoms.get_chemical_symbols()
    pos = atoms.get_positions()
    carbons = [i for i, s in enumerate(symbols) if s == "C"]
    centre_c = min(carbons, key=lambda i: np.sum(np.linalg.norm(pos[carbons] - pos[i], axis=1)))
    methyl = next(i for i in carbons if i != centre_c)
    hydrogens = [i for i, s in enumerate(symbols) if s == "H" and np.linalg.norm(pos[i] - pos[methyl]) < 1.2]
    u = (pos[methyl] - pos[centre_c]) / np.linalg.norm(pos[methyl] - pos[centre_c])
    new_n = pos[centre_c] + 1.47 * u
    shift = new_n - pos[methyl]
    out_symbols, out_pos = [], []
    for i, (s, p) in enumerate(zip(symbols, pos, strict=True)):
        if i == hydrogens[0]:
            continue
        if i == methyl:
            out_symbols.append("N")
            out_pos.append(new_n)
        elif i in hydrogens:
            v = p + shift - new_n
            out_symbols.append("H")
            out_pos.append(new_n + N_H_BOND_A * v / np.linalg.norm(v))
        else:
            out_symbols.append(s)
            out_pos.append(p)
    return out_symbols, np.array(out_pos)


_BUILDERS: dict[str, tuple[int, Callable[[], tuple[list[str], np.ndarray]]]] = {
    "BH4": (-1, _tetrahedral_bh4),
    "B10H10": (-2, lambda: _b10h10(carbon=False)),
    "B12H12": (-2, lambda: _b12h12(carbon=False)),
    "CB9H10": (-1, lambda: _b10h10(carbon=True)),
    "CB11H12": (-1, lambda: _b12h12(carbon=True)),
    "NH3": (0, lambda: _from_ase("NH3")),
    "H2O": (0, lambda: _from_ase("H2O")),
    "CH3NH2": (0, lambda: _from_ase("H3CNH2")),
    "NH3BH3": (0, _ammonia_borane),
    "(CH3)2CHNH2": (0, _isopropylamine),
}

#: Other spellings of the unit names (as a formula parser may return them).
ALIASES: dict[str, str] = {
    "BNH6": "NH3BH3",
    "H3NBH3": "NH3BH3",
    "BH3NH3": "NH3BH3",
    "C3H9N": "(CH3)2CHNH2",
    "C3H7NH2": "(CH3)2CHNH2",
    "CH5N": "CH3NH2",
    "H3N": "NH3",
    "OH2": "H2O",
    "H2CB11H10": "CB11H12",
    "CB11H12": "CB11H12",
    "CB9H10": "CB9H10",
}

#: Charges of single-atom cations the search accepts.
CATION_CHARGES: dict[str, int] = {
    "Li": 1,
    "Na": 1,
    "K": 1,
    "Rb": 1,
    "Cs": 1,
    "Mg": 2,
    "Ca": 2,
    "Sr": 2,
    "Ba": 2,
    "Zn": 2,
    "Al": 3,
    "Y": 3,
}


def known_units() -> tuple[str, ...]:
    """Names of the polyatomic units in the library."""
    return tuple(_BUILDERS)


def canonical_unit_name(name: str) -> str:
    """Return the library name for ``name`` (alias or composition match), else raise
    :class:`SearchInputError`."""
    if name in _BUILDERS or name in CATION_CHARGES:
        return name
    if name in ALIASES:
        return ALIASES[name]
    try:
        target = Composition(name)
    except Exception:
        target = None
    if target is not None:
        for key in _BUILDERS:
            if Composition(key) == target:
                return key
    raise SearchInputError(
        f"unknown structure-search unit {name!r}: known units are {', '.join(_BUILDERS)} "
        f"and cations {', '.join(CATION_CHARGES)}"
    )


def get_unit(name: str) -> MolecularUnit:
    """The built (unrelaxed) geometry of a unit or single-atom cation.

    Parameters
    ----------
    name
        Unit name or alias ("BH4", "B12H12", "NH3", "(CH3)2CHNH2", "Mg", ...).

    Raises
    ------
    SearchInputError
        If the unit is not in the library.
    """
    key = canonical_unit_name(name)
    if key in CATION_CHARGES:
        return MolecularUnit(
            name=key, charge=CATION_CHARGES[key], symbols=(key,), positions_a=((0.0, 0.0, 0.0),)
        )
    charge, builder = _BUILDERS[key]
    symbols, positions = _centred(*builder())
    return MolecularUnit(name=key, charge=charge, symbols=symbols, positions_a=positions)


def _cache_file(cache_dir: Path, unit_name: str, potential: str) -> Path:
    safe = unit_name.replace("(", "_").replace(")", "_")
    return cache_dir / "structure_units" / potential / f"{safe}.json"


def relaxed_unit(
    name: str,
    calculator: Calculator,
    potential: str,
    *,
    cache_dir: Path | None = None,
    box_a: float = 14.0,
    fmax_ev_per_a: float = 0.05,
    max_steps: int = 200,
) -> MolecularUnit:
    """The unit relaxed once with ``calculator`` in a vacuum box, cached on disk per potential.

    Parameters
    ----------
    name
        Unit name (see :func:`get_unit`).
    calculator
        ASE calculator of the potential.
    potential
        Name of the potential, used as the cache key (e.g. ``"chgnet"``).
    cache_dir
        Cache root; default ``get_settings().cache_dir``.
    box_a
        Edge of the cubic vacuum box (Å).
    fmax_ev_per_a, max_steps
        FIRE convergence criterion (eV/Å) and step budget.
    """
    unit = get_unit(name)
    if unit.n_atoms == 1:
        return unit
    root = cache_dir if cache_dir is not None else get_settings().cache_dir
    path = _cache_file(root, unit.name, potential)
    if path.exists():
        data = json.loads(path.read_text())
        return MolecularUnit(
            name=unit.name,
            charge=unit.charge,
            symbols=tuple(data["symbols"]),
            positions_a=tuple(tuple(p) for p in data["positions_a"]),
            relaxed_with=potential,
        )
    atoms = unit.to_atoms()
    atoms.set_cell([box_a] * 3)
    atoms.center()
    atoms.pbc = True
    atoms.calc = calculator
    FIRE(atoms, logfile=None).run(fmax=fmax_ev_per_a, steps=max_steps)
    symbols, positions = _centred(atoms.get_chemical_symbols(), atoms.get_positions())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {"symbols": symbols, "positions_a": positions, "energy_ev": float(atoms.get_potential_energy())}
        )
    )
    logger.info("relaxed unit %s with %s, cached at %s", unit.name, potential, path)
    return MolecularUnit(
        name=unit.name, charge=unit.charge, symbols=symbols, positions_a=positions, relaxed_with=potential
    )
