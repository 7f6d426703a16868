"""Load on ``sselab serve``: 200 concurrent requests to the materials page on 127.0.0.1.

Builds a store with the four public datasets (from the mirror, ``SSELAB_DATA_MIRROR``), starts
``sselab serve`` as a separate process on a free port, releases 200 client threads at once on each URL
(the default materials page and the divalent-hydride filter), and records whether every request
succeeded, the median, p95 and maximum latency and the wall time. Every request has a 60 s timeout and a
round is stopped after 120 s. Writes one line per URL to ``docs/benchmarks.md`` with machine, date and load.

Run: ``.venv/bin/python benchmarks/bench_web_load.py [--requests 200]``
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import UTC, datetime
from pathlib import Path

SECTION = "## Web server load (`sselab serve`)"
URLS = ("/materials", "/materials?valence=2&anion_family=all-hydrides&neutral=with")
DATASETS = ("wang2025-ea", "obelix", "liverpool-ionics", "laskowski2023")


def build_store(folder: Path) -> Path:
    from sselab.datasets import import_dataset
    from sselab.store import open_store

    path = folder / "public.sqlite"
    store = open_store(f"sqlite:///{path}")
    for name in DATASETS:
        import_dataset(name, store, progress=False)
    store.close()
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"sselab serve did not listen on port {port} within {timeout_s} s")


def one_request(port: int, path: str, barrier: threading.Barrier) -> tuple[int, float]:
    barrier.wait()
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = -1
    finally:
        conn.close()
    return status, time.perf_counter() - start


def load_round(port: int, path: str, n: int) -> dict[str, float]:
    barrier = threading.Barrier(n)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(one_request, port, path, barrier) for _ in range(n)]
        done, pending = wait(futures, timeout=120)
    wall = time.perf_counter() - start
    results = [f.result() for f in done]
    latencies = sorted(t for _, t in results)
    ok = sum(1 for status, _ in results if status == 200)
    return {
        "ok": ok,
        "n": n,
        "pending": len(pending),
        "median_s": statistics.median(latencies),
        "p95_s": latencies[max(0, int(0.95 * len(latencies)) - 1)],
        "max_s": latencies[-1],
        "wall_s": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="concurrent requests per URL")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _docs import append_to_section

    with tempfile.TemporaryDirectory(prefix="sselab-bench-web-") as folder:
        store = build_store(Path(folder))
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "sselab.cli.main", "serve", "--db", str(store), "--port", str(port)],
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_for(port)
            one_request(port, URLS[0], threading.Barrier(1))  # warm-up: imports, first connection
            rounds = {path: load_round(port, path, args.requests) for path in URLS}
        finally:
            server.terminate()
            server.wait(timeout=30)
    load = os.getloadavg()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    for path, r in rounds.items():
        line = (
            f"- {date}, {platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs shared), Python "
            f"{platform.python_version()}, one uvicorn process, store with the 4 public datasets: "
            f"{r['n']} concurrent GET `{path}`: {int(r['ok'])}/{r['n']} succeeded (HTTP 200), "
            f"median {r['median_s'] * 1000:.0f} ms, p95 {r['p95_s'] * 1000:.0f} ms, max {r['max_s']:.2f} s, "
            f"all done in {r['wall_s']:.2f} s; load average {load[0]:.1f} (`uptime`: {uptime})"
        )
        print(line)
        append_to_section(SECTION, line)
    if any(r["ok"] != r["n"] for r in rounds.values()):
        raise SystemExit("some requests failed")


if __name__ == "__main__":
    main()
