"""``sselab db``: create or migrate the store, count its rows, run read-only SQL."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sselab.cli.common import DbOption, open_store_from_option
from sselab.errors import SselabError
from sselab.store.engine import current_revision
from sselab.store.readonly import readonly_query

db_app = typer.Typer(
    help="The store: create/migrate it, count rows, run read-only SQL.", no_args_is_help=True
)


def _fail(exc: Exception) -> typer.Exit:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
    return typer.Exit(code=2)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


@db_app.command("init")
def init(db: DbOption = None) -> None:
    """Create the store (or migrate it to the current schema) and print its URL."""
    try:
        store = open_store_from_option(db)
    except SselabError as exc:
        raise _fail(exc) from exc
    typer.echo(f"store ready: {store.url} (schema {current_revision(store.engine)})")


@db_app.command("stats")
def stats(db: DbOption = None) -> None:
    """Print the number of rows in each table."""
    try:
        store = open_store_from_option(db)
        counts = store.stats()
    except SselabError as exc:
        raise _fail(exc) from exc
    table = Table(title=f"sselab store {store.url}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        table.add_row(name, str(n))
    Console().print(table)


@db_app.command("query")
def query(
    sql: Annotated[str, typer.Argument(help="One SELECT or WITH statement (read-only).")],
    db: DbOption = None,
    max_rows: Annotated[int, typer.Option("--max-rows", min=1, help="Rows shown/saved at most.")] = 1000,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Time limit of the query in seconds.")] = 10.0,
    csv: Annotated[Path | None, typer.Option("--csv", help="Also write the rows to this CSV file.")] = None,
) -> None:
    """Run one read-only SQL query (SELECT/WITH) and print the rows; writes are refused."""
    try:
        store = open_store_from_option(db)
        result = readonly_query(store, sql, max_rows=max_rows, timeout_s=timeout_s)
    except SselabError as exc:
        raise _fail(exc) from exc
    console = Console()
    table = Table(show_lines=False)
    for column in result.columns:
        table.add_column(str(column))
    for row in result.rows.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    console.print(table)
    more = f" (truncated at --max-rows {max_rows})" if result.truncated else ""
    console.print(f"{len(result.rows)} rows{more}", highlight=False)
    if csv is not None:
        csv.parent.mkdir(parents=True, exist_ok=True)
        result.rows.to_csv(csv, index=False)
        console.print(f"rows written to {csv}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``db`` command group to the ``sselab`` app."""
    app.add_typer(db_app, name="db")
