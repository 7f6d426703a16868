"""A researcher's own tables: σ(T) and Ea (measured or computed) from CSV, TSV, Excel, Parquet; one entry.

A table is read with a column map (:mod:`sselab.datasets.columnmap`: which column holds what, in which unit),
every row is turned into records by :class:`sselab.datasets.tablerows.RowReader`, and the result goes through
the same import boundary as the registered datasets (:func:`sselab.datasets.importing.import_parsed`: physical
ranges, duplicate rows, a per-row report, one transaction, row-level idempotence by natural key). Each stored
row keeps its source (DOI and/or citation) and the import records the file it came from.

Row numbers are what an editor shows: the file line for CSV/TSV (header = line 1), the sheet row for Excel,
and for Parquet the record's position + 1 (the first record is row 2, as in a CSV written from it).

Example::

    >>> from pathlib import Path
    >>> import tempfile
    >>> from sselab.store import open_store
    >>> path = Path(tempfile.mkdtemp()) / "lab.csv"
    >>> text = "formula,T (C),sigma (mS/cm),DOI\\nLiBH4,120,2.0,10.5555/lab.1\\n"
    >>> _ = path.write_text(text, encoding="utf-8")
    >>> cm = build_column_map(options={"columns": {"formula": "formula", "temperature": "T (C)",
    ...     "conductivity": "sigma (mS/cm)", "doi": "DOI"}, "units": {"temperature": "°C",
    ...     "conductivity": "mS/cm"}})
    >>> report = import_table(path, open_store("sqlite://"), cm, save_report=False)
    >>> report.summary.split(";")[1].strip()
    '1 rows added, 0 replaced, 0 already stored'
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sselab.datasets.columnmap import (
    UNIT_FIELDS,
    ColumnMap,
    ResolvedMap,
    build_column_map,
    resolve,
)
from sselab.datasets.fetch import sha256_of
from sselab.datasets.importers._common import ParsedFile, track
from sselab.datasets.importing import import_parsed
from sselab.datasets.readers import DEFAULT_LIMITS, Table, TableRow, read_csv_table, read_xlsx_table
from sselab.datasets.registry import list_datasets
from sselab.datasets.report import ImportReport
from sselab.datasets.tablerows import RowReader
from sselab.datasets.tableunits import convert, quantity_of
from sselab.datasets.validation import screen_parsed_file
from sselab.errors import ConfigError, DataImportError
from sselab.store.validation import text_problem

if TYPE_CHECKING:
    from sselab.store import Store

__all__ = [
    "ADD_FILE_NAME",
    "SUFFIXES",
    "add_entry",
    "build_column_map",
    "check_dataset_name",
    "import_table",
    "read_table",
    "read_table_file",
]

logger = logging.getLogger(__name__)

SUFFIXES: dict[str, str] = {
    ".csv": "CSV",
    ".tsv": "TSV",
    ".tab": "TSV",
    ".xlsx": "Excel",
    ".xlsm": "Excel",
    ".parquet": "Parquet",
    ".pq": "Parquet",
}
"""File types read by :func:`read_table_file`, by suffix."""
EXPORT_MARKERS = ("source_file", "source_row")
"""Columns that mark a table as written by ``sselab data export``."""
ADD_FILE_NAME = "sselab data add"
"""The "file" a single entry of ``sselab data add`` is recorded as coming from."""
DEFAULT_ADD_DATASET = "user"
"""Dataset of the entries of ``sselab data add`` unless ``--dataset`` says otherwise."""


def check_dataset_name(name: str, option: str = "--dataset") -> str:
    """``name`` stripped; refused (:class:`ConfigError` naming ``option``) when empty, too long or registered.

    A registered public dataset's rows come from its own importer (``sselab data import NAME``); a table
    stored under its name could replace them.
    """
    text = str(name).strip()
    problem = "empty" if not text else text_problem(text, 100)
    if problem is not None:
        raise ConfigError(f"{option} {name!r}: {problem}")
    registered = [info.name for info in list_datasets()]
    if text in registered:
        raise ConfigError(
            f"{option} {text!r} is a registered public dataset (import it with `sselab data import {text}`); "
            "choose another name for your table"
        )
    return text


def read_table_file(path: Path, *, sheet: str | None = None, delimiter: str | None = None) -> Table:
    """The header and rows (with their row numbers) of a CSV, TSV, Excel or Parquet file.

    Raises
    ------
    DataImportError
        For an unknown suffix, a missing, too large or unreadable file (naming the file and, where known,
        the line).
    """
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataImportError(
            f"unknown table type {path.suffix!r}; sselab reads {', '.join(sorted(SUFFIXES))} (save .xls as "
            ".xlsx)",
            file=str(path),
        )
    if not path.is_file():
        raise DataImportError("no such file", file=str(path))
    if sheet is not None and kind != "Excel":
        raise ConfigError(f"{path.name}: a sheet is only read from an Excel file, this is {kind}")
    if kind == "Excel":
        return read_xlsx_table(path, sheet=sheet)
    if kind == "Parquet":
        return _read_parquet(path)
    return read_csv_table(path, delimiter=delimiter or ("\t" if kind == "TSV" else ","))


def _read_parquet(path: Path) -> Table:
    # lazy: only Parquet files need pyarrow (~0.3 s to import)
    import pyarrow as pa
    import pyarrow.parquet as pq

    size = path.stat().st_size
    if size > DEFAULT_LIMITS.max_file_bytes:
        raise DataImportError(
            f"{size} bytes, more than the limit of {DEFAULT_LIMITS.max_file_bytes}", file=str(path)
        )
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataImportError(f"not a readable Parquet file: {exc}", file=str(path)) from exc
    header = tuple(str(name).strip() for name in table.column_names)
    rows = [
        TableRow(
            index + 2, tuple(record.values()), "|".join("" if v is None else str(v) for v in record.values())
        )
        for index, record in enumerate(table.to_pylist())
    ]
    return Table(path=path, header=header, rows=rows, lines=len(rows) + 1)


def _assumptions(resolved: ResolvedMap, dataset: str, dataset_given: bool) -> list[str]:
    how = (
        "" if dataset_given else " (the file's name; choose another with --dataset or `dataset =` in the map)"
    )
    if "dataset" in resolved.columns:
        where = f"rows stored under the dataset of column {resolved.columns['dataset']!r}; rows without one"
        notes = [f"{where} as dataset {dataset!r}{how}"]
    else:
        notes = [f"rows stored as dataset {dataset!r}{how}"]
    for field in UNIT_FIELDS:
        if field not in resolved.units or (field not in resolved.columns and field not in resolved.defaults):
            continue
        where = f"column {resolved.columns[field]!r}" if field in resolved.columns else f"defaults.{field}"
        unit = resolved.units[field]
        notes.append(f"{where}: {field} in {unit}, {describe_conversion(field, unit)}")
    for field, value in resolved.defaults.items():
        notes.append(f"defaults: {field} = {value!r} where a row gives none")
    if resolved.recognised:
        notes.append(f"columns recognised by their sselab names: {', '.join(resolved.recognised)}")
    if resolved.unused:
        notes.append(f"columns not read: {', '.join(resolved.unused)}")
    return notes


def describe_conversion(field: str, unit: str) -> str:
    """How a value in ``unit`` becomes the store's unit, as a formula (``T(K) = value + 273.15``)."""
    quantity = quantity_of(field)
    if quantity == "temperature":
        if abs(convert("temperature", unit, 1.0) - 1000.0) < 1e-9:
            return "T(K) = 1000 / value"
        offset = convert("temperature", unit, 0.0)
        return "stored as is (K)" if offset == 0 else f"T(K) = value + {offset:g}"
    if quantity == "conductivity":
        if "log10" in unit and "K" in unit:
            return "σ(S/cm) = 10^value / T(K)"
        if "log10" in unit:
            return f"σ(S/cm) = 10^value × {convert('conductivity', unit, 0.0):g}"
        factor = convert("conductivity", unit, 1.0)
        return "stored as is (S/cm)" if factor == 1 else f"σ(S/cm) = value × {factor:g}"
    factor = convert("activation_energy", unit, 1.0)
    return "stored as is (eV)" if factor == 1 else f"E(eV) = value × {factor:.6g}"


