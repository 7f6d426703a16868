"""The sselab store: the only package that speaks SQL.

Example::

    >>> from sselab.store import open_store
    >>> store = open_store("sqlite://")  # in memory; None -> SSELAB_DB or the user data folder
    >>> sorted(store.stats())[:2]
    ['activation_energies', 'conductivity_measurements']
"""

from __future__ import annotations

from sqlalchemy.engine import URL

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
    "StructureRecord",
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
        from sselab.config import get_settings

        url = get_settings().database_url
    elif isinstance(url, str) and "://" not in url:
        from pathlib import Path

        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    engine = create_store_engine(url)
    upgrade(engine)
    return Store(engine)
