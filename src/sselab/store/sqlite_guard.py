"""One read-only SQLite query under hard bounds; also a stand-alone worker process (standard library only).

:func:`run_guarded` runs a statement on a connection with every bound SQLite offers: an authorizer that
allows only reading, ``SQLITE_LIMIT_LENGTH`` (no string or blob, stored or computed, larger than the cell
limit: ``zeroblob(1e9)`` fails at once), a progress handler and an ``interrupt()`` from a timer thread at the
deadline (any statement stops at its next virtual-machine instruction), and a cap on the bytes of the whole
result (rows beyond it are not fetched; ``truncated`` says so).

Run as a script (``python -I -S sqlite_guard.py``), it reads one JSON request on stdin, opens the file
``mode=ro`` with a memory limit (``RLIMIT_AS`` and ``PRAGMA hard_heap_limit``), runs :func:`run_guarded` and
writes the pickled answer on stdout; :mod:`sselab.store.readonly` kills it when it outlives the deadline, so
even a statement that never reaches an instruction boundary cannot run on. This module must import nothing
but the standard library (the worker starts with ``-I -S``, in about 40 ms).

Example::

    >>> import sqlite3
    >>> conn = sqlite3.connect(":memory:")
    >>> run_guarded(conn, "SELECT 1 AS one", max_rows=10, timeout_s=1.0)["rows"]
    [(1,)]
    >>> run_guarded(conn, "SELECT zeroblob(1000000000)", max_rows=10, timeout_s=1.0)["kind"]
    'too_big'
"""

from __future__ import annotations

import json
import pickle
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

SQLITE_RECURSIVE = 33
"""The authorizer code of a recursive CTE (not exported by every Python's sqlite3)."""
PROGRESS_STEPS = 2_000
"""Virtual-machine instructions between two checks of the deadline."""
DEFAULT_MAX_CELL_BYTES = 4_000_000
"""Largest string or blob in a query (bytes): larger than any stored CIF (2 MB)."""
DEFAULT_MAX_RESULT_BYTES = 64_000_000
"""Most bytes of one query's rows (strings and blobs by length, numbers 8 bytes each)."""
WORKER_MEMORY_BYTES = 1_500_000_000
"""Address space of the worker process (``RLIMIT_AS``); SQLite's heap is held to half of it."""
_REFUSALS = ("not authorized", "authorization denied", "readonly", "prohibited", "one statement at a time")


def _authorizer(forbidden: frozenset[str]) -> Callable[..., int]:
    allowed = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, SQLITE_RECURSIVE}

    def check(action: int, _arg1: Any, arg2: Any, _db: Any, _trigger: Any) -> int:
        if action not in allowed:
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION and str(arg2 or "").lower() in forbidden:
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    return check


def _size(value: Any) -> int:
    if isinstance(value, str | bytes | bytearray | memoryview):
        return len(value)
    return 8


def run_guarded(
    conn: sqlite3.Connection,
    sql: str,
    *,
    max_rows: int,
    timeout_s: float,
    max_cell_bytes: int = DEFAULT_MAX_CELL_BYTES,
    max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
    forbidden: Iterable[str] = (),
    params: Any = None,
) -> dict[str, Any]:
    """Run ``sql`` on ``conn`` within the bounds; the connection's limits and handlers are restored after.

    ``params`` are the values of the statement's ``?`` (a sequence) or ``:name`` (a mapping) placeholders.

    Returns
    -------
    dict
        ``{"ok": True, "columns", "rows", "truncated", "truncated_by"}`` (``truncated_by`` is ``"rows"``,
        ``"bytes"`` or ``None``), or ``{"ok": False, "kind", "message"}`` with ``kind`` one of ``refused``,
        ``timeout``, ``too_big`` and ``failed``.
    """
    deadline = time.monotonic() + timeout_s
    hit = [False]

    def progress() -> int:
        if time.monotonic() > deadline:
            hit[0] = True
            return 1
        return 0

    def interrupt() -> None:
        hit[0] = True
        conn.interrupt()

    timer = threading.Timer(timeout_s, interrupt)
    timer.daemon = True
    old_length = conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max(1, int(max_cell_bytes)))
    conn.set_authorizer(_authorizer(frozenset(f.lower() for f in forbidden)))
    conn.set_progress_handler(progress, PROGRESS_STEPS)
    timer.start()
    rows: list[tuple[Any, ...]] = []
    truncated_by: str | None = None
    try:
        cursor = conn.execute(sql) if params is None else conn.execute(sql, params)
        columns = [d[0] for d in cursor.description or ()]
        total = 0
        while truncated_by is None:
            batch = cursor.fetchmany(100)
            if not batch:
                break
            for row in batch:
                if len(rows) >= max_rows:
                    truncated_by = "rows"
                    break
                total += sum(_size(v) for v in row)
                if total > max_result_bytes:
                    truncated_by = "bytes"
                    break
                rows.append(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row))
        cursor.close()
    except sqlite3.DataError as exc:  # "string or blob too big": a cell above the length limit
        return {"ok": False, "kind": "too_big", "message": str(exc)}
    except sqlite3.Error as exc:
        message = str(exc)
        if hit[0] or "interrupted" in message:
            return {"ok": False, "kind": "timeout", "message": message}
        if "too big" in message:
            return {"ok": False, "kind": "too_big", "message": message}
        kind = "refused" if any(r in message for r in _REFUSALS) else "failed"
        return {"ok": False, "kind": kind, "message": message}
    except sqlite3.Warning as exc:  # "You can only execute one statement at a time" (older Pythons)
        return {"ok": False, "kind": "refused", "message": str(exc)}
    except MemoryError:
        return {"ok": False, "kind": "too_big", "message": "the query ran out of memory"}
    finally:
        timer.cancel()
        conn.set_progress_handler(None, PROGRESS_STEPS)
        conn.set_authorizer(None)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, old_length)
    return {"ok": True, "columns": columns, "rows": rows, "truncated": truncated_by is not None,
            "truncated_by": truncated_by}  # fmt: skip


def open_readonly(uri: str, timeout_s: float) -> sqlite3.Connection:
    """A connection to ``uri`` (``file:...?mode=ro``) that cannot write (query_only, no trusted schema)."""
    conn = sqlite3.connect(uri, uri=True, timeout=timeout_s, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA query_only=ON")
    conn.execute("PRAGMA trusted_schema=OFF")
    return conn


def _serve(request: dict[str, Any]) -> dict[str, Any]:
    try:
        # lazy: a Unix-only module, needed in the query worker process only
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    except (ImportError, ValueError, OSError):  # not on this platform: SQLite's own heap limit still holds
        pass
    try:
        conn = open_readonly(request["uri"], request["timeout_s"])
        conn.execute(f"PRAGMA hard_heap_limit={WORKER_MEMORY_BYTES // 2}")  # process-wide: the worker only
    except sqlite3.Error as exc:
        return {"ok": False, "kind": "failed", "message": f"cannot open the store: {exc}"}
    try:
        return run_guarded(
            conn,
            request["sql"],
            max_rows=request["max_rows"],
            timeout_s=request["timeout_s"],
            max_cell_bytes=request["max_cell_bytes"],
            max_result_bytes=request["max_result_bytes"],
            forbidden=request["forbidden"],
            params=request.get("params"),
        )
    finally:
        conn.close()


def main() -> None:
    """Worker entry point: one JSON request on stdin, one pickled answer on stdout."""
    answer = _serve(json.loads(sys.stdin.buffer.read().decode("utf-8")))
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
