"""The import boundary: every value is checked before it may be stored, and every refusal is reported.

Every import, of a registered dataset or of any other table (:func:`sselab.datasets.importing.import_parsed`),
passes through :func:`screen_parsed_file` here before the store is touched. Importers read cells with the
helpers of this module (:func:`number_cell`, :func:`text_cell`) so that a refusal names the file's own
column and keeps the raw text; the screen then checks every record again, whatever built it:

* the plausible ranges of a literature value, :data:`sselab.store.limits.IMPORT_RANGES` (T, σ, Ea, lattice
  lengths and angles), with a hint when the unit looks wrong (Ea 45 "eV" is 0.47 eV if it was kJ/mol), and
  the store's own checks (physical ranges, text that fits its column);
* numbers as written: a dangling or single-zero exponent (``2.90E-0``: a truncated ``2.90E-04``), bounds
  (``<1E-10``), ``inf``/``nan``, over-long cells, control characters (NUL);
* exact duplicate rows (same material, quantity, conditions, source and value): the later one is skipped;
* structures: parsed by pymatgen, at most :data:`~sselab.store.limits.MAX_STRUCTURE_SITES` sites, no two
  atoms closer than :data:`~sselab.store.limits.MIN_INTERATOMIC_DISTANCE_A` unless their occupancies allow
  it (split sites).

Nothing is changed silently: a refused value is listed in the report with its row, field, reason and raw text.

Example::

    >>> from sselab.datasets.importers._common import ParsedFile
    >>> out = ParsedFile("demo", "demo.csv", "0" * 64)
    >>> number_cell(out, 7, "Ea (eV)", "45", "activation_energy_ev") is None
    True
    >>> out.skipped[0].reason.split(";")[0]
    '45 eV is outside the plausible range 0 < Ea <= 5 eV'
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from sselab.datasets.importers._common import ParsedFile
from sselab.errors import DataImportError
from sselab.progress import report_progress
from sselab.store import validation as store_validation
from sselab.store.keys import identity
from sselab.store.limits import IMPORT_RANGES, MAX_STRUCTURE_SITES, MIN_INTERATOMIC_DISTANCE_A, out_of_range
from sselab.store.records import ActivationEnergyRecord, ConductivityRecord, StructureRecord

MAX_NUMBER_CHARS = 40
"""Longest number cell accepted (characters)."""
MAX_CELL_CHARS = 10_000
"""Longest text cell accepted (characters)."""
OCCUPANCY_TOLERANCE = 0.2
"""Two sites closer than the minimum distance are refused when their occupancies sum to more than 1 + this."""

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DANGLING_EXPONENT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?")
_SINGLE_ZERO_EXPONENT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?0")
_EV_PER_KJ_PER_MOL = 1 / 96.485
_EV_PER_KCAL_PER_MOL = 1 / 23.0605
_PLAUSIBLE_EA = (0.01, 3.0)
_STRIP = " \t\u00a0"


class CellProblem(ValueError):
    """Why a cell is not a readable value (the reason is the message)."""


def parse_number(text: Any) -> float | None:
    """A number cell as written: ``None`` when blank, else a finite float, else :class:`CellProblem`.

    Accepted: an optional sign, digits with an optional decimal point, an optional exponent of one or more
    digits (not a single ``0``, see below). Refused with the reason: bounds (``<1E-10``), ``inf``/``nan``,
    text, thousands separators, an exponent that is missing (``2.9E``) or a single zero (``2.90E-0``, what a
    truncated ``2.90E-04`` looks like), cells longer than :data:`MAX_NUMBER_CHARS`, control characters.

    >>> parse_number(" 2.9E-04 "), parse_number(""), parse_number(0.53)
    (0.00029, None, 0.53)
    """
    if text is None:
        return None
    if isinstance(text, bool):
        raise CellProblem(f"a boolean ({text}), not a number")
    if isinstance(text, int | float | np.integer | np.floating):
        value = float(text)
        if value != value:  # NaN: a blank spreadsheet cell
            return None
        if value in (float("inf"), float("-inf")):
            raise CellProblem("infinite")
        return value
    cell = str(text).strip(_STRIP)
    if not cell:
        return None
    if len(cell) > MAX_NUMBER_CHARS:
        raise CellProblem(f"{len(cell)} characters, longer than any number ({MAX_NUMBER_CHARS})")
    bad = store_validation.control_character(cell)
    if bad is not None:
        raise CellProblem(f"holds the control character {bad}")
    if cell[0] in "<>≤≥~":
        raise CellProblem("a bound, not a value")
    if _DANGLING_EXPONENT.fullmatch(cell):
        raise CellProblem("the exponent is missing: the number looks cut off (truncated?)")
    if _SINGLE_ZERO_EXPONENT.fullmatch(cell):
        raise CellProblem(
            "an exponent of a single 0 looks cut off (e.g. 2.90E-04 truncated to 2.90E-0); write the number "
            "without the exponent if it is meant"
        )
    if not _NUMBER.fullmatch(cell):
        raise CellProblem("not a number")
    return float(cell)


def quantity_problem(quantity: str, value: float) -> str | None:
    """Why ``value`` of ``quantity`` (an :data:`~sselab.store.limits.IMPORT_RANGES` key) cannot be imported.

    The reason adds a unit hint where one is plausible: an Ea above 5 "eV" that is a plausible Ea in kJ/mol,
    kcal/mol or meV; a negative conductivity that is a plausible log10 σ.
    """
    problem = out_of_range(quantity, value, IMPORT_RANGES)
    if problem is None:
        return None
    if quantity == "activation_energy_ev" and value > 0:
        hints = [
            f"as {unit} it would be {value * factor:.3g} eV"
            for unit, factor in (
                ("kJ/mol", _EV_PER_KJ_PER_MOL),
                ("kcal/mol", _EV_PER_KCAL_PER_MOL),
                ("meV", 1e-3),
            )
            if _PLAUSIBLE_EA[0] <= value * factor <= _PLAUSIBLE_EA[1]
        ]
        if hints:
            problem += "; the unit looks wrong: " + ", ".join(hints) + " (not converted: fix the unit)"
    elif quantity == "conductivity_s_per_cm" and -20 < value < 0:
        problem += f"; a log10 value? 10^{value:g} = {10**value:.3g} S/cm (not converted)"
    elif quantity == "conductivity_s_per_cm" and value > 0:
        problem += "; check the unit (mS/cm, µS/cm, S/m?) and the column (an electronic conductivity?)"
    return problem


def number_cell(out: ParsedFile, row: int, field: str, raw: Any, quantity: str | None = None) -> float | None:
    """Read a number cell of ``row``; a blank cell is ``None``, a bad one is skipped on ``out`` and ``None``.

    Parameters
    ----------
    out
        The file being read (receives the skipped field).
    row, field
        Row number and column name, as the report shows them.
    raw
        The cell as read.
    quantity
        An :data:`~sselab.store.limits.IMPORT_RANGES` key whose range the value must satisfy, in that unit
        (convert first, e.g. °C to K, and check the converted value with :func:`quantity_problem`).
    """
    try:
        value = parse_number(raw)
    except CellProblem as unreadable:
        out.skip(row, field, str(unreadable), raw)
        return None
    if value is None or quantity is None:
        return value
    problem = quantity_problem(quantity, value)
    if problem is not None:
        out.skip(row, field, problem, raw)
        return None
    return value


def text_cell(out: ParsedFile, row: int, field: str, raw: Any, max_chars: int = MAX_CELL_CHARS) -> str | None:
    """A text cell stripped of surrounding space; ``None`` when blank; skipped on ``out`` when unreadable."""
    if raw is None:
        return None
    text = str(raw).strip(_STRIP)
    if not text:
        return None
    problem = store_validation.text_problem(text, max_chars)
    if problem is not None:
        out.skip(row, field, problem, raw)
        return None
    return text


# ------------------------------------------------------------------------------------------------ structures
def _loops(text: str) -> list[tuple[list[str], int]]:
    """(header names, number of data lines) of each ``loop_`` of a CIF (a cheap scan before parsing)."""
    out: list[tuple[list[str], int]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip().lower().startswith("loop_"):
            i += 1
            names: list[str] = []
            while i < len(lines) and lines[i].strip().startswith("_"):
                names.append(lines[i].strip().lower())
                i += 1
            count = 0
            while (
                i < len(lines)
                and lines[i].strip()
                and not lines[i].strip().startswith(("_", "loop_", "data_"))
            ):
                count += 1
                i += 1
            out.append((names, count))
        else:
            i += 1
    return out


def estimated_sites(cif: str) -> int:
    """Sites a CIF expands to, at most: asymmetric-unit atoms x symmetry operations (192 when not listed)."""
    loops = _loops(cif)
    atoms = sum(n for names, n in loops if "_atom_site_fract_x" in names or "_atom_site_cartn_x" in names)
    keys = ("_symmetry_equiv_pos_as_xyz", "_space_group_symop_operation_xyz")
    operations = sum(n for names, n in loops if any(k in names for k in keys))
    return atoms * (operations or 192)


def structure_problem(cif: str) -> str | None:
    """Why a CIF cannot be stored as a structure (``None`` when it can).

    It must parse with pymatgen (``on_error="raise"``: atoms stacked on one site are refused), expand to at
    most :data:`~sselab.store.limits.MAX_STRUCTURE_SITES` sites (estimated before parsing, so that a huge
    CIF is never expanded), and hold no two sites closer than
    :data:`~sselab.store.limits.MIN_INTERATOMIC_DISTANCE_A` whose occupancies sum to more than
    1 + :data:`OCCUPANCY_TOLERANCE` (two partly occupied split sites may be close: only one is occupied).
    """
    estimate = estimated_sites(cif)
    if estimate > 4 * MAX_STRUCTURE_SITES:
        return f"expands to about {estimate} sites, more than the limit of {MAX_STRUCTURE_SITES}"
    # lazy: pymatgen.io loads pymatgen's I/O stack (~0.5 s); only structures need it
    from pymatgen.io.cif import CifParser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            structures = CifParser.from_str(cif).parse_structures(primitive=False, on_error="raise")
    except Exception as exc:  # pymatgen raises ValueError, KeyError, IndexError ... on a bad CIF
        first = (str(exc) or type(exc).__name__).splitlines()[0][:200]
        return f"pymatgen cannot read the CIF: {first}"
    if not structures:
        return "pymatgen finds no structure in the CIF"
    structure = structures[0]
    if len(structure) > MAX_STRUCTURE_SITES:
        return f"{len(structure)} sites, more than the limit of {MAX_STRUCTURE_SITES}"
    if len(structure) < 2:
        return None
    distances = np.array(structure.distance_matrix, dtype=float)
    np.fill_diagonal(distances, np.inf)
    occupancy = np.array([float(sum(site.species.values())) for site in structure])
    both = occupancy[:, None] + occupancy[None, :] > 1 + OCCUPANCY_TOLERANCE
    close = np.argwhere((distances < MIN_INTERATOMIC_DISTANCE_A) & both)
    if len(close):
        i, j = close[0]
        return (
            f"sites {i} ({structure[i].species_string}) and {j} ({structure[j].species_string}) are "
            f"{distances[i, j]:.3f} Å apart, closer than {MIN_INTERATOMIC_DISTANCE_A} Å (overlapping atoms)"
        )
    return None


# ------------------------------------------------------------------------------------------------ the screen
_RECORD_CHECKS: dict[type, Callable[[Any, str | None, int], None]] = {
    ConductivityRecord: store_validation.validate_conductivity,
    ActivationEnergyRecord: store_validation.validate_activation_energy,
    StructureRecord: store_validation.validate_structure,
}


_IMPORT_CHECKED = {
    ConductivityRecord: (
        ("temperature_k", "temperature_k"),
        ("conductivity_s_per_cm", "conductivity_s_per_cm"),
    ),
    ActivationEnergyRecord: (
        ("activation_energy_ev", "activation_energy_ev"),
        ("uncertainty_ev", "uncertainty_ev"),
        ("temperature_min_k", "temperature_k"),
        ("temperature_max_k", "temperature_k"),
    ),
}


def import_range_problem(record: Any) -> tuple[str, str] | None:
    """``(field, reason)`` of the first value of ``record`` outside the import ranges."""
    for field, quantity in _IMPORT_CHECKED.get(type(record), ()):
        value = getattr(record, field)
        if value is not None:
            problem = quantity_problem(quantity, value)
            if problem is not None:
                return field, problem
    return None


def _raw_value(record: Any, field: str | None) -> str:
    value = getattr(record, field, None) if field else None
    if field == "material" or value is None:
        value = getattr(record.material, "formula", record.material)
    return str(value)[:500]


def screen_parsed_file(parsed: ParsedFile, *, check_structures: bool = True) -> ParsedFile:
    """The boundary check of a file's records (in place; returns ``parsed``).

    Every record is checked with the store's own validation (ranges, text) and refused records are moved
    to ``parsed.skipped`` with their row, field and value, so that the store never refuses the batch; with
    ``check_structures`` every CIF is checked by :func:`structure_problem`. A row whose records all equal
    those of an earlier row (same material, quantity, conditions, source and value) is a duplicate: it is
    skipped and the report names the first row (with ``parsed.keep_repeated_rows``, as for an sselab export,
    it is kept with a warning). Rows that keep no record are no longer counted as imported.
    """
    rows_with_records = {r.row_number for r in _records(parsed) if r.row_number is not None}

    def valid(record: Any) -> bool:
        row = record.row_number if record.row_number is not None else 0
        try:
            _RECORD_CHECKS[type(record)](record, parsed.file_name, row)
        except DataImportError as error:
            reason = str(error).split(": ", 1)[-1] if error.field else str(error)
            parsed.skip(row, error.field, reason, _raw_value(record, error.field))
            return False
        outside = import_range_problem(record)
        if outside is not None:
            parsed.skip(row, outside[0], outside[1], _raw_value(record, outside[0]))
            return False
        if isinstance(record, StructureRecord) and check_structures:
            problem = structure_problem(record.cif)
            if problem is not None:
                parsed.skip(row, "cif", f"structure not stored: {problem}", record.cif[:200])
                return False
        return True

    parsed.conductivities = [r for r in parsed.conductivities if valid(r)]
    parsed.activation_energies = [r for r in parsed.activation_energies if valid(r)]
    kept_structures = []
    for number, record in enumerate(parsed.structures, start=1):
        if valid(record):
            kept_structures.append(record)
        report_progress(number, len(parsed.structures), label=f"{parsed.dataset} CIF checks", unit="CIFs")
    parsed.structures = kept_structures
    group_of = {
        id(record): record.row_number if record.row_number is not None else ("record", index)
        for index, record in enumerate(_records(parsed))
    }
    by_row: dict[Any, list[tuple[Any, ...]]] = {}
    for record in _records(parsed):
        by_row.setdefault(group_of[id(record)], []).append(identity(record, parsed.dataset))
    first_row: dict[tuple[Any, ...], Any] = {}
    duplicates: set[Any] = set()
    for group, identities in by_row.items():
        signature = tuple(sorted(identities, key=repr))
        first = first_row.setdefault(signature, group)
        if first != group:
            where = f"row {first}" if isinstance(first, int) else "an earlier record"
            if parsed.keep_repeated_rows:
                parsed.warn(group if isinstance(group, int) else None, f"repeats {where} exactly; kept")
                continue
            duplicates.add(group)
            parsed.skip(
                group if isinstance(group, int) else 0,
                None,
                f"duplicate of {where}: the same material, quantity, conditions, source and value",
                "",
            )
    if duplicates:
        parsed.conductivities = [r for r in parsed.conductivities if group_of[id(r)] not in duplicates]
        parsed.activation_energies = [
            r for r in parsed.activation_energies if group_of[id(r)] not in duplicates
        ]
        parsed.structures = [r for r in parsed.structures if group_of[id(r)] not in duplicates]
    remaining = {r.row_number for r in _records(parsed)}
    parsed.imported_rows -= rows_with_records - remaining
    return parsed


def _records(parsed: ParsedFile) -> Iterable[Any]:
    yield from parsed.conductivities
    yield from parsed.activation_energies
    yield from parsed.structures
