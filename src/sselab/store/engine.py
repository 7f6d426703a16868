"""Engine creation and Alembic migrations of the store.

SQLite connections get ``foreign_keys=ON``, write-ahead logging (``journal_mode=WAL``: readers never block the
writer nor the writer the readers; the ``-wal``/``-shm`` companions are folded back into the one file when the
last connection closes) and a 30 s busy timeout; write transactions start with ``BEGIN IMMEDIATE`` (see
:meth:`sselab.store.Store.write_transaction`), so that concurrent writers wait instead of failing. Any other
SQLAlchemy URL (PostgreSQL through ``postgresql+psycopg://``) is used as given.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import NoSuchModuleError
from sqlalchemy.pool import StaticPool

from sselab.errors import StoreError

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK_ID = 0x55E1AB  # PostgreSQL advisory lock held while migrating


def _json_default(value: Any) -> Any:
    """Serialise numpy scalars/arrays, paths and dates in JSON columns."""
    if hasattr(value, "tolist"):  # numpy scalar or array
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "as_dict"):
        return value.as_dict()
    raise TypeError(f"value of type {type(value).__name__} is not JSON serialisable: {value!r}")


def _clean_floats(value: Any) -> Any:
    """Replace NaN/inf by None so JSON stays standard (PostgreSQL refuses NaN in JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean_floats(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_floats(v) for v in value]
    return value


_JSON_MEMO: ContextVar[dict[int, tuple[Any, str]] | None] = ContextVar("sselab_json_memo", default=None)


@contextmanager
def json_memo() -> Iterator[None]:
    """Serialise each distinct dict/list object once while the block runs (bulk inserts).

    Inside the block :func:`json_dumps` remembers its answer by object identity (the object is kept alive
    until the block ends, so an id cannot be reused); the objects must not be mutated inside the block.
    """
    token = _JSON_MEMO.set({})
    try:
        yield
    finally:
        _JSON_MEMO.reset(token)


def json_dumps(value: Any) -> str:
    """JSON serialiser of the store's JSON columns (numpy-aware; NaN/inf become null).

    One plain encoding pass; only a value holding NaN/inf takes the slower cleaning pass. Inside
    :func:`json_memo` the text of a dict/list is reused for the same object.
    """
    memo = _JSON_MEMO.get()
    if memo is not None:
        hit = memo.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
    try:
        text = json.dumps(value, default=_json_default, allow_nan=False)
    except ValueError:  # a NaN/inf somewhere (circular references fail again below)
        text = json.dumps(
            _clean_floats(json.loads(json.dumps(value, default=_json_default))), allow_nan=False
        )
    if memo is not None and isinstance(value, dict | list):
        memo[id(value)] = (value, text)
    return text


def is_sqlite(url: str | URL) -> bool:
    """True for a ``sqlite`` URL (any driver)."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite URL, or None for an in-memory database."""
    u = make_url(url)
    db = u.database
    if not db or db == ":memory:" or db.startswith("file::memory:") or u.query.get("mode") == "memory":
        return None
    if db.startswith("file:"):
        db = db[len("file:") :].split("?", 1)[0]
    return Path(db)


def create_store_engine(url: str | URL) -> Engine:
    """Create an engine for ``url``; SQLite gets pragmas, its parent folder, and (in memory) one connection.

    Parameters
    ----------
    url
        Any SQLAlchemy URL, e.g. ``sqlite:////path/store.sqlite`` or
        ``postgresql+psycopg://user:pw@host:5432/sselab``.
    """
    try:
        u = make_url(url)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError
        raise StoreError(f"not a database URL: {url!r} ({exc})") from exc
    if u.get_backend_name() != "sqlite":
        try:
            return create_engine(u, json_serializer=json_dumps, pool_pre_ping=True)
        except (ModuleNotFoundError, NoSuchModuleError) as exc:
            raise StoreError(
                f"no database driver for {u.drivername!r} ({exc}); for PostgreSQL use "
                "postgresql+psycopg://user:password@host:5432/dbname with the 'postgres' extra (psycopg)"
            ) from exc
    path = sqlite_file(u)
    kwargs: dict[str, Any] = {"json_serializer": json_dumps}
    if path is None:
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    engine = create_engine(u, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if path is not None:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
        # let SQLAlchemy, not the sqlite3 module, open transactions, so that DDL (migrations) and every
        # import are one real transaction each (the sqlite3 module would commit DDL statement by statement)
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))

    return engine


def alembic_config(engine: Engine | None = None) -> Any:
    """An Alembic ``Config`` pointing at the packaged migrations (no ``alembic.ini`` needed)."""
    # lazy: alembic takes ~0.5 s to import; only opening a store needs it (not a --help)
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return config


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None when never migrated)."""
    # lazy: alembic takes ~0.5 s to import; only opening a store needs it (not a --help)
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of sselab."""
    # lazy: alembic takes ~0.5 s to import; only opening a store needs it (not a --help)
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` (no-op when already there).

    Raises
    ------
    StoreError
        When the database cannot be migrated (e.g. unreachable server, or made by a newer sselab).
    """
    # lazy: alembic takes ~0.5 s to import; only opening a store needs it (not a --help)
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    try:
        head = head_revision()
        if revision == "head" and current_revision(engine) == head:
            return
        # one migrating process at a time: SQLite takes the write lock at BEGIN IMMEDIATE, PostgreSQL an
        # advisory lock; a process that waited finds the schema migrated and does nothing
        with engine.connect().execution_options(sqlite_begin="BEGIN IMMEDIATE") as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})")
            if revision == "head" and MigrationContext.configure(conn).get_current_revision() == head:
                return
            config = alembic_config(engine)
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    except StoreError:
        raise
    except Exception as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        where = engine.url.render_as_string(hide_password=True)
        raise StoreError(
            f"cannot open/migrate the store at {where}: {reason[0] if reason else type(exc).__name__}"
        ) from exc
    logger.info("store %s migrated to %s", engine.url, revision)
