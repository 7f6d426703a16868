"""The hydride benchmark on sselab's built-in open set: composite and CI-NEB with CHGNet and SevenNet.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_hydride_open_set.py table    # open-set table -> docs/
    .venv/bin/python benchmarks/bench_hydride_open_set.py run      # the timed run (resumable: rerun it)
    .venv/bin/python benchmarks/bench_hydride_open_set.py report   # tables, figure and CSV into docs/

``run`` calls ``sselab benchmark run open-set`` with the settings below (chosen for the issue's budget of 3
hours on 2 cores, see docs/hydride_benchmark.md) into ``$SSELAB_BENCH_RUNS/hydride_open_set`` (default
``runs/``), and records the wall time and the load before and after in ``bench.json`` there (summed over
resumed runs). ``report`` writes the per-material and metrics tables to ``docs/benchmarks.md`` and
``docs/hydride_benchmark.md``, the rows to ``docs/data/hydride_benchmark.csv`` and the parity figure to
``docs/figures/hydride_parity.png``, only from the run's own JSON summaries.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = Path(os.environ.get("SSELAB_BENCH_RUNS", ROOT / "runs")) / "hydride_open_set"
DOC = ROOT / "docs" / "hydride_benchmark.md"
METHODS, POTENTIALS = "composite,neb", "chgnet,sevennet"
#: Cost-bound settings (see docs/hydride_benchmark.md, "Budget").
OPTIONS = ("--max-atoms", "100", "--fmax", "0.05", "--starts", "2", "--images", "3", "--threads", "1")
SECTION = "## Hydride benchmark (open set)"


def _replace_block(text: str, name: str, body: str) -> str:
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    head, rest = text.split(begin, 1)
    return head + begin + "\n" + body.rstrip("\n") + "\n" + end + rest.split(end, 1)[1]


def table() -> str:
    """The open set: material, phase, provenance, source, experimental Ea, DOI (read from wang2025-ea)."""
    from sselab.benchmark import open_set, resolve_experiments

    manifest = resolve_experiments(open_set())
    lines = [
        "| material | phase | provenance | structure source | experimental Ea (eV) | wang2025-ea Index "
        "| DOI |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in manifest.materials:
        index = ", ".join(str(i) for i in m.experiment.index) if m.experiment else ""
        flag = f" (suspect: {m.suspect})" if m.suspect else ""
        lines.append(
            f"| {m.formula} | {m.phase} | {m.provenance} | `{m.structure}`: {m.provenance_note} | "
            f"{m.experimental_ea_ev:.3f}{flag} | {index} | {m.doi} |"
        )
    body = "\n".join(lines)
    DOC.write_text(_replace_block(DOC.read_text(encoding="utf-8"), "OPEN SET", body), encoding="utf-8")
    print(body)
    return body


def run() -> None:
    """The timed benchmark run (resumable; the wall time adds up over resumed runs)."""
    RUN.mkdir(parents=True, exist_ok=True)
    bench_file = RUN / "bench.json"
    start, load0 = time.perf_counter(), os.getloadavg()
    start_utc = datetime.now(UTC).isoformat(timespec="seconds")
    # SSELAB_BENCH_METHODS: a subset of METHODS (a second process taking some composite jobs, say).
    methods = os.environ.get("SSELAB_BENCH_METHODS", METHODS)
    command = [str(ROOT / ".venv" / "bin" / "sselab"), "benchmark", "run", "open-set", "--methods", methods]
    # SSELAB_BENCH_POTENTIALS: a subset of POTENTIALS for this session (one potential's whole set first).
    potentials = os.environ.get("SSELAB_BENCH_POTENTIALS", POTENTIALS)
    command += ["--potentials", potentials, "--out", str(RUN), *OPTIONS]
    # Optional, for a session that runs part of the set first: SSELAB_BENCH_ONLY="name;name" (material names
    # of the manifest) and SSELAB_BENCH_WORKERS (Dask workers, default 1). Finished jobs are never rerun.
    only = [name for name in os.environ.get("SSELAB_BENCH_ONLY", "").split(";") if name]
    for name in only:
        command += ["--only", name]
    command += ["--workers", os.environ.get("SSELAB_BENCH_WORKERS", "1")]
    code = subprocess.call(["nice", "-n", "10", *command])
    # read at the end, not the start: processes running side by side each add their own session
    bench = json.loads(bench_file.read_text()) if bench_file.exists() else {"sessions": []}
    bench["sessions"].append(
        {
            "command": " ".join(command[1:]),
            "only": only,
            "start_utc": start_utc,
            "end_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "wall_time_s": time.perf_counter() - start,
            "load_before": load0,
            "load_after": os.getloadavg(),
            "exit_code": code,
            "host": platform.node(),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
        }
    )
    bench_file.write_text(json.dumps(bench, indent=1) + "\n")


def report() -> None:
    """Tables, CSV and figure from the run's JSON summaries."""
    sys.path.insert(0, str(Path(__file__).parent))
    from _docs import append_to_section

    from sselab.benchmark.report import benchmark_report, markdown_tables, parity_figure, write_rows_csv
    from sselab.benchmark.runner import read_records

    records = read_records(RUN)
    if not records:
        raise SystemExit(f"no results in {RUN}: run first")
    bench = benchmark_report(records)
    write_rows_csv(bench, ROOT / "docs" / "data" / "hydride_benchmark.csv")
    parity_figure(bench, ROOT / "docs" / "figures" / "hydride_parity.png")
    tables = markdown_tables(bench)
    sessions = (
        json.loads((RUN / "bench.json").read_text())["sessions"] if (RUN / "bench.json").exists() else []
    )
    # a process run beside another (overlaps_previous) adds no elapsed time
    wall = sum(s["wall_time_s"] for s in sessions if not s.get("overlaps_previous"))

    def load(values: list[float] | None) -> str:
        return "n/a" if not values else f"{values[0]:.1f}"

    loads = ", ".join(f"{load(s['load_before'])}→{load(s['load_after'])}" for s in sessions)
    job_wall = sum(r.wall_time_s for r in records)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    done = sum(r.status == "ok" for r in records)
    from sselab.benchmark import open_set

    planned = len(open_set().materials) * len(METHODS.split(",")) * len(POTENTIALS.split(","))
    head = (
        f"{stamp}, {platform.node()} ({os.cpu_count()} CPUs shared), Python {platform.python_version()}: "
        f"`sselab benchmark run open-set --methods {METHODS} --potentials {POTENTIALS} {' '.join(OPTIONS)}`; "
        f"{done} of the {planned} planned jobs finished ({len(records)} with a record), "
        f"{wall / 3600:.2f} h elapsed over {len(sessions)} process(es), side by side ones counted once "
        f"(sum of job wall times {job_wall / 3600:.2f} h; 1-min load before→after per session: {loads}). "
        "Figure: `docs/figures/hydride_parity.png`; rows: `docs/data/hydride_benchmark.csv`."
    )
    text = head + "\n\n" + tables
    DOC.write_text(_replace_block(DOC.read_text(encoding="utf-8"), "RESULTS", text), encoding="utf-8")
    append_to_section(SECTION, text)
    print(text)


def main(argv: list[str]) -> None:
    parts = argv or ["table", "run", "report"]
    table_of = {"table": table, "run": run, "report": report}
    for part in parts:
        if part not in table_of:
            raise SystemExit(f"unknown part {part!r}; choose from {', '.join(table_of)}")
        table_of[part]()


if __name__ == "__main__":
    main(sys.argv[1:])
