"""Read-only SQL over the store, for ``sselab db query`` and the LLM assistant's query tool.

Defence in depth, each layer enough on its own for the common attacks:

1. Text (:func:`sselab.store.sqltext.check_readonly_sql`): one statement, starting with SELECT or WITH, no
   write keywords or dangerous functions outside strings/comments, at most ``max_sql_chars`` characters.
2. SQLite (:mod:`sselab.store.sqlite_guard`): the file is opened through a ``file:...?mode=ro`` URI (the
   connection cannot write), with ``PRAGMA query_only=ON``, ``trusted_schema=OFF``, an authorizer that allows
   only reading, selecting, recursive CTEs and harmless functions (everything else, ATTACH and PRAGMA
   included, is denied), ``SQLITE_LIMIT_LENGTH`` = ``max_cell_bytes`` (no value, stored or computed, may be
   larger), and an ``interrupt()`` at ``timeout_s`` from a timer thread. The query runs in a worker process
   (standard library only, memory-limited) that is killed if it outlives the deadline by
   :data:`KILL_GRACE_S`: no statement can run on. An in-memory store (one connection, in this process) gets
   the same bounds but no worker.
3. PostgreSQL: the statement runs in a ``READ ONLY`` transaction with ``SET LOCAL statement_timeout`` (the
   server cancels it), through the extended protocol (one statement only); the size of every cell and of
   the whole result is measured on the server first (``octet_length(cell::text)``), so a 1 GB cell is never
   sent; the transaction is always rolled back.

At most ``max_rows`` rows and ``max_result_bytes`` bytes are returned; ``truncated`` says whether more
matched (``truncated_by``: ``"rows"`` or ``"bytes"``).

Example::

    >>> from sselab.store import open_store
    >>> from sselab.store.readonly import readonly_query
    >>> store = open_store("sqlite://")
    >>> int(readonly_query(store, "SELECT count(*) AS n FROM materials").rows.n[0])
    0
"""

from __future__ import annotations

import json
import logging
import pickle
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url

from sselab.errors import StoreError, UnsafeQueryError
from sselab.store import sqlite_guard
from sselab.store.engine import create_store_engine, sqlite_file
from sselab.store.pg_guard import QueryLimits as _Limits
from sselab.store.pg_guard import run_postgresql as _run_postgresql
from sselab.store.sqlite_guard import DEFAULT_MAX_CELL_BYTES, DEFAULT_MAX_RESULT_BYTES
from sselab.store.sqltext import FORBIDDEN_FUNCTIONS, check_readonly_sql

if TYPE_CHECKING:
    from sselab.store.store import Store

logger = logging.getLogger(__name__)

