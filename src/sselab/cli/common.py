"""The options every ``sselab`` command shares: the store (``--db``), the output folder and the seed.

Kept apart from :mod:`sselab.cli.options` (the options of the commands that run a method, which need the
simulation package) so that a command group which only reads or writes the store starts without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sselab.store import Store, as_store

__all__ = ["DbOption", "OutDirOption", "SeedOption", "open_store_from_option"]

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Store: a SQLAlchemy URL or a SQLite file path (default: SSELAB_DB or user data folder)."
    ),
]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed (recorded with the results).")]
OutDirOption = Annotated[Path, typer.Option("--out", help="Output folder.")]


def open_store_from_option(db: str | None) -> Store:
    """The store named by ``--db`` (a URL or SQLite path), else the configured default (:func:`as_store`)."""
    return as_store(db)
