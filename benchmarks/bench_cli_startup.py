"""Benchmark: how long the ``sselab`` command takes to start (``sselab --help``, ``sselab data --help``).

Each case runs ``python -m sselab ARGS`` in a new process :data:`REPEATS` times and reports the median wall
time (and every run); ``python -X importtime -c "import sselab.cli.main"`` gives the cumulative import time of
the command's module and ``sys.modules`` after it, how many modules it loads and whether the simulation stack
(``sselab.simulate``, ``torch``) is among them. ``--src PATH`` measures another checkout's ``src`` (put first
on ``PYTHONPATH``), for a before/after on the same machine at the same load; ``--label`` names what was
measured. The 1-minute load average is recorded: the development machine is shared.

Run: ``.venv/bin/python benchmarks/bench_cli_startup.py [--src OLD/src --label "before"]`` (appends to the
``## CLI start-up`` section of ``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## CLI start-up"
REPEATS = 5
CASES = (("--help",), ("data", "--help"))
PROBE = (
    "import sys, json; import sselab.cli.main; "
    "print(json.dumps([len(sys.modules), 'sselab.simulate' in sys.modules, 'torch' in sys.modules]))"
)


def _env(src: Path | None) -> dict[str, str]:
    env = {**os.environ, "SSELAB_THREADS": "1"}
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def wall_times(args: tuple[str, ...], src: Path | None, repeats: int = REPEATS) -> list[float]:
    """Wall time (s) of ``python -m sselab ARGS`` in a new process, ``repeats`` times."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        command = [sys.executable, "-m", "sselab", *args]
        subprocess.run(command, env=_env(src), capture_output=True, check=True, timeout=300)
        times.append(time.perf_counter() - start)
    return times


def import_profile(src: Path | None) -> tuple[float, int, bool, bool]:
    """(cumulative import time of sselab.cli.main in s, modules loaded, simulate loaded, torch loaded)."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", PROBE],
        env=_env(src),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    match = re.search(r"^import time:\s+\d+ \|\s+(\d+) \| sselab\.cli\.main$", out.stderr, re.M)
    assert match, out.stderr[-2000:]
    modules, simulate, torch = json.loads(out.stdout.strip().splitlines()[-1])
    return int(match.group(1)) / 1e6, int(modules), bool(simulate), bool(torch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=None, help="Measure this checkout's src folder instead.")
    parser.add_argument("--label", default="", help="What code was measured (written with the result).")
    options = parser.parse_args()
    load_before = os.getloadavg()[0]
    parts = []
    for args in CASES:
        runs = wall_times(args, options.src)
        shown = ", ".join(f"{t:.2f}" for t in runs)
        parts.append(f"`sselab {' '.join(args)}` median {statistics.median(runs):.2f} s (runs {shown})")
    seconds, modules, simulate, torch = import_profile(options.src)
    parts.append(
        f"`import sselab.cli.main` {seconds:.2f} s (-X importtime, cumulative), {modules} modules, "
        f"sselab.simulate {'loaded' if simulate else 'not loaded'}, "
        f"torch {'loaded' if torch else 'not loaded'}"
    )
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    python = sys.version.split()[0]
    machine = f"{platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs), Python {python}"
    label = f" [{options.label}]" if options.label else ""
    line = (
        f"- {now}, {machine}{label}: "
        + "; ".join(parts)
        + f"; 1-min load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(line)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _docs import append_to_section

    append_to_section(SECTION, line)


if __name__ == "__main__":
    main()