def read_table(
    path: Path,
    column_map: ColumnMap | None = None,
    *,
    dataset: str | None = None,
    progress: bool = False,
) -> ParsedFile:
    """Read a table into checked records (no store): see the module docstring.

    Parameters
    ----------
    path
        A ``.csv``, ``.tsv``, ``.xlsx`` or ``.parquet`` file.
    column_map
        Where each field is and its unit (:func:`build_column_map`); ``None`` reads the columns by their
        sselab names (:data:`sselab.datasets.columnmap.CANONICAL`).
    dataset
        The dataset to store the rows under (overrides the map's; default: the file's stem).
    progress
        Show a progress bar over the rows.

    Raises
    ------
    ConfigError
        A bad column map (unknown field or unit, a mapped column not in the header, a registered dataset).
    DataImportError
        A file that cannot be read (names the file and line).
    """
    column_map = column_map or ColumnMap()
    given = dataset or column_map.dataset
    name = check_dataset_name(given or path.stem, "--dataset" if dataset else "dataset")
    table = read_table_file(path, sheet=column_map.sheet, delimiter=column_map.delimiter)
    resolved = resolve(column_map, table.header, path.name)
    digest = hashlib.sha256(
        json.dumps(
            [sha256_of(path), resolved.columns, resolved.units, resolved.defaults, name],
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()
    out = ParsedFile(name, path.name, digest, rows_read=len(table.rows) + len(table.problems))
    out.skipped.extend(table.problems)
    if set(EXPORT_MARKERS) <= set(table.header):
        out.keep_repeated_rows = True
        out.assumptions.append(
            "an sselab export (it has the columns source_file and source_row): a row that repeats another "
            "exactly is a distinct stored row (the source gave the value twice) and is kept, with a warning"
        )
    out.assumptions.extend(_assumptions(resolved, name, given is not None))
    out.assumptions.append(
        f"import digest {digest[:16]}… = sha256 of the file with this column map and dataset"
    )
    reader = RowReader(out, resolved)
    for line, cells in track(
        table.records(), total=len(table.rows), description=path.name, progress=progress
    ):
        reader.read(line, cells)
    return out


def import_table(
    path: Path,
    store: Store,
    column_map: ColumnMap | None = None,
    *,
    dataset: str | None = None,
    progress: bool = False,
    save_report: bool = True,
) -> ImportReport:
    """Read a table (:func:`read_table`) and import it through the import boundary in one transaction.

    Re-importing the same file with the same map adds nothing; an edited file adds its new rows, leaves its
    unchanged rows alone and replaces (in place, reported) the rows whose value changed.
    """
    return import_parsed(
        read_table(path, column_map, dataset=dataset, progress=progress), store, save_report=save_report
    )


def entry_file(
    values: Mapping[str, Any], units: Mapping[str, str] | None = None, *, dataset: str = DEFAULT_ADD_DATASET
) -> ParsedFile:
    """One entry (field -> value, the fields of a column map) read as a one-row table, row 1, no store.

    ``units`` defaults to K, S/cm and eV for the fields given. The entry is checked exactly as a table row
    (and then screened by :func:`sselab.datasets.validation.screen_parsed_file`). Every entry is its own
    import (its digest holds a random part), so that adding a value again always goes through the natural
    keys: the same value is "already stored", another one replaces the stored value, also after an edit.
    """
    given = {field: value for field, value in values.items() if value is not None}
    defaults = {"temperature": "K", "conductivity": "S/cm", "activation_energy": "eV"}
    unit_map = {
        f: u
        for f, u in {**defaults, **(units or {})}.items()
        if f in given or (f == "activation_energy" and "uncertainty" in given)
    }
    column_map = build_column_map(
        options={"columns": {f: f for f in given}, "units": unit_map}, source="sselab data add"
    )
    name = check_dataset_name(dataset)
    resolved = resolve(column_map, list(given), ADD_FILE_NAME)
    digest = hashlib.sha256(
        json.dumps([given, unit_map, name, uuid.uuid4().hex], sort_keys=True, default=str).encode()
    ).hexdigest()
    out = ParsedFile(name, ADD_FILE_NAME, digest, rows_read=1)
    RowReader(out, resolved).read(1, given)
    return screen_parsed_file(out)


def add_entry(
    store: Store,
    values: Mapping[str, Any],
    units: Mapping[str, str] | None = None,
    *,
    dataset: str = DEFAULT_ADD_DATASET,
) -> ImportReport:
    """Check one entry (:func:`entry_file`) and import it (``sselab data add``); returns the report.

    An entry with the same material, source, conditions and entry id as a stored one of ``dataset``
    replaces its value (reported); the same entry again adds nothing.
    """
    parsed = entry_file(values, units, dataset=dataset)
    if not parsed.imported_rows:  # refused: the store is not touched (no import is recorded)
        return parsed.to_report(None)
    return import_parsed(parsed, store, save_report=False)
