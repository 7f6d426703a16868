"""Option types shared by the command modules (units in help texts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Store: a SQLAlchemy URL or a SQLite file path (default: SSELAB_DB or user data folder)."
    ),
]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed (recorded with the results).")]
OutDirOption = Annotated[Path, typer.Option("--out", help="Output folder.")]


def open_store_from_option(db: str | None):
    """Open (and migrate) the store named by ``--db``, else the configured default."""
    from sselab.store import open_store

    return open_store(db)
