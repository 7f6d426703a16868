"""How the ``sselab data`` commands print an import report (``data import`` and ``data import-table``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from sselab.datasets.report import ImportReport

#: Replaced and skipped rows shown on the terminal (the full list is in the saved report).
MAX_ROWS_SHOWN = 15


def print_report(console: Console, report: ImportReport, saved: Path | None = None) -> None:
    """Print an import report (counts, assumptions, warnings, first skipped rows) with rich."""
    console.print(f"[bold]{report.dataset}[/bold] ({report.file}): {report.summary}", highlight=False)
    if any(report.inserted.values()):
        console.print("  inserted: " + ", ".join(f"{k}={v}" for k, v in sorted(report.inserted.items()) if v))
    for change in report.changes[:MAX_ROWS_SHOWN]:
        console.print(
            f"  [magenta]replaced[/magenta] row {change['row_number']}: {change['key']}: {change['old']} -> "
            f"{change['new']}",
            highlight=False,
            markup=True,
        )
    for text in report.assumptions:
        console.print(f"  [cyan]assumption[/cyan] {text}")
    if report.warnings:
        console.print(f"  [yellow]{len(report.warnings)} warnings[/yellow], e.g. {report.warnings[0]}")
    if report.skipped:
        table = Table("row", "field", "reason", "raw", title=f"skipped ({len(report.skipped)}; first shown)")
        for item in report.skipped[:MAX_ROWS_SHOWN]:
            table.add_row(str(item.row), item.field or "", item.reason.splitlines()[0], item.raw[:40])
        console.print(table)
    if saved is not None:
        console.print(f"  full report: {saved}/{report.dataset}.md (and .json)")
