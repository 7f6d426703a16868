"""One read-only PostgreSQL query under hard bounds (used by :mod:`sselab.store.readonly`).

The statement runs in a ``READ ONLY`` transaction (checked), with ``SET LOCAL statement_timeout`` and
``lock_timeout`` (the server cancels any statement at the deadline), through psycopg's extended protocol (one
statement only), wrapped so that PostgreSQL refuses a data-modifying WITH; the size of every cell and of the
result is measured on the server before any row is sent; the transaction is always rolled back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from sselab.errors import StoreError, UnsafeQueryError


@dataclass(frozen=True)
class QueryLimits:
    """Bounds of one read-only query: rows, seconds, bytes of one cell, bytes of the whole result."""

    max_rows: int
    timeout_s: float
    max_cell_bytes: int
    max_result_bytes: int


def run_postgresql(
    engine: Engine, sql: str, limits: QueryLimits, wrap: bool = True, params: Any = None
) -> dict[str, Any]:
    """Run the query in a rolled-back READ ONLY transaction with the server's statement timeout."""
    started = time.monotonic()
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        try:
            cursor.execute("SET TRANSACTION READ ONLY")
            _set_timeouts(cursor, limits.timeout_s)
            cursor.execute("SHOW transaction_read_only")
            if (cursor.fetchone() or ("off",))[0] != "on":
                raise UnsafeQueryError(
                    "query refused: the PostgreSQL transaction could not be made read-only"
                )
            answer = _fetch_postgresql(cursor, sql, limits, wrap, started, params)
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
                return {"ok": False, "kind": "timeout", "message": message}
            if sqlstate in ("54000", "53200") or "out of memory" in message:  # program limit, memory
                return {"ok": False, "kind": "too_big", "message": message}
            if "multiple commands" in message:
                raise UnsafeQueryError(f"query refused: {message}") from exc
            if isinstance(exc, DBAPIError | StoreError) or type(exc).__module__.startswith("psycopg"):
                raise StoreError(f"query failed: {message}") from exc
            raise
        finally:
            cursor.close()
            conn.rollback()
    return answer


def _set_timeouts(cursor: Any, seconds: float) -> None:
    milliseconds = max(1, int(seconds * 1000))
    cursor.execute(f"SET LOCAL statement_timeout = {milliseconds}")
    cursor.execute(f"SET LOCAL lock_timeout = {milliseconds}")


def _execute(cursor: Any, sql: str, params: Any = None) -> None:
    module = type(cursor).__module__
    if module == "psycopg" or module.startswith("psycopg."):
        cursor.execute(sql, params, binary=True)  # the extended protocol refuses a second statement
    else:  # another driver (psycopg2): the read-only transaction still holds
        cursor.execute(sql, params)


def _fetch_postgresql(
    cursor: Any, sql: str, limits: QueryLimits, wrap: bool, started: float, params: Any = None
) -> dict[str, Any]:
    """Measure the result on the server, then fetch at most ``max_rows + 1`` rows of it.

    The statement is wrapped as ``SELECT * FROM (<sql>) AS q(c1, ..., cn) LIMIT n`` (PostgreSQL refuses a
    data-modifying WITH inside a subquery, and the server never produces more rows than needed). A first
    pass computes the largest cell and the total size as text (``octet_length(ci::text)``) on the server, so
    that a value over ``max_cell_bytes`` is refused before any of it is sent, and the rows that fit in
    ``max_result_bytes`` are counted; the second pass fetches them.
    """
    if not wrap:
        _execute(cursor, sql, params)
        rows = [tuple(r) for r in cursor.fetchmany(limits.max_rows + 1)]
        columns = [d[0] for d in cursor.description or ()]
        return _answer(columns, rows, limits, None)
    limit = limits.max_rows + 1
    _execute(cursor, f"SELECT * FROM (\n{sql}\n) AS sselab_q LIMIT 0", params)
    columns = [d[0] for d in cursor.description or ()]
    if not columns:
        return _answer(columns, [], limits, None)
    aliases = ", ".join(f"c{i}" for i in range(len(columns)))
    inner = f"SELECT * FROM (\n{sql}\n) AS sselab_q({aliases}) LIMIT {limit}"
    sizes = " + ".join(f"coalesce(octet_length(c{i}::text), 0)" for i in range(len(columns)))
    largest = (
        "greatest(" + ", ".join(f"coalesce(octet_length(c{i}::text), 0)" for i in range(len(columns))) + ")"
    )
    probe = (  # sizes first, so that the window keeps two numbers per row, never the values
        f"SELECT max(largest), count(*), count(*) FILTER (WHERE running <= {limits.max_result_bytes}) FROM ("
        "SELECT largest, sum(total) OVER (ROWS UNBOUNDED PRECEDING) AS running FROM ("
        f"SELECT {largest} AS largest, {sizes} AS total FROM ({inner}) AS sselab_r"
        ") AS sselab_sizes) AS sselab_s"
    )
    _execute(cursor, probe, params)
    biggest, total, fitting = cursor.fetchone() or (0, 0, 0)
    if biggest is not None and int(biggest) > limits.max_cell_bytes:
        return {"ok": False, "kind": "too_big", "message": f"a cell of {int(biggest)} bytes"}
    remaining = limits.timeout_s - (time.monotonic() - started)
    if remaining <= 0:
        return {"ok": False, "kind": "timeout", "message": "the size check used the whole time limit"}
    _set_timeouts(cursor, remaining)
    take = min(int(fitting or 0), int(total or 0))
    _execute(cursor, f"SELECT * FROM ({inner}) AS sselab_r LIMIT {take}", params)
    rows = [tuple(r) for r in cursor.fetchmany(limit)]
    return _answer(columns, rows, limits, "bytes" if take < int(total or 0) else None)


def _answer(
    columns: list[str], rows: list[tuple[Any, ...]], limits: QueryLimits, by: str | None
) -> dict[str, Any]:
    truncated_by = "rows" if len(rows) > limits.max_rows else by
    return {"ok": True, "columns": columns, "rows": rows[: limits.max_rows],
            "truncated": truncated_by is not None, "truncated_by": truncated_by}  # fmt: skip