KILL_GRACE_S = 0.5
"""Seconds past the deadline after which the SQLite worker process is killed."""
_WORKER = Path(sqlite_guard.__file__).resolve()


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
        True when the query had more than ``max_rows`` rows, or more than ``max_result_bytes`` bytes.
    sql
        The statement as run (comments removed, no trailing ``;``).
    truncated_by
        ``"rows"`` or ``"bytes"`` (which limit cut the result), ``None`` when complete.
    """

    columns: tuple[str, ...]
    rows: pd.DataFrame
    truncated: bool
    sql: str
    truncated_by: str | None = None


def readonly_query(
    url_or_store: Store | Engine | str | URL | Path,
    sql: str,
    max_rows: int = 1000,
    timeout_s: float = 10.0,
    max_sql_chars: int = 10_000,
    *,
    params: Sequence[Any] | Mapping[str, Any] | None = None,
    max_cell_bytes: int = DEFAULT_MAX_CELL_BYTES,
    max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
    in_process: bool = False,
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
        Wall-clock limit of the query in seconds: the statement is interrupted (SQLite) or cancelled
        (PostgreSQL) at the deadline, whatever it is doing.
    max_sql_chars
        Longest statement accepted, in characters.
    params
        Values of the statement's bound parameters (``?`` placeholders with a sequence on SQLite, the
        driver's placeholders on PostgreSQL): numbers, text or None; never part of the SQL text, so never
        checked as SQL.
    max_cell_bytes
        Largest value (string or blob) the query may read or compute, in bytes; a larger one refuses it.
    max_result_bytes
        Most bytes of rows returned; the rest is cut (``truncated_by="bytes"``).
    in_process
        SQLite file only: run in this process instead of a worker (every bound above still holds, the
        interrupt at the deadline included; no process to kill and no memory limit). For statements sselab
        composed itself with the values as ``params`` (the web pages, about 35 ms faster per query), never for
        SQL text from a user or a model.

    Raises
    ------
    UnsafeQueryError
        When the statement is refused by any layer of the guard, breaks the time limit or holds a value
        larger than ``max_cell_bytes``.
    StoreError
        When the statement is allowed but fails (syntax error, unknown column ...); the message is the
        database's.
    """
    if int(max_rows) < 1:
        raise UnsafeQueryError(f"max_rows must be at least 1, got {max_rows}")
    if not 0 < timeout_s < float("inf"):
        raise UnsafeQueryError(f"timeout_s must be a positive number of seconds, got {timeout_s}")
    if int(max_cell_bytes) < 1 or int(max_result_bytes) < 1:
        raise UnsafeQueryError("max_cell_bytes and max_result_bytes must be at least 1")
    clean = check_readonly_sql(sql, max_sql_chars=max_sql_chars)
    params = _plain_params(params)
    limits = _Limits(int(max_rows), float(timeout_s), int(max_cell_bytes), int(max_result_bytes))
    engine, url, owned = _resolve(url_or_store)
    try:
        if url.get_backend_name() == "sqlite":
            path = sqlite_file(url)
            if path is None:
                if engine is None:
                    raise UnsafeQueryError("an in-memory SQLite URL names no database to read")
                answer = _run_sqlite_shared(engine, clean, limits, params)
            else:
                run = _run_sqlite_here if in_process else _run_sqlite_file
                answer = run(path, clean, limits, params)
        elif url.get_backend_name() == "postgresql":
            assert engine is not None
            answer = _run_postgresql(engine, clean, limits, params=params)
        else:
            raise UnsafeQueryError(
                f"read-only queries are supported on SQLite and PostgreSQL, not {url.get_backend_name()}"
            )
    finally:
        if owned and engine is not None:
            engine.dispose()
    _raise_for(answer, limits)
    columns, rows, truncated_by = answer["columns"], answer["rows"], answer.get("truncated_by")
    frame = pd.DataFrame.from_records(rows[:max_rows], columns=list(columns))
    logger.info(
        "read-only query returned %d rows%s: %s",
        len(frame),
        f" (truncated by {truncated_by})" if truncated_by else "",
        clean,
    )
    return ReadOnlyResult(
        columns=tuple(columns),
        rows=frame,
        truncated=truncated_by is not None,
        sql=clean,
        truncated_by=truncated_by,
    )


def _plain_params(params: Any) -> list[Any] | dict[str, Any] | None:
    """Bound parameters as a list or dict of numbers, text and None (what the worker receives as JSON)."""
    if params is None:
        return None
    if isinstance(params, Mapping):
        values: Any = {str(k): v for k, v in params.items()}
        items = list(values.values())
    elif isinstance(params, Sequence) and not isinstance(params, str | bytes):
        values = list(params)
        items = values
    else:
        raise UnsafeQueryError(
            f"query parameters must be a sequence or a mapping, got {type(params).__name__}"
        )
    for value in items:
        if not (value is None or isinstance(value, bool | int | float | str)):
            raise UnsafeQueryError(
                f"a query parameter must be a number, text or None, got {type(value).__name__}"
            )
    return values  # type: ignore[no-any-return]


