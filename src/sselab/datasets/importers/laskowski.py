"""Importer of ``laskowski2023``: the Laskowski et al. 2023 table, as extracted from a PDF (semi-formatted).

The file has no header; its columns are: composition, conductivity (S/cm, room temperature), Ea (eV), space
group, space-group number, an auxiliary text column, ICSD ID, reference number. Each physical line is a row
(line numbers start at 1). What is accepted, and nothing more:

* a line with a composition and a readable conductivity and/or Ea, not continued on the next line;
* number cells as written, after removing surrounding spaces; U+2212 (typographic minus) read as ``-``;
  a trailing U+0305 (combining overline) removed only when the same line writes its triclinic space group with
  ``-1`` instead of a barred 1 – the overline is then that bar, displaced by the extraction. Each such change
  is a per-row warning in the report.

Everything else is reported as unreadable with the raw text, never repaired: records broken over several
lines, compositions with spaces (subscripts displaced by the extraction), numbers with a lost decimal point
(``P05``), bounds such as ``<1E-10``, other stray characters.
"""

from __future__ import annotations

import re
from pathlib import Path

from sselab.datasets.fetch import sha256_of
from sselab.datasets.importers._common import (
    ROOM_TEMPERATURE_K,
    ParsedFile,
    parse_formula_or_error,
    track,
)
from sselab.datasets.readers import read_csv_table
from sselab.datasets.validation import CellProblem, parse_number, quantity_problem, text_cell
from sselab.store.records import ActivationEnergyRecord, ConductivityRecord, SourceRecord
from sselab.store.validation import MAX_FORMULA_CHARS

DATASET = "laskowski2023"
FIELDS = ("composition", "conductivity", "Ea", "space group", "space group #", "aux", "ICSD ID", "reference")
N_FIELDS = len(FIELDS)
DATA_FIELDS = 5
"""The first five columns carry the data; a continuation line with text there breaks the record."""
SOURCE = SourceRecord(
    "10.1039/D2EE03499A",
    citation="F. A. L. Laskowski, D. B. McHaffie, K. A. See, Energy Environ. Sci. 16, 1264 (2023)",
)
COMBINING_OVERLINE = "\u0305"
_LEADING_ZERO = re.compile(r"(?<![\d.])0\d")


def read_laskowski(path: Path, *, progress: bool = False) -> ParsedFile:
    """Read the semi-formatted CSV at ``path``; row numbers are physical line numbers.

    Raises
    ------
    DataImportError
        When a line does not have the file's eight fields (a structurally broken file).
    """
    table = read_csv_table(path, header=False, expected_fields=N_FIELDS)
    lines = [list(row.cells) for row in table.rows]
    numbers = [row.line for row in table.rows]
    out = ParsedFile(DATASET, path.name, sha256_of(path), rows_read=len(lines) + len(table.problems))
    out.skipped.extend(table.problems)
    out.assumptions.append(
        f"conductivities are the table's room-temperature values (S/cm), stored at {ROOM_TEMPERATURE_K} K"
    )
    out.assumptions.append(
        "Ea (eV) stored as method 'experiment' with the Laskowski et al. 2023 DOI as source; the table's "
        "reference number is kept in the note"
    )
    out.assumptions.append(
        "records broken over several lines are not reassembled (reported per line); see the module docstring "
        "for the exact rules on cells"
    )
    index = 0
    with_progress = track(range(len(lines)), total=len(lines), description=DATASET, progress=progress)
    for index in with_progress:
        _classify(out, lines, index, numbers)
    return out


def _classify(out: ParsedFile, lines: list[list[str]], index: int, numbers: list[int]) -> None:
    cells = [cell.strip() for cell in lines[index]]
    number = numbers[index]
    raw = ",".join(lines[index])
    if not cells[0]:
        start = _group_start(lines, index)
        if start is not None and _group_is_broken(lines, start):
            out.skip(
                number, None, f"part of a record broken over lines starting at line {numbers[start]}", raw
            )
        else:
            out.skip(number, None, "continuation line with only auxiliary text (columns 6-8); no data", raw)
        return
    if not any(cells[1:]):
        out.skip(number, "composition", "line holds only a composition fragment (broken line); no data", raw)
        return
    if _group_is_broken(lines, index):
        out.skip(number, None, "record continues on the next line(s) with data cells; not reassembled", raw)
        return
    _read_data_line(out, number, cells, raw)


