"""Read-only SQL over the store, for ``sselab db query`` and the LLM assistant's query tool.

Defence in depth, each layer enough on its own for the common attacks:

1. Text (:func:`sselab.store.sqltext.check_readonly_sql`): one statement, starting with SELECT or WITH, no
   write keywords or dangerous functions outside strings/comments, at most ``max_sql_chars`` characters.
2. SQLite: the file is opened through a ``file:...?mode=ro`` URI (the connection cannot write), with
   ``PRAGMA query_only=ON``, ``trusted_schema=OFF``, an authorizer that allows only reading, selecting,
   recursive CTEs and harmless functions (everything else, ATTACH and PRAGMA included, is denied), and a
   progress handler that stops the query after ``timeout_s``.
3. PostgreSQL: the statement runs in a ``READ ONLY`` transaction with ``SET LOCAL statement_timeout``, through
   the extended protocol (one statement only), and the transaction is always rolled back.

At most ``max_rows + 1`` rows are fetched; ``truncated`` says whether there were more than ``max_rows``.

Example::

    >>> from sselab.store import open_store
    >>> from sselab.store.readonly import readonly_query
    >>> store = open_store("sqlite://")
    >>> int(readonly_query(store, "SELECT count(*) AS n FROM materials").rows.n[0])
    0
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url

from sselab.errors import StoreError, UnsafeQueryError
from sselab.store.engine import create_store_engine, sqlite_file
from sselab.store.sqltext import FORBIDDEN_FUNCTIONS, check_readonly_sql

if TYPE_CHECKING:
    from sselab.store.store import Store

logger = logging.getLogger(__name__)

_ALLOWED_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, 33})
"""SQLite authorizer actions the guard allows (33 is SQLITE_RECURSIVE)."""
_PROGRESS_STEPS = 2_000
"""SQLite virtual-machine instructions between two checks of the time limit."""


@dataclass(frozen=True)
class ReadOnlyResult:
    """The answer of a read-only query.

    Attributes
    ----------
    columns
        Column names in order.
    rows
        At most ``max_rows`` rows as a DataFrame.
    truncated
        True when the query had more than ``max_rows`` rows.
    sql
        The statement as run (comments removed, no trailing ``;``).
    """

    columns: tuple[str, ...]
    rows: pd.DataFrame
    truncated: bool
    sql: str


def readonly_query(
    url_or_store: Store | Engine | str | URL | Path,
    sql: str,
    max_rows: int = 1000,
    timeout_s: float = 10.0,
    max_sql_chars: int = 10_000,
    *,
    params: Sequence[Any] | Mapping[str, Any] | None = None,
) -> ReadOnlyResult:
    """Run one SELECT/WITH statement on a connection that cannot write.

    Parameters
    ----------
    url_or_store
        A :class:`~sselab.store.Store`, an engine, a SQLAlchemy URL or the path of a SQLite file.
    sql
        The statement (one; SELECT or WITH).
    max_rows
        Rows returned at most; more rows set ``truncated``.
    timeout_s
        Wall-clock limit of the query in seconds.
    max_sql_chars
        Longest statement accepted, in characters.
    params
        Values of the statement's bound parameters (``?`` placeholders with a sequence on SQLite, the
        driver's placeholders on PostgreSQL); never part of the SQL text, so never checked as SQL.

    Raises
    ------
    UnsafeQueryError
        When the statement is refused by any layer of the guard, or breaks the time limit.
    StoreError
        When the statement is allowed but fails (syntax error, unknown column ...); the message is the
        database's.
    """
    if int(max_rows) < 1:
        raise UnsafeQueryError(f"max_rows must be at least 1, got {max_rows}")
    if not timeout_s > 0:
        raise UnsafeQueryError(f"timeout_s must be positive, got {timeout_s}")
    clean = check_readonly_sql(sql, max_sql_chars=max_sql_chars)
    engine, url, owned = _resolve(url_or_store)
    try:
        if url.get_backend_name() == "sqlite":
            path = sqlite_file(url)
            if path is None:
                if engine is None:
                    raise UnsafeQueryError("an in-memory SQLite URL names no database to read")
                columns, rows = _run_sqlite_shared(engine, clean, max_rows, timeout_s, params)
            else:
                columns, rows = _run_sqlite_file(path, clean, max_rows, timeout_s, params)
        elif url.get_backend_name() == "postgresql":
            assert engine is not None
            columns, rows = _run_postgresql(engine, clean, max_rows, timeout_s, params=params)
        else:
            raise UnsafeQueryError(
                f"read-only queries are supported on SQLite and PostgreSQL, not {url.get_backend_name()}"
            )
    finally:
        if owned and engine is not None:
            engine.dispose()
    truncated = len(rows) > max_rows
    frame = pd.DataFrame.from_records(rows[:max_rows], columns=list(columns))
    logger.info(
        "read-only query returned %d rows%s: %s", len(frame), " (truncated)" if truncated else "", clean
    )
    return ReadOnlyResult(columns=tuple(columns), rows=frame, truncated=truncated, sql=clean)


def _resolve(target: Any) -> tuple[Engine | None, URL, bool]:
    """(engine or None, URL, whether the engine was created here and must be disposed)."""
    engine = getattr(target, "engine", target)
    if isinstance(engine, Engine):
        return engine, engine.url, False
    if isinstance(target, Path) or (isinstance(target, str) and "://" not in target):
        return None, make_url(f"sqlite:///{Path(target).expanduser().resolve()}"), False
    url = make_url(target)
    if url.get_backend_name() == "sqlite":
        return None, url, False
    return create_store_engine(url), url, True


def _authorizer(
    action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None
) -> int:
    if action not in _ALLOWED_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in FORBIDDEN_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _deadline_handler(timeout_s: float) -> tuple[Callable[[], int], Callable[[], bool]]:
    deadline = time.monotonic() + timeout_s
    hit = [False]

    def handler() -> int:
        if time.monotonic() > deadline:
            hit[0] = True
            return 1
        return 0

    return handler, lambda: hit[0]


def _fetch_sqlite(
    conn: sqlite3.Connection, sql: str, max_rows: int, timeout_s: float, params: Any = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    handler, timed_out = _deadline_handler(timeout_s)
    conn.set_progress_handler(handler, _PROGRESS_STEPS)
    conn.set_authorizer(_authorizer)
    try:
        cursor = conn.execute(sql) if params is None else conn.execute(sql, params)
        columns = [d[0] for d in cursor.description or ()]
        rows = cursor.fetchmany(max_rows + 1)
        cursor.close()
    except sqlite3.Error as exc:
        if timed_out():
            raise UnsafeQueryError(f"query refused: it ran longer than the limit of {timeout_s:g} s") from exc
        message = str(exc)
        refusals = (
            "not authorized",
            "authorization denied",
            "readonly",
            "prohibited",
            "one statement at a time",
        )
        if any(r in message for r in refusals):
            raise UnsafeQueryError(f"query refused by the read-only connection: {message}") from exc
        raise StoreError(f"query failed: {message}") from exc
    except sqlite3.Warning as exc:  # "You can only execute one statement at a time" (older Pythons)
        raise UnsafeQueryError(f"query refused: {exc}") from exc
    finally:
        conn.set_authorizer(None)
        conn.set_progress_handler(None, _PROGRESS_STEPS)
    return columns, rows


def _run_sqlite_file(
    path: Path, sql: str, max_rows: int, timeout_s: float, params: Any = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    path = path.expanduser().resolve()
    if not path.is_file():
        raise StoreError(f"no SQLite store at {path}")
    uri = f"{path.as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=timeout_s, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA query_only=ON")
        conn.execute("PRAGMA trusted_schema=OFF")
        return _fetch_sqlite(conn, sql, max_rows, timeout_s, params)
    finally:
        conn.close()


def _run_sqlite_shared(
    engine: Engine, sql: str, max_rows: int, timeout_s: float, params: Any = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """An in-memory store has one connection: guard it for the query and restore it afterwards."""
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert isinstance(conn, sqlite3.Connection)
        if conn.in_transaction:
            raise UnsafeQueryError("the in-memory store is busy in a transaction")
        conn.execute("PRAGMA query_only=ON")
        try:
            return _fetch_sqlite(conn, sql, max_rows, timeout_s, params)
        finally:
            conn.execute("PRAGMA query_only=OFF")
    finally:
        raw.close()


def _run_postgresql(
    engine: Engine, sql: str, max_rows: int, timeout_s: float, wrap: bool = True, params: Any = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    from sqlalchemy.exc import DBAPIError

    timeout_ms = max(1, int(timeout_s * 1000))
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        try:
            cursor.execute("SET TRANSACTION READ ONLY")
            cursor.execute(f"SET LOCAL statement_timeout = {timeout_ms}")
            cursor.execute(f"SET LOCAL lock_timeout = {timeout_ms}")
            cursor.execute("SHOW transaction_read_only")
            if (cursor.fetchone() or ("off",))[0] != "on":
                raise UnsafeQueryError(
                    "query refused: the PostgreSQL transaction could not be made read-only"
                )
            columns, rows = _fetch_postgresql(cursor, sql, max_rows, wrap, params)
        except UnsafeQueryError:
            raise
        except Exception as exc:
            message = str(exc).strip()
            sqlstate = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
            if (
                sqlstate in ("25006", "42501")
                or "read-only transaction" in message
                or "data-modifying" in message
            ):
                raise UnsafeQueryError(f"query refused by the read-only transaction: {message}") from exc
            if sqlstate == "57014" or "statement timeout" in message:
                raise UnsafeQueryError(
                    f"query refused: it ran longer than the limit of {timeout_s:g} s"
                ) from exc
            if "multiple commands" in message:
                raise UnsafeQueryError(f"query refused: {message}") from exc
            if isinstance(exc, DBAPIError | StoreError) or type(exc).__module__.startswith("psycopg"):
                raise StoreError(f"query failed: {message}") from exc
            raise
        finally:
            cursor.close()
            conn.rollback()
    return columns, rows


def _fetch_postgresql(
    cursor: Any, sql: str, max_rows: int, wrap: bool = True, params: Any = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Fetch at most ``max_rows + 1`` rows.

    The statement is wrapped as ``SELECT * FROM (<sql>) LIMIT n`` (PostgreSQL refuses a data-modifying WITH
    inside a subquery, and the server never produces more rows than needed), and psycopg 3 sends it through
    the extended protocol (``binary=True``), which refuses a second statement.
    """
    wrapped = f"SELECT * FROM (\n{sql}\n) AS sselab_readonly LIMIT {int(max_rows) + 1}" if wrap else sql
    module = type(cursor).__module__
    if module == "psycopg" or module.startswith("psycopg."):
        cursor.execute(wrapped, params, binary=True)
    else:  # another driver (psycopg2): the read-only transaction still holds
        cursor.execute(wrapped, params)
    return [d[0] for d in cursor.description or ()], [tuple(r) for r in cursor.fetchmany(int(max_rows) + 1)]
