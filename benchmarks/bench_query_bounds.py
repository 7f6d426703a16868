"""Benchmark: how long a runaway statement runs in plain SQLite, and when the read-only guard stops it.

The statement of ``tests/test_store_query_bounds.py`` (a recursive CTE of 3e8 rows) is run once on a plain
``sqlite3`` connection (no limit; cut at ``--plain-cap`` seconds if it runs longer), then through
``readonly_query`` (the worker process) with timeouts of 1, 3 and 5 s, and through ``sselab db query --timeout
1`` as a subprocess; then ``SELECT zeroblob(1000000000)`` through the guard. Wall times are recorded with the
1-minute load average (the development machine is shared).

Run: ``.venv/bin/python benchmarks/bench_query_bounds.py [--plain-cap 120]`` (appends to the
``## Read-only query bounds`` section of ``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

SECTION = "## Read-only query bounds"
SLOW = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000000) "
    "SELECT sum(length(hex(x))) FROM c"
)


def plain_seconds(path: Path, cap_s: float) -> tuple[float, bool]:
    """Run time of SLOW on a plain connection, and whether it finished before the cap."""
    conn = sqlite3.connect(path)
    timer = threading.Timer(cap_s, conn.interrupt)
    timer.start()
    start = time.perf_counter()
    try:
        conn.execute(SLOW).fetchall()
        finished = True
    except sqlite3.OperationalError:
        finished = False
    elapsed = time.perf_counter() - start
    timer.cancel()
    conn.close()
    return elapsed, finished


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plain-cap", type=float, default=120.0)
    args = parser.parse_args()

    from _docs import append_to_section

    from sselab.errors import UnsafeQueryError
    from sselab.store import open_store
    from sselab.store.readonly import readonly_query

    load_before = os.getloadavg()[0]
    folder = Path(tempfile.mkdtemp(prefix="sselab-bench-"))
    path = folder / "store.sqlite"
    open_store(f"sqlite:///{path}").close()
    plain, finished = plain_seconds(path, args.plain_cap)
    guarded = {}
    for timeout in (1.0, 3.0, 5.0):
        start = time.perf_counter()
        with contextlib.suppress(UnsafeQueryError):
            readonly_query(path, SLOW, timeout_s=timeout)
        guarded[timeout] = time.perf_counter() - start
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "sselab", "db", "query", SLOW, "--db", str(path), "--timeout", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    cli = time.perf_counter() - start
    start = time.perf_counter()
    try:
        readonly_query(path, "SELECT zeroblob(1000000000)")
        refused = "NOT refused"
    except UnsafeQueryError:
        refused = "refused"
    cell = time.perf_counter() - start
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = (
        f"{platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs), Python {sys.version.split()[0]}"
    )
    plain_text = f"{plain:.1f} s" if finished else f"still running after {plain:.0f} s (cut there)"
    times = ", ".join(f"timeout {t:g} s → stopped after {s:.2f} s" for t, s in guarded.items())
    line = (
        f"- {now}, {machine}: the 3e8-row recursive CTE in plain SQLite {plain_text}; through the guard "
        f"{times}; `sselab db query --timeout 1` (a new process: start, open the store, query) exit "
        f"{done.returncode} after {cli:.2f} s; `SELECT zeroblob(1000000000)` {refused} in {cell:.3f} s; "
        f"1-min load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(line)
    append_to_section(SECTION, line)


if __name__ == "__main__":
    main()
