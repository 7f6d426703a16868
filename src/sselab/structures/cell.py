"""The content of one search cell: which rigid units, how many of each, for a composition and a Z.

Example::

    >>> from sselab.structures.cell import search_cell_from_formula
    >>> cell = search_cell_from_formula("Mg(BH4)2·2NH3", z=2)  # doctest: +SKIP
    >>> [(u.name, n) for u, n in cell.units], cell.n_atoms  # doctest: +SKIP
    ([('Mg', 2), ('BH4', 4), ('NH3', 4)], 38)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sselab.chem import parse_formula
from sselab.errors import FormulaParseError, SearchInputError
from sselab.structures.units import CATION_CHARGES, MolecularUnit, get_unit, relaxed_unit

if TYPE_CHECKING:
    from ase.calculators.calculator import Calculator

#: Largest cell the search accepts by default (atoms); larger cells are too slow for a GA with an MLIP on
#: CPUs.
DEFAULT_MAX_ATOMS = 160


@dataclass(frozen=True)
class SearchCell:
    """Units and counts placed in one periodic cell.

    Attributes
    ----------
    formula
        The composition as written (one formula unit).
    z
        Formula units per cell.
    units
        ``(unit, count per cell)`` in a fixed order: cations, anions, neutral molecules.
    """

    formula: str
    z: int
    units: tuple[tuple[MolecularUnit, int], ...]

    @property
    def n_atoms(self) -> int:
        """Atoms per cell."""
        return sum(u.n_atoms * n for u, n in self.units)

    @property
    def n_units(self) -> int:
        """Rigid units per cell (a single-atom cation counts as one)."""
        return sum(n for _, n in self.units)

    @property
    def cation(self) -> str | None:
        """Symbol of the (first) single-atom cation, if any."""
        return next((u.name for u, _ in self.units if u.n_atoms == 1 and u.charge > 0), None)

    def as_dict(self) -> dict[str, object]:
        """JSON-serialisable summary (formula, z, unit counts, atoms)."""
        return {
            "formula": self.formula,
            "z": self.z,
            "units": {u.name: n for u, n in self.units},
            "n_atoms": self.n_atoms,
        }


def _integer_count(value: float, z: int, what: str, formula: str) -> int:
    total = value * z
    if abs(total - round(total)) > 1e-6 or round(total) < 1:
        raise SearchInputError(
            f"{formula!r} with Z={z}: {what} count {value:g} × {z} = {total:g} is not a positive whole "
            "number; choose a Z that makes every unit count an integer"
        )
    return round(total)


def search_cell(
    formula: str,
    z: int,
    counts_per_formula_unit: list[tuple[str, float]],
    *,
    max_atoms: int = DEFAULT_MAX_ATOMS,
) -> SearchCell:
    """Build and validate a search cell from unit names and counts per formula unit.

    Parameters
    ----------
    formula
        Label of the composition (recorded, not parsed).
    z
        Formula units per cell (≥ 1).
    counts_per_formula_unit
        ``[(unit name, count), ...]``, e.g. ``[("Li", 1), ("BH4", 1)]``.
    max_atoms
        Largest allowed cell (atoms).

    Raises
    ------
    SearchInputError
        Unknown unit, non-integer count for this Z, unbalanced charge, or too many atoms.
    """
    if not isinstance(z, int) or isinstance(z, bool) or z < 1:
        raise SearchInputError(f"{formula!r}: Z must be a positive integer, got {z!r}")
    units: list[tuple[MolecularUnit, int]] = []
    for name, count in counts_per_formula_unit:
        unit = get_unit(name)
        units.append((unit, _integer_count(float(count), z, unit.name, formula)))
    charge = sum(u.charge * n for u, n in units)
    if charge != 0:
        detail = ", ".join(f"{n} {u.name} ({u.charge:+d})" for u, n in units)
        raise SearchInputError(f"{formula!r} is not charge balanced: {detail} sums to {charge:+d} per cell")
    cell = SearchCell(formula=formula, z=z, units=tuple(units))
    if cell.n_atoms > max_atoms:
        raise SearchInputError(
            f"{formula!r} with Z={z} has {cell.n_atoms} atoms per cell, more than the limit of {max_atoms}; "
            "use a smaller Z (or raise max_atoms)"
        )
    return cell


def search_cell_from_formula(formula: str, z: int, *, max_atoms: int = DEFAULT_MAX_ATOMS) -> SearchCell:
    """Units and counts per cell for a composition such as ``"Mg(BH4)2·2NH3"``.

    Parameters
    ----------
    formula
        Composition, read with :func:`sselab.chem.parse_formula`.
    z
        Formula units per cell.
    max_atoms
        Largest allowed cell (atoms).

    Raises
    ------
    SearchInputError
        For an unreadable formula, a composition with an additive or without a known cation, unknown units,
        unbalanced charge, or an impossible Z.
    """
    try:
        parsed = parse_formula(formula)
    except FormulaParseError as exc:
        raise SearchInputError(f"cannot search {formula!r}: {exc}") from exc
    if parsed.additive:
        raise SearchInputError(
            f"{formula!r} contains the additive {parsed.additive}; search the pure phase instead"
        )
    if parsed.cation is None or parsed.cation not in CATION_CHARGES:
        raise SearchInputError(
            f"{formula!r}: no single-atom cation the search knows (found {parsed.cation!r}; "
            f"known: {', '.join(CATION_CHARGES)})"
        )
    counts: list[tuple[str, float]] = [(parsed.cation, float(parsed.cation_count))]
    counts += [(c.name, float(c.count)) for c in parsed.anions]
    counts += [(c.name, float(c.count)) for c in parsed.neutral_molecules]
    cell = search_cell(formula, z, counts, max_atoms=max_atoms)
    declared = {c.name: c.charge for c in parsed.anions}
    for unit, _ in cell.units:
        for name, charge in declared.items():
            if get_unit(name).name == unit.name and charge is not None and charge != unit.charge:
                raise SearchInputError(
                    f"{formula!r}: the formula parser gives {name} charge {charge:+d}, the unit library "
                    f"{unit.charge:+d}"
                )
    return cell


def scan_z(
    formula: str, z_values: range = range(1, 9), *, max_atoms: int = DEFAULT_MAX_ATOMS
) -> list[SearchCell]:
    """All valid cells for ``formula`` over ``z_values`` (those with integer counts and ≤ ``max_atoms``
    atoms).

    Raises
    ------
    SearchInputError
        If no Z in the range gives a valid cell (the message of the smallest Z is kept).
    """
    cells, first_error = [], None
    for z in z_values:
        try:
            cells.append(search_cell_from_formula(formula, z, max_atoms=max_atoms))
        except SearchInputError as exc:
            first_error = first_error or exc
            if "charge balanced" in str(exc) or "unknown" in str(exc):
                raise
    if not cells:
        raise SearchInputError(f"no Z in {list(z_values)} gives a valid cell for {formula!r}: {first_error}")
    return cells


def with_relaxed_units(cell: SearchCell, calculator: Calculator, potential: str) -> SearchCell:
    """The same cell with every polyatomic unit relaxed once with ``calculator`` (cached per potential on
    disk).

    Parameters
    ----------
    cell
        Cell with built unit geometries.
    calculator
        ASE calculator of the potential.
    potential
        Potential name (the cache key).
    """
    units = tuple((relaxed_unit(u.name, calculator, potential), n) for u, n in cell.units)
    return SearchCell(formula=cell.formula, z=cell.z, units=units)
