"""Import reports: rows read, imported and skipped (with reason and raw cell); saved as JSON and Markdown.

Example::

    >>> r = ImportReport(dataset="x", file="x.csv", rows_read=2, imported=1,
    ...                  skipped=(SkippedRow(row=3, field="target", reason="not a number", raw="abc"),))
    >>> r.rows_skipped
    1
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SkippedRow:
    """A row (or one field of a row) that was not imported.

    Attributes
    ----------
    row
        Row number in the file: the line number of a CSV file (header = line 1), the sheet row of a
        spreadsheet.
    field
        Column name, or ``None`` when the whole row was skipped for a reason not tied to one column.
    reason
        Why it was not imported.
    raw
        The raw cell (or line) as read, so that a user can check it.
    """

    row: int
    field: str | None
    reason: str
    raw: str


@dataclass(frozen=True)
class ImportReport:
    """Outcome of importing one file of a dataset.

    Attributes
    ----------
    dataset, file
        Registry name and file name.
    rows_read
        Data rows read from the file.
    imported
        Rows that produced at least one record (a row can be imported while one of its fields is skipped).
    skipped
        Rows or fields not imported, each with its reason and raw text.
    warnings
        Things imported as written but worth checking (e.g. a cation that disagrees with the formula).
    assumptions
        Stated assumptions (units, temperatures) under which the rows were imported.
    inserted
        Rows inserted per store table (empty when the file had been imported before).
    already_present
        True when the store had this exact file already (nothing added).
    file_sha256
        Checksum of the imported file(s).
    replaced, unchanged
        Rows per table whose natural key was stored already: with another value (replaced in place) or the
        same value (nothing done). A re-import of an edited file adds only its new rows.
    changes
        Every replaced row: ``{"table", "row_id", "row_number", "key", "old", "new"}``.
    """

    dataset: str
    file: str
    rows_read: int
    imported: int
    skipped: tuple[SkippedRow, ...] = ()
    warnings: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    inserted: dict[str, int] = field(default_factory=dict)
    already_present: bool = False
    file_sha256: str = ""
    replaced: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    changes: tuple[dict[str, Any], ...] = ()

    @property
    def rows_skipped(self) -> int:
        """Rows that produced no record at all (``rows_read - imported``)."""
        return self.rows_read - self.imported

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        data = asdict(self)
        data["rows_skipped"] = self.rows_skipped
        return data

    def to_markdown(self) -> str:
        """A readable Markdown report (assumptions, counts, warnings, skipped rows)."""
        lines = [
            f"# Import report: {self.dataset} ({self.file})",
            "",
            f"- sha256: `{self.file_sha256}`",
            f"- rows read: {self.rows_read}",
            f"- rows imported: {self.imported}",
            f"- rows skipped entirely: {self.rows_skipped}",
            f"- skipped rows/fields listed: {len(self.skipped)}",
            f"- already in the store: {'yes (nothing added)' if self.already_present else 'no'}",
            f"- inserted: {_counts(self.inserted)}",
            f"- already stored, unchanged: {_counts(self.unchanged)}",
            f"- already stored, value replaced: {_counts(self.replaced)}",
            "",
            "## Assumptions",
            *(f"- {text}" for text in self.assumptions or ("none",)),
            "",
            "## Warnings",
            *(f"- {text}" for text in self.warnings or ("none",)),
            "",
            "## Skipped",
            "",
            "| row | field | reason | raw |",
            "|---|---|---|---|",
        ]
        for item in self.skipped:
            raw = _cell(item.raw)
            lines.append(f"| {item.row} | {item.field or ''} | {_cell(item.reason)} | `{raw}` |")
        if self.changes:
            lines += ["", "## Replaced", "", "| row | what | before | after |", "|---|---|---|---|"]
            for change in self.changes:
                lines.append(
                    f"| {change['row_number']} | {_cell(change['key'])} | {_cell(change['old'])} | "
                    f"{_cell(change['new'])} |"
                )
        return "\n".join(lines) + "\n"

    @property
    def summary(self) -> str:
        """One line: rows read, imported, skipped, and what the store did with them."""
        added = sum(v for k, v in self.inserted.items() if k not in ("sources", "materials"))
        if self.already_present:
            status = "file already imported, nothing added"
        else:
            status = (
                f"{added} rows added, {sum(self.replaced.values())} replaced, "
                f"{sum(self.unchanged.values())} already stored"
            )
        return (
            f"{self.rows_read} rows read, {self.imported} imported, {self.rows_skipped} skipped entirely, "
            f"{len(self.skipped)} skipped rows/fields listed; {status}"
        )

    def save(self, folder: Path) -> tuple[Path, Path]:
        """Write ``<dataset>.json`` and ``<dataset>.md`` into ``folder``; return both paths."""
        folder.mkdir(parents=True, exist_ok=True)
        json_path = folder / f"{self.dataset}.json"
        md_path = folder / f"{self.dataset}.md"
        json_path.write_text(json.dumps(self.as_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        md_path.write_text(self.to_markdown(), encoding="utf-8")
        return json_path, md_path


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(counts.items()) if v) or "-"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "⏎").replace("\x00", "\\x00")[:300]
