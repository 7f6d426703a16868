"""Importer of ``wang2025-ea``: the seed paper's Supplementary Dataset 1 (experimental Ea of hydrides).

Each data row becomes an ``ActivationEnergyRecord(method="experiment")`` with phase ``low-T``/``high-T`` from
``Phase_Transition`` (0/1). Rows whose formula cannot be parsed are skipped with the parser's message; the
closing note row is skipped as a note. Cation or valence disagreements between the spreadsheet and the
formula are kept as written and reported as warnings, never corrected.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sselab.datasets.fetch import sha256_of
from sselab.datasets.importers._common import ParsedFile, is_blank, parse_formula_or_error, track
from sselab.datasets.readers import read_xlsx_table
from sselab.datasets.validation import CellProblem, number_cell, parse_number, text_cell
from sselab.errors import DataImportError
from sselab.store.records import ActivationEnergyRecord, SourceRecord
from sselab.store.validation import MAX_DOI_CHARS, MAX_FORMULA_CHARS

DATASET = "wang2025-ea"
COLUMNS = (
    "Index",
    "Conducting_Ion",
    "Valence",
    "Classification",
    "Pretty_Formula",
    "Phase_Transition",
    "Year",
    "DOI",
    "Ea (eV)",
)
PHASES = {0: "low-T", 1: "high-T"}
VALENCES = {"monovalent": 1, "divalent": 2}
_WHITESPACE = " \t\u00a0"


def read_wang2025(path: Path, *, progress: bool = False) -> ParsedFile:
    """Read the spreadsheet at ``path`` into records and a list of skipped rows.

    Row numbers are spreadsheet rows (header = row 1).

    Raises
    ------
    DataImportError
        When the sheet lacks one of the expected columns.
    """
    table = read_xlsx_table(path)
    missing = [name for name in COLUMNS if name not in table.header]
    if missing:
        raise DataImportError(f"missing columns {missing}; found {list(table.header)}", file=str(path))
    parsed_file = ParsedFile(DATASET, path.name, sha256_of(path), rows_read=len(table.rows))
    parsed_file.assumptions.append(
        "Ea (eV) is taken as compiled by the seed paper (method 'experiment'); Phase_Transition 0 -> phase "
        "'low-T', 1 -> 'high-T'; the spreadsheet's Valence/Classification is kept as the family label."
    )
    records = table.records()
    for row_number, row in track(records, total=len(records), description=DATASET, progress=progress):
        _read_row(parsed_file, row_number, row)
    return parsed_file


def _clean(value: Any) -> str:
    return "" if is_blank(value) else str(value).strip(_WHITESPACE)


def _read_row(out: ParsedFile, row_number: int, row: Mapping[Any, Any]) -> None:
    data_cells = [name for name in COLUMNS[1:] if not is_blank(row.get(name))]
    if not data_cells:
        out.skip(row_number, None, "note row (text in the first column, no data)", row.get("Index"))
        return
    formula_raw = row.get("Pretty_Formula")
    formula = _clean(formula_raw)
    if not formula:
        out.skip(row_number, "Pretty_Formula", "no formula", formula_raw)
        return
    if text_cell(out, row_number, "Pretty_Formula", formula, MAX_FORMULA_CHARS) is None:
        return
    if formula != str(formula_raw):
        out.warn(
            row_number, f"formula {formula_raw!r}: surrounding whitespace (incl. no-break space) removed"
        )
    ea_ev = number_cell(out, row_number, "Ea (eV)", row.get("Ea (eV)"), "activation_energy_ev")
    if ea_ev is None:
        if not out.has_skip(row_number, "Ea (eV)"):
            out.skip(row_number, "Ea (eV)", "activation energy missing", row.get("Ea (eV)"))
        return
    try:
        phase_flag = parse_number(row.get("Phase_Transition"))
    except CellProblem:
        phase_flag = None
    if phase_flag not in (0.0, 1.0):
        out.skip(row_number, "Phase_Transition", "phase flag is neither 0 nor 1", row.get("Phase_Transition"))
        return
    cation_sheet = _clean(row.get("Conducting_Ion")) or None
    parsed, error = parse_formula_or_error(formula, cation_hint=cation_sheet)
    if parsed is None and cation_sheet:
        # e.g. 'LiBH4-0.5NH3' listed with Conducting_Ion Na: parse without the hint, warn below
        parsed, _ = parse_formula_or_error(formula)
    if parsed is None:
        out.skip(row_number, "Pretty_Formula", f"formula not parsed: {error}", formula)
        return
    valence_text = _clean(row.get("Valence"))
    classification = _clean(row.get("Classification"))
    _check_consistency(out, row_number, formula, cation_sheet, valence_text, parsed)
    material = out.material(formula, parsed, f"{valence_text}/{classification}", row_number)
    doi = text_cell(out, row_number, "DOI", _clean(row.get("DOI")), MAX_DOI_CHARS)
    if out.has_skip(row_number, "DOI"):
        return
    out.activation_energies.append(
        ActivationEnergyRecord(
            material,
            activation_energy_ev=ea_ev,
            method="experiment",
            phase=PHASES[int(phase_flag)],
            source=SourceRecord(doi) if doi else None,
            dataset=DATASET,
            row_number=row_number,
            note=f"Index {_clean(row.get('Index'))}, year {_clean(row.get('Year'))}",
            entry=_clean(row.get("Index"))[:64] or None,
        )
    )
    out.imported_rows.add(row_number)


def _check_consistency(
    out: ParsedFile, row_number: int, formula: str, cation: str | None, valence_text: str, parsed: Any
) -> None:
    if cation and parsed.cation != cation:
        out.warn(
            row_number,
            f"Conducting_Ion {cation!r} but formula {formula!r} parses to cation {parsed.cation!r}; "
            "stored as parsed, not corrected",
        )
    expected = VALENCES.get(valence_text.lower())
    if expected is None:
        out.warn(row_number, f"Valence {valence_text!r} is neither Monovalent nor Divalent")
    elif parsed.valence != expected:
        out.warn(
            row_number,
            f"Valence {valence_text!r} but formula {formula!r} parses to valence {parsed.valence!r}",
        )
