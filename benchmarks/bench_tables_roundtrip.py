"""Benchmark: export a store with the four public datasets and import the export into an empty store.

The store is built once from the dataset mirror (not timed). Timed, :data:`REPEATS` times each into a new
empty SQLite file: ``Store.export_frames`` + writing the two CSV files (``sselab data export``), reading and
checking both files (``sselab.datasets.tables.read_table``: column map, units, every cell), and the whole
import (``import_table``: read, the import boundary's screen, one transaction per file). The medians and every
run are appended, with the 1-minute load average (the development machine is shared), to the
``## Own tables: export and import-table`` section of ``docs/benchmarks.md``. Run:
``.venv/bin/python benchmarks/bench_tables_roundtrip.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _docs import append_to_section  # noqa: E402

from sselab.datasets import import_dataset  # noqa: E402
from sselab.datasets.tables import import_table, read_table  # noqa: E402
from sselab.store import open_store  # noqa: E402

SECTION = "## Own tables: export and import-table"
DATASETS = ("wang2025-ea", "obelix", "liverpool-ionics", "laskowski2023")
REPEATS = 3


def main() -> None:
    os.environ.setdefault("SSELAB_DATA_MIRROR", str((ROOT.parent / "shared" / "datasets").resolve()))
    folder = Path(tempfile.mkdtemp(prefix="bench_tables_"))
    store = open_store(str(folder / "public.sqlite"))
    for name in DATASETS:
        import_dataset(name, store, progress=False)
    runs: dict[str, list[float]] = {"export": [], "read": [], "import": []}
    rows = 0
    for repeat in range(REPEATS):
        out = folder / f"export{repeat}"
        out.mkdir()
        start = time.perf_counter()
        frames = store.export_frames()
        for name, frame in frames.items():
            frame.to_csv(out / f"{name}.csv", index=False)
        runs["export"].append(time.perf_counter() - start)
        rows = sum(len(frame) for frame in frames.values())
        start = time.perf_counter()
        for name in frames:
            read_table(out / f"{name}.csv")
        runs["read"].append(time.perf_counter() - start)
        empty = open_store(str(folder / f"empty{repeat}.sqlite"))
        start = time.perf_counter()
        for name in frames:
            import_table(out / f"{name}.csv", empty, save_report=False)
        runs["import"].append(time.perf_counter() - start)
        assert empty.stats()["conductivity_measurements"] == store.stats()["conductivity_measurements"]
    load = os.getloadavg()[0]
    median = {key: statistics.median(values) for key, values in runs.items()}
    line = (
        f"- {dt.date.today()}, {platform.node()} ({os.cpu_count()} cores, load {load:.1f}): {rows} rows "
        f"(σ and Ea of the four public datasets); median of {REPEATS}: export {median['export']:.2f} s, "
        f"read+check {median['read']:.2f} s, import into an empty store {median['import']:.2f} s "
        f"({rows / median['import']:.0f} rows/s); runs: "
        + "; ".join(f"{key} " + ", ".join(f"{v:.2f}" for v in values) for key, values in runs.items())
    )
    append_to_section(SECTION, line)
    print(line)


if __name__ == "__main__":
    main()