def _raise_for(answer: dict[str, Any], limits: _Limits) -> None:
    """Turn a failed answer of the guard into the error a caller (or an LLM) can act on."""
    if answer.get("ok"):
        return
    kind, message = answer.get("kind"), str(answer.get("message", ""))
    if kind == "timeout":
        raise UnsafeQueryError(
            f"query refused: it ran longer than the limit of {limits.timeout_s:g} s (stopped)"
        )
    if kind == "too_big":
        raise UnsafeQueryError(
            "query refused: it reads or builds a value larger than the limit of "
            f"{limits.max_cell_bytes} bytes per cell ({message})"
        )
    if kind == "refused":
        raise UnsafeQueryError(f"query refused by the read-only connection: {message}")
    raise StoreError(f"query failed: {message}")


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


def _run_sqlite_file(path: Path, sql: str, limits: _Limits, params: Any = None) -> dict[str, Any]:
    """Run the query in a worker process on the file opened read-only; kill it past the deadline."""
    path = path.expanduser().resolve()
    if not path.is_file():
        raise StoreError(f"no SQLite store at {path}")
    request = {
        "uri": f"{path.as_uri()}?mode=ro",
        "sql": sql,
        "max_rows": limits.max_rows,
        "timeout_s": limits.timeout_s,
        "max_cell_bytes": limits.max_cell_bytes,
        "max_result_bytes": limits.max_result_bytes,
        "forbidden": sorted(FORBIDDEN_FUNCTIONS),
        "params": params,
    }
    started = time.monotonic()
    worker = subprocess.Popen(
        [sys.executable, "-I", "-S", str(_WORKER)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = worker.communicate(
            json.dumps(request).encode("utf-8"), timeout=limits.timeout_s + KILL_GRACE_S
        )
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.communicate()
        logger.info("query worker killed after %.2f s", time.monotonic() - started)
        return {"ok": False, "kind": "timeout", "message": "killed at the deadline"}
    except BaseException:  # Ctrl-C or any error here: never leave the worker running
        worker.kill()
        worker.communicate()
        raise
    if worker.returncode != 0 or not out:
        last = (err.decode("utf-8", "replace").strip().splitlines() or [f"exit status {worker.returncode}"])[
            -1
        ]
        return {"ok": False, "kind": "too_big", "message": f"the query process failed: {last[:300]}"}
    answer: dict[str, Any] = pickle.loads(out)  # written by our own worker (sqlite_guard.main)
    return answer


def _run_sqlite_here(path: Path, sql: str, limits: _Limits, params: Any = None) -> dict[str, Any]:
    """Run the query in this process on the file opened read-only (``in_process=True``)."""
    path = path.expanduser().resolve()
    if not path.is_file():
        raise StoreError(f"no SQLite store at {path}")
    try:
        conn = sqlite_guard.open_readonly(f"{path.as_uri()}?mode=ro", limits.timeout_s)
    except sqlite3.Error as exc:
        return {"ok": False, "kind": "failed", "message": f"cannot open the store: {exc}"}
    try:
        return _guarded(conn, sql, limits, params)
    finally:
        conn.close()


def _guarded(conn: sqlite3.Connection, sql: str, limits: _Limits, params: Any) -> dict[str, Any]:
    return sqlite_guard.run_guarded(
        conn,
        sql,
        max_rows=limits.max_rows,
        timeout_s=limits.timeout_s,
        max_cell_bytes=limits.max_cell_bytes,
        max_result_bytes=limits.max_result_bytes,
        forbidden=FORBIDDEN_FUNCTIONS,
        params=params,
    )


def _run_sqlite_shared(engine: Engine, sql: str, limits: _Limits, params: Any = None) -> dict[str, Any]:
    """An in-memory store has one connection: guard it for the query and restore it afterwards."""
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert isinstance(conn, sqlite3.Connection)
        if conn.in_transaction:
            raise UnsafeQueryError("the in-memory store is busy in a transaction")
        conn.execute("PRAGMA query_only=ON")
        try:
            return _guarded(conn, sql, limits, params)
        finally:
            conn.execute("PRAGMA query_only=OFF")
    finally:
        raw.close()
