"""Read-only access to the store for the assistant's structured tools.

The tools that do not take SQL (``filter_materials``, the recipes, fits, figures) read the store through its
frame methods; here the store is opened so that even those cannot write: a SQLite file through a
``file:...?mode=ro`` URI, PostgreSQL with ``postgresql_readonly`` (every transaction READ ONLY). The store is
never migrated by the assistant; an outdated or missing store is a clear error.

Example::

    >>> store = open_readonly_store("sqlite:////tmp/none.sqlite")  # doctest: +SKIP
    Traceback (most recent call last):
    sselab.errors.StoreError: no store at /tmp/none.sqlite ...
"""

from __future__ import annotations

from sqlalchemy.engine import make_url

from sselab.errors import StoreError
from sselab.store import Store
from sselab.store.engine import create_store_engine, current_revision, head_revision, sqlite_file


def readonly_url(url: str) -> str:
    """The URL that opens ``url`` read-only (SQLite: ``mode=ro`` URI); other back-ends unchanged."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return url
    path = sqlite_file(parsed)
    if path is None:
        raise StoreError("the assistant reads a store file or server; an in-memory SQLite URL holds no data")
    path = path.expanduser().resolve()
    if not path.is_file():
        raise StoreError(f"no store at {path}: create it and import data first (sselab data import NAME)")
    return f"sqlite:///file:{path}?mode=ro&uri=true"


def open_readonly_store(url: str) -> Store:
    """A :class:`sselab.store.Store` over a connection that cannot write, at the current schema revision.

    Raises
    ------
    StoreError
        When the store does not exist or its schema is not the one this sselab expects (migrate it first with
        any writing sselab command, e.g. ``sselab db stats``).
    """
    engine = create_store_engine(readonly_url(url))
    if make_url(url).get_backend_name() == "postgresql":
        engine = engine.execution_options(postgresql_readonly=True)
    revision, head = current_revision(engine), head_revision()
    if revision != head:
        engine.dispose()
        raise StoreError(
            f"the store is at schema revision {revision!r}, this sselab expects {head!r}; "
            "open it once with a writing sselab command to migrate it"
        )
    return Store(engine)


def readonly_view(store: Store) -> Store:
    """A read-only :class:`sselab.store.Store` over the database of the open ``store``, built from its engine
    (never from a URL string): SQLite reopens its file with ``mode=ro``, PostgreSQL shares the engine with
    every transaction READ ONLY."""
    url = store.engine.url
    if url.get_backend_name() == "postgresql":
        return Store(store.engine.execution_options(postgresql_readonly=True))
    return Store(create_store_engine(readonly_url(url.render_as_string(hide_password=True))))