def _group_start(lines: list[list[str]], index: int) -> int | None:
    while index >= 0 and not lines[index][0].strip():
        index -= 1
    return index if index >= 0 else None


def _group_is_broken(lines: list[list[str]], start: int) -> bool:
    index = start + 1
    while index < len(lines) and not lines[index][0].strip():
        if any(cell.strip() for cell in lines[index][1:DATA_FIELDS]):
            return True
        index += 1
    return False


def _read_data_line(out: ParsedFile, number: int, cells: list[str], raw: str) -> None:
    formula = text_cell(out, number, "composition", cells[0], MAX_FORMULA_CHARS)
    if formula is None:
        return
    if any(ch.isspace() for ch in formula):
        out.skip(
            number,
            "composition",
            "spaces inside the composition (displaced subscripts); not guessed",
            formula,
        )
        return
    zero = _LEADING_ZERO.search(formula)
    if zero:
        out.skip(
            number,
            "composition",
            f"number {zero.group()!r} has a leading zero (lost decimal point?)",
            formula,
        )
        return
    space_group = cells[3]
    sigma = _number_cell(out, number, "conductivity", cells[1], space_group)
    ea_ev = _number_cell(out, number, "Ea", cells[2], space_group)
    if sigma is None and ea_ev is None:
        if not cells[1] and not cells[2]:
            out.skip(number, None, "no conductivity and no Ea on this line", raw)
        return
    parsed, error = parse_formula_or_error(formula, cation_hint="Li")
    if parsed is None:
        first = (error or "").splitlines()[0]
        out.warn(number, f"formula {formula!r} stored as written without composition ({first})")
    material = out.material(formula, parsed, None, number)
    if sigma is not None:
        out.conductivities.append(
            ConductivityRecord(
                material,
                ROOM_TEMPERATURE_K,
                sigma,
                source=SOURCE,
                dataset=DATASET,
                row_number=number,
                entry=cells[7][:64] or None,
            )
        )
    if ea_ev is not None:
        out.activation_energies.append(
            ActivationEnergyRecord(
                material,
                activation_energy_ev=ea_ev,
                method="experiment",
                source=SOURCE,
                dataset=DATASET,
                row_number=number,
                note=f"Laskowski et al. 2023 table, reference {cells[7] or '?'}",
                entry=cells[7][:64] or None,
            )
        )
    out.imported_rows.add(number)


def _number_cell(out: ParsedFile, number: int, field: str, text: str, space_group: str) -> float | None:
    """Read one number cell by the rules of the module docstring; report and return None when unreadable."""
    if not text:
        return None
    cleaned = text
    if "\u2212" in cleaned:
        cleaned = cleaned.replace("\u2212", "-")
        out.warn(number, f"{field} {text!r}: typographic minus U+2212 read as '-'")
    if cleaned.endswith(COMBINING_OVERLINE):
        if "-1" in space_group:
            cleaned = cleaned.rstrip(COMBINING_OVERLINE)
            out.warn(
                number,
                f"{field} {text!r}: trailing combining overline U+0305 removed, read as {cleaned!r} "
                f"(the line's space group {space_group!r} lacks its bar, which the extraction displaced "
                "into this cell)",
            )
        else:
            out.skip(number, field, "stray combining overline U+0305; not guessed", text)
            return None
    quantity = "conductivity_s_per_cm" if field == "conductivity" else "activation_energy_ev"
    try:
        value = parse_number(cleaned)
    except CellProblem as problem:
        out.skip(number, field, str(problem), text)
        return None
    if value is None:
        return None
    problem_text = quantity_problem(quantity, value)
    if problem_text is not None:
        out.skip(number, field, problem_text, text)
        return None
    return value
