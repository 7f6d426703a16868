"""The sselab store: the only package that speaks SQL.

Example::

    >>> from sselab.store import open_store
    >>> store = open_store("sqlite://")  # in memory; None -> SSELAB_DB or the user data folder
    >>> sorted(store.stats())[:2]
    ['activation_energies', 'conductivity_measurements']
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL

from sselab.config import get_settings
from sselab.store.engine import create_store_engine, upgrade
from sselab.store.records import (
    METHODS,
    ActivationEnergyRecord,
    ConductivityRecord,
    ImportBatch,
    ImportResult,
    MaterialRecord,
    SourceRecord,
    StructureRecord,
)
from sselab.store.store import Store

__all__ = [
    "METHODS",
    "ActivationEnergyRecord",
    "ConductivityRecord",
    "ImportBatch",
    "ImportResult",
    "MaterialRecord",
    "SourceRecord",
    "Store",
    "StoreLike",
    "StructureRecord",
    "as_store",
    "open_store",
]


def open_store(url: str | URL | None = None) -> Store:
    """Open the store at ``url``, creating it and migrating it to the current schema (Alembic upgrade).

    Parameters
    ----------
    url
        Any SQLAlchemy URL (``sqlite:////abs/path.sqlite``, ``postgresql+psycopg://user:pw@host/db``) or
        the path of a SQLite file; ``None`` uses ``sselab.config.get_settings().database_url``. The parent
        folder of a SQLite file is created.

    Raises
    ------
    StoreError
        When the database cannot be reached or migrated.
    """
    if url is None:
        url = get_settings().database_url
    elif isinstance(url, str) and "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    engine = create_store_engine(url)
    upgrade(engine)
    return Store(engine)


#: An open store, a SQLAlchemy URL or SQLite file path, or ``None`` (``SSELAB_DB``, else the default file).
StoreLike = Store | str | None


def as_store(store: StoreLike) -> Store:
    """The one handle turning what a user gives into an open store: ``store`` itself when it is open, else
    :func:`open_store` of that URL or path (``None``: the configured default).

    Only the edges call it (the CLI's ``--db``, the pipeline's ``[pipeline] store``, a notebook); everything
    inside sselab takes an open :class:`Store` and never rebuilds a URL from one (a URL may hold a password).

    Example
    -------
    >>> store = as_store("sqlite://")
    >>> as_store(store) is store
    True
    """
    return store if isinstance(store, Store) else open_store(store)
