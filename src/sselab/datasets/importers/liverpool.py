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
from sselab.errors import ConfigError, DataImportError
from sselab.store.records import ConductivityRecord, SourceRecord

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

    Raises
    ------
    DataImportError
        When the file's columns differ from the expected ones or a line has the wrong number of fields.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.ParserError as exc:
        raise DataImportError(f"malformed CSV: {exc}", file=str(path)) from exc
    if tuple(frame.columns) != COLUMNS:
        raise DataImportError(f"columns {list(frame.columns)}, expected {list(COLUMNS)}", file=str(path))
    out = ParsedFile(DATASET, path.name, sha256_of(path), rows_read=len(frame))
    unit, sentence = decide_temperature_unit(frame["temperature"], temperature_unit)
    out.assumptions.append(sentence)
    out.assumptions.append("conductivity column 'target' in S/cm (as documented); log_target is only checked")
    records = frame.to_dict(orient="records")
    for offset, row in enumerate(track(records, total=len(records), description=DATASET, progress=progress)):
        _read_row(out, offset + 2, row, unit)
    return out


def _float(text: Any) -> float | None:
    try:
        number = float(str(text).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _read_row(out: ParsedFile, line: int, row: Mapping[Any, Any], unit: str) -> None:
    formula = str(row["composition"]).strip().strip('"').strip()
    if not formula:
        out.skip(line, "composition", "no composition", row["composition"])
        return
    temperature = _float(row["temperature"])
    if temperature is None:
        out.skip(line, "temperature", "not a number", row["temperature"])
        return
    temperature_k = temperature + 273.15 if unit == "C" else temperature
    if temperature_k <= 0:
        out.skip(
            line, "temperature", f"{temperature_k:g} K is not a physical temperature", row["temperature"]
        )
        return
    sigma = _float(row["target"])
    if sigma is None or sigma <= 0:
        out.skip(line, "target", "conductivity missing, not a number or not positive", row["target"])
        return
    log_target = _float(row["log_target"])
    if log_target is not None and abs(math.log10(sigma) - log_target) > _LOG_TOLERANCE:
        out.warn(line, f"log_target {log_target:g} disagrees with log10(target) = {math.log10(sigma):.4f}")
    if '"' in str(row["composition"]):
        out.warn(line, f"composition {row['composition']!r}: surrounding quotes removed")
    parsed, error = parse_formula_or_error(formula, cation_hint="Li")
    if parsed is None:
        out.warn(line, f"formula {formula!r} stored as written without composition ({_first_line(error)})")
    family = row["family"].strip() or None
    material = out.material(formula, parsed, family, line)
    out.conductivities.append(
        ConductivityRecord(
            material,
            temperature_k=temperature_k,
            conductivity_s_per_cm=sigma,
            source=_source(row["source"]),
            dataset=DATASET,
            row_number=line,
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
