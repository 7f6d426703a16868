"""Importer of ``liverpool-ionics``: the Liverpool Ionics Dataset (820 Li σ(T) measurements).

The file's ``temperature`` column states no unit. The importer makes the assumption explicit: ``unit="C"`` or
``"K"`` forces one, ``"auto"`` applies this rule to the whole column (one unit per column, never per row): if
any value is below :data:`AUTO_CELSIUS_BELOW` (150), the column is in °C, because a Kelvin value that low
would be a cryogenic measurement, which a room-to-high-temperature conductivity compilation does not hold;
otherwise K. The evidence (values below 150, values at exactly 25, values ending in .85 that are Kelvin
temperatures converted to °C) is written into the report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from sselab.datasets.fetch import sha256_of
from sselab.datasets.importers._common import ParsedFile, parse_formula_or_error, track
from sselab.datasets.readers import read_csv_table
from sselab.datasets.validation import CellProblem, number_cell, parse_number, quantity_problem, text_cell
from sselab.errors import ConfigError, DataImportError
from sselab.store.records import ConductivityRecord, SourceRecord
from sselab.store.validation import MAX_DOI_CHARS, MAX_FORMULA_CHARS

DATASET = "liverpool-ionics"
COLUMNS = ("ID", "composition", "source", "temperature", "target", "log_target", "family", "ChemicalFamily")
AUTO_CELSIUS_BELOW = 150.0
"""``auto`` rule: a column with any temperature below this value is read as °C."""
TemperatureUnit = Literal["C", "K", "auto"]
_LOG_TOLERANCE = 0.01


def decide_temperature_unit(values: pd.Series, unit: str = "auto") -> tuple[str, str]:
    """Return the unit (``"C"`` or ``"K"``) of a temperature column and the sentence that justifies it.

    Parameters
    ----------
    values
        The column (numbers; non-numbers are ignored by the rule).
    unit
        ``"C"``, ``"K"`` (forced by the user) or ``"auto"`` (rule above).
    """
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    if unit not in ("C", "K", "auto"):
        raise ConfigError(f"temperature unit {unit!r}: use C, K or auto")
    evidence = (
        f"{len(numbers)} numeric values from {numbers.min():g} to {numbers.max():g}; "
        f"{int((numbers < AUTO_CELSIUS_BELOW).sum())} below {AUTO_CELSIUS_BELOW:g}; "
        f"{int((numbers == 25).sum())} exactly 25; "
        f"{int(((numbers * 100).round() % 100 == 85).sum())} ending in .85 (e.g. 24.85 = 298 K - 273.15)"
    )
    if unit != "auto":
        return unit, f"temperature unit {unit} set by the user ({evidence})"
    if (numbers < AUTO_CELSIUS_BELOW).any():
        return "C", (
            f"temperature column read as °C by the auto rule (any value < {AUTO_CELSIUS_BELOW:g} means the "
            f"column is °C; Kelvin values that low would be cryogenic): {evidence}; "
            "T(K) = value + 273.15; override with --temperature-unit K"
        )
    return (
        "K",
        f"temperature column read as K by the auto rule (no value < {AUTO_CELSIUS_BELOW:g}): {evidence}",
    )


def read_liverpool(path: Path, *, temperature_unit: str = "auto", progress: bool = False) -> ParsedFile:
    """Read ``LiIonDatabase.csv`` into conductivity records (row numbers are file lines, header = line 1).

    Formulas the chemistry parser cannot read are stored as written (no composition) and listed as warnings.
    Cells are read by :mod:`sselab.datasets.validation` (numbers as written, plausible ranges after the unit
    conversion); a bad cell skips its row with the reason and the raw text.

    Raises
    ------
    DataImportError
        When the file's columns differ from the expected ones, it is not UTF-8, or a line has the wrong
        number of fields.
    """
    table = read_csv_table(path)
    if table.header != COLUMNS:
        raise DataImportError(f"columns {list(table.header)}, expected {list(COLUMNS)}", file=str(path))
    out = ParsedFile(DATASET, path.name, sha256_of(path), rows_read=len(table.rows) + len(table.problems))
    out.skipped.extend(table.problems)
    records = table.records()
    unit, sentence = decide_temperature_unit(
        pd.Series([row["temperature"] for _, row in records]), temperature_unit
    )
    out.assumptions.append(sentence)
    out.assumptions.append("conductivity column 'target' in S/cm (as documented); log_target is only checked")
    for line, row in track(records, total=len(records), description=DATASET, progress=progress):
        _read_row(out, line, row, unit)
    return out


def _required(out: ParsedFile, line: int, field: str, value: Any, raw: Any, what: str) -> bool:
    """False (row skipped) when a required cell is blank or was refused; a blank one is reported here."""
    if value is not None:
        return True
    if not out.has_skip(line, field):
        out.skip(line, field, f"no {what}", raw)
    return False


def _read_row(out: ParsedFile, line: int, row: Mapping[Any, Any], unit: str) -> None:
    text = text_cell(out, line, "composition", row["composition"], MAX_FORMULA_CHARS)
    formula = (text or "").strip('"').strip() or None
    if not _required(out, line, "composition", formula, row["composition"], "composition"):
        return
    assert formula is not None
    temperature = number_cell(out, line, "temperature", row["temperature"])
    if not _required(out, line, "temperature", temperature, row["temperature"], "temperature"):
        return
    assert temperature is not None
    temperature_k = temperature + 273.15 if unit == "C" else temperature
    problem = quantity_problem("temperature_k", temperature_k)
    if problem is not None:
        out.skip(
            line, "temperature", f"{problem} (read as {'°C' if unit == 'C' else 'K'})", row["temperature"]
        )
        return
    sigma = number_cell(out, line, "target", row["target"], "conductivity_s_per_cm")
    if not _required(out, line, "target", sigma, row["target"], "conductivity"):
        return
    assert sigma is not None
    source_text = text_cell(out, line, "source", row["source"], MAX_DOI_CHARS)
    if out.has_skip(line, "source"):
        return
    try:
        log_target = parse_number(row["log_target"])
    except CellProblem:
        log_target = None
        out.warn(line, f"log_target {row['log_target']!r} is not a number; not checked")
    if log_target is not None and abs(math.log10(sigma) - log_target) > _LOG_TOLERANCE:
        out.warn(line, f"log_target {log_target:g} disagrees with log10(target) = {math.log10(sigma):.4f}")
    if '"' in str(row["composition"]):
        out.warn(line, f"composition {row['composition']!r}: surrounding quotes removed")
    parsed, error = parse_formula_or_error(formula, cation_hint="Li")
    if parsed is None:
        out.warn(line, f"formula {formula!r} stored as written without composition ({_first_line(error)})")
    family = text_cell(out, line, "family", row["family"], 100)
    material = out.material(formula, parsed, family, line)
    out.conductivities.append(
        ConductivityRecord(
            material,
            temperature_k=temperature_k,
            conductivity_s_per_cm=sigma,
            source=_source(source_text or ""),
            dataset=DATASET,
            row_number=line,
            entry=str(row["ID"]).strip()[:64] or None,
        )
    )
    out.imported_rows.add(line)


def _first_line(text: str | None) -> str:
    return (text or "").splitlines()[0] if text else ""


def _source(text: str) -> SourceRecord | None:
    text = str(text).strip()
    if not text:
        return None
    return SourceRecord(text) if text.startswith("10.") else SourceRecord(None, citation=text)
