"""Bounded readers of import files: CSV (with file line numbers), XLSX (sheet rows) and archives of texts.

Every reader turns what the file format's library raises (``UnicodeDecodeError``, ``csv.Error``,
``zipfile.BadZipFile``, openpyxl's ``KeyError``/``InvalidFileException`` ...) into a
:class:`~sselab.errors.DataImportError` that names the file and, where known, the line; and every reader has a
size limit (:class:`ReadLimits`), so that a 100 MB CIF in a 0.1 MB zip (a zip bomb) is refused before it is
decompressed.

Row numbers are what a user sees in an editor: the physical line where a CSV record starts (header = line 1;
blank lines count but hold no record), the sheet row of a spreadsheet.

Example::

    >>> from pathlib import Path
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("a,b\\n1,2\\n\\n3,4\\n", encoding="utf-8")
    >>> [(row.line, row.cells) for row in read_csv_table(path).rows]
    [(2, ('1', '2')), (4, ('3', '4'))]
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sselab.datasets.report import SkippedRow
from sselab.errors import DataImportError
from sselab.store.limits import MAX_CIF_CHARS


@dataclass(frozen=True)
class ReadLimits:
    """Size limits of import files (bytes unless stated).

    Attributes
    ----------
    max_file_bytes
        Largest table file (the four public datasets are at most 0.4 MB).
    max_archive_bytes
        Largest total uncompressed size of an archive's members (OBELiX's CIFs: 0.75 MB).
    max_member_bytes
        Largest single member of an archive (a CIF).
    max_members
        Most members of an archive.
    """

    max_file_bytes: int = 200_000_000
    max_archive_bytes: int = 500_000_000
    max_member_bytes: int = MAX_CIF_CHARS
    max_members: int = 100_000


DEFAULT_LIMITS = ReadLimits()


@dataclass(frozen=True)
class TableRow:
    """One record of a table: where it starts in the file, its cells, and its text as written."""

    line: int
    cells: tuple[Any, ...]
    raw: str


@dataclass
class Table:
    """A table read from a file: header, rows with their line numbers, and rows that could not be read."""

    path: Path
    header: tuple[str, ...]
    rows: list[TableRow] = field(default_factory=list)
    problems: list[SkippedRow] = field(default_factory=list)
    lines: int = 0

    def records(self) -> list[tuple[int, dict[str, Any]]]:
        """``(line, {column: cell})`` for every row (cells beyond the header are dropped)."""
        return [(row.line, dict(zip(self.header, row.cells, strict=False))) for row in self.rows]


def read_bytes(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> bytes:
    """The bytes of ``path``, refusing a file over ``limits.max_file_bytes`` before reading it."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DataImportError(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from exc
    if size > limits.max_file_bytes:
        raise DataImportError(f"{size} bytes, more than the limit of {limits.max_file_bytes}", file=str(path))
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataImportError(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from exc


def decode_utf8(data: bytes, path: Path) -> str:
    """``data`` as UTF-8 text (a byte-order mark dropped); a bad byte names its line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataImportError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line} cannot be decoded (save the file "
            "as UTF-8)",
            file=str(path),
            row=line,
        ) from exc


def read_csv_table(
    path: Path,
    *,
    header: bool = True,
    delimiter: str = ",",
    expected_fields: int | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Table:
    """Read a delimited text file; each row keeps the file line where its record starts.

    Parameters
    ----------
    path
        The file (UTF-8, with or without a byte-order mark).
    header
        Whether line 1 holds the column names.
    delimiter
        ``","`` (CSV) or ``"\\t"`` (TSV).
    expected_fields
        Fields every record must have (default: the header's count); a record with another count raises.
    limits
        Size limits.

    Notes
    -----
    A last line without a line break may have been cut off (a truncated download or copy): it is not read
    as data but listed in ``problems`` (add the line break if the line is complete). Blank lines hold no
    record and do not shift the line numbers of the records after them.

    Raises
    ------
    DataImportError
        For a file that is too large, not UTF-8, empty, or structurally broken (a field count that differs,
        a field beyond the CSV module's size limit, an unclosed quote), naming the line.
    """
    text = decode_utf8(read_bytes(path, limits), path)
    if not text.strip():
        raise DataImportError("the file is empty", file=str(path))
    unterminated = not text.endswith(("\n", "\r"))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    table = Table(path=path, header=())
    records: list[TableRow] = []
    lines = text.splitlines(keepends=True)
    start = 1
    try:
        for cells in reader:
            end = reader.line_num
            if cells:
                records.append(TableRow(start, tuple(cells), "".join(lines[start - 1 : end]).rstrip("\r\n")))
            start = end + 1
    except csv.Error as exc:
        raise DataImportError(f"malformed CSV: {exc}", file=str(path), row=reader.line_num) from exc
    table.lines = len(lines)
    if header:
        if not records:
            raise DataImportError("no header line", file=str(path))
        first = records.pop(0)
        table.header = tuple(cell.strip() for cell in first.cells)
    width = expected_fields if expected_fields is not None else (len(table.header) if header else None)
    if unterminated and records:
        last = records.pop()
        table.problems.append(
            SkippedRow(
                row=last.line,
                field=None,
                reason="the last line has no line break: the file may have been cut off (truncated download "
                "or copy); not imported (add the line break if the line is complete)",
                raw=last.raw[:500],
            )
        )
    for row in records:
        if width is not None and len(row.cells) != width:
            raise DataImportError(f"{len(row.cells)} fields, expected {width}", file=str(path), row=row.line)
    table.rows = records
    return table


def check_archive(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> zipfile.ZipFile:
    """Open a zip archive after checking its size, member count and declared uncompressed sizes.

    Raises
    ------
    DataImportError
        When the file is not a zip archive, or its members would decompress to more than the limits.
    """
    read_bytes_limit = limits.max_file_bytes
    try:
        if path.stat().st_size > read_bytes_limit:
            raise DataImportError(f"archive larger than {read_bytes_limit} bytes", file=str(path))
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise DataImportError(f"not a readable zip archive: {exc}", file=str(path)) from exc
    infos = archive.infolist()
    total = sum(info.file_size for info in infos)
    if len(infos) > limits.max_members or total > limits.max_archive_bytes:
        archive.close()
        raise DataImportError(
            f"archive of {len(infos)} members decompressing to {total} bytes; limits are "
            f"{limits.max_members} members and {limits.max_archive_bytes} bytes (a zip bomb?)",
            file=str(path),
        )
    return archive


def read_archive_texts(
    path: Path, *, suffix: str = ".cif", limits: ReadLimits = DEFAULT_LIMITS
) -> tuple[dict[str, str], list[str]]:
    """UTF-8 texts of an archive's members ending in ``suffix``, by file stem; and what was refused.

    A member larger than ``limits.max_member_bytes`` (declared or actual: reading stops one byte past the
    limit, so a lying header cannot make it decompress further), or not UTF-8, is refused with a message
    naming it; the other members are read.

    Raises
    ------
    DataImportError
        When the archive itself cannot be read or breaks the limits of :func:`check_archive`.
    """
    texts: dict[str, str] = {}
    refused: list[str] = []
    with check_archive(path, limits) as archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.endswith(suffix):
                continue
            name = info.filename
            if info.file_size > limits.max_member_bytes:
                refused.append(f"{name}: {info.file_size} bytes, more than {limits.max_member_bytes}")
                continue
            try:
                with archive.open(info) as member:
                    data = member.read(limits.max_member_bytes + 1)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
                raise DataImportError(f"cannot read {name} from the archive: {exc}", file=str(path)) from exc
            if len(data) > limits.max_member_bytes:
                refused.append(f"{name}: decompresses to more than {limits.max_member_bytes} bytes")
                continue
            try:
                texts[Path(name).stem] = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                refused.append(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})")
    return texts, refused


def read_xlsx_table(path: Path, *, sheet: str | None = None, limits: ReadLimits = DEFAULT_LIMITS) -> Table:
    """Read a sheet (default: the first) of an ``.xlsx`` workbook; rows keep their sheet row (header = row 1).

    Empty rows hold no record (their numbers are skipped, not reused). Cells are what openpyxl gives
    (numbers, text, dates, ``None``); ``raw`` is the row's cells joined by ``|``.

    Raises
    ------
    DataImportError
        For a file that is not a readable workbook (a truncated or renamed file), too large once
        decompressed, without a header row, or without the named ``sheet``.
    """
    # lazy: only .xlsx files need openpyxl (~0.3 s to import)
    from openpyxl import load_workbook

    check_archive(path, limits).close()
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises KeyError, InvalidFileException, zipfile errors, XML errors ...
        raise DataImportError(
            f"not a readable .xlsx workbook: {type(exc).__name__}: {exc}", file=str(path)
        ) from exc
    if sheet is not None and sheet not in workbook.sheetnames:
        names = list(workbook.sheetnames)
        workbook.close()
        raise DataImportError(f"no sheet {sheet!r}; the workbook has {names}", file=str(path))
    try:
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        rows: list[TableRow] = []
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            if all(value is None or (isinstance(value, str) and not value.strip()) for value in values):
                continue
            raw = "|".join("" if value is None else str(value) for value in values)
            rows.append(TableRow(number, tuple(values), raw))
    except Exception as exc:  # a damaged sheet XML surfaces while iterating
        raise DataImportError(f"cannot read the sheet: {type(exc).__name__}: {exc}", file=str(path)) from exc
    finally:
        workbook.close()
    if not rows or rows[0].line != 1:
        raise DataImportError("no header in row 1", file=str(path))
    header = tuple("" if value is None else str(value).strip() for value in rows[0].cells)
    return Table(path=path, header=header, rows=rows[1:], lines=rows[-1].line)
