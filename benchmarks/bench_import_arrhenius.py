"""Benchmark: import 20,000 σ(T) measurements into a fresh SQLite store and fit Arrhenius per material.

The measurements are real Liverpool Ionics rows, replicated: every composition of ``liverpool-ionics``
measured at three or more temperatures (71 compositions; their real σ(T) points as the importer reads them,
°C -> K) is copied into synthetic materials ``"<formula> [replica k]"`` (the real parsed formula attached),
each temperature jittered by N(0, 0.5 K) and each conductivity multiplied by exp(N(0, 0.05)), seed 20251125,
until 20,000 measurements exist. Timed separately:

* import: ``Store.import_batch`` of the 20,000 records (one transaction) into a new SQLite file;
* fit: ``Store.conductivity_frame()`` read-back, grouping by material (numpy), and
  ``sselab.transport.fit_arrhenius`` (σT form) per material.

Each run imports into a new SQLite file; the script runs :data:`REPEATS` times and reports the medians and
every run. Reading the real file and parsing its formulas (once) is timed too, but reported apart. The last
replica is cut at 20,000 measurements, so it may have too few points to fit (counted as a fit error). The
1-minute load average is recorded with the result: the development machine is shared. Goal: import + fit
under 5 s on 2 cores. Run: ``.venv/bin/python benchmarks/bench_import_arrhenius.py`` (appends to the
``## Import and Arrhenius`` section of ``docs/benchmarks.md``, rewriting only that section).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Import and Arrhenius"
N_MEASUREMENTS = 20_000
SEED = 20251125
MIN_TEMPERATURES = 3
REPEATS = 3


def build_records(seed: int = SEED, n_measurements: int = N_MEASUREMENTS) -> tuple[list, int, float]:
    """Replicated conductivity records from the real Liverpool file; returns (records, materials, read s)."""
    from sselab.datasets import fetch, read_dataset_file
    from sselab.store.records import ConductivityRecord, MaterialRecord

    start = time.perf_counter()
    parsed = read_dataset_file("liverpool-ionics", fetch("liverpool-ionics"))
    read_s = time.perf_counter() - start
    series: dict[str, list[ConductivityRecord]] = {}
    for record in parsed.conductivities:
        assert isinstance(record.material, MaterialRecord)
        series.setdefault(record.material.formula, []).append(record)
    usable = [rows for rows in series.values() if len({r.temperature_k for r in rows}) >= MIN_TEMPERATURES]
    rng = np.random.default_rng(seed)
    records: list[ConductivityRecord] = []
    replica = 0
    while len(records) < n_measurements:
        for rows in usable:
            material = rows[0].material
            assert isinstance(material, MaterialRecord)
            synthetic = MaterialRecord(
                f"{material.formula} [replica {replica}]",
                material.parsed,
                family_label=material.family_label,
                dataset="bench-liverpool",
            )
            jitter_k = rng.normal(0.0, 0.5, len(rows))
            factor = np.exp(rng.normal(0.0, 0.05, len(rows)))
            for row, dt_k, f in zip(rows, jitter_k, factor, strict=True):
                records.append(
                    ConductivityRecord(
                        synthetic,
                        temperature_k=float(row.temperature_k + dt_k),
                        conductivity_s_per_cm=float(row.conductivity_s_per_cm * f),
                        source=row.source,
                        dataset="bench-liverpool",
                        row_number=len(records) + 1,
                    )
                )
            replica += 1
            if len(records) >= n_measurements:
                break
    records = records[:n_measurements]
    materials = len({r.material.formula for r in records if isinstance(r.material, MaterialRecord)})
    return records, materials, read_s


def _import_and_fit(
    records: list, folder: Path, repeat: int
) -> tuple[dict[str, int], float, int, int, float]:
    """One timed import into a new SQLite file, then the fits: (inserted, import s, fits, errors, fit s)."""
    from sselab.errors import FitError
    from sselab.store import open_store
    from sselab.store.records import ImportBatch
    from sselab.transport import fit_arrhenius

    store = open_store(f"sqlite:///{folder / f'bench-{repeat}.sqlite'}")
    start = time.perf_counter()
    batch = ImportBatch(
        "bench-liverpool",
        file_sha256=f"{SEED:064x}",
        file_name="replicated-liverpool",
        conductivities=tuple(records),
    )
    result = store.import_batch(batch)
    import_s = time.perf_counter() - start

    start = time.perf_counter()
    frame = store.conductivity_frame(dataset="bench-liverpool")
    order = np.argsort(frame["material_id"].to_numpy(), kind="stable")
    ids = frame["material_id"].to_numpy()[order]
    cuts = np.flatnonzero(np.diff(ids)) + 1
    temperatures_k = np.split(frame["temperature_k"].to_numpy(dtype=float)[order], cuts)
    sigmas = np.split(frame["conductivity_s_per_cm"].to_numpy(dtype=float)[order], cuts)
    fits = failed = 0
    for temperature_k, sigma in zip(temperatures_k, sigmas, strict=True):
        try:
            fit_arrhenius(temperature_k, sigma)
            fits += 1
        except FitError:
            failed += 1
    fit_s = time.perf_counter() - start
    store.close()
    return dict(result.inserted), import_s, fits, failed, fit_s


def run(n_measurements: int = N_MEASUREMENTS, repeats: int = 1) -> dict[str, Any]:
    """Run the benchmark ``repeats`` times (a new store each) on ``n_measurements`` replicated rows.

    Returns the median import and fit times (s), every run's times, and counts of the last run.
    """
    import sselab.transport  # noqa: F401  (imported before timing: its import is not part of a fit)

    records, n_materials, read_s = build_records(n_measurements=n_measurements)
    folder = Path(tempfile.mkdtemp(prefix="sselab-bench-"))
    runs = [_import_and_fit(records, folder, k) for k in range(repeats)]
    inserted, _, fits, failed, _ = runs[-1]
    import_runs = [r[1] for r in runs]
    fit_runs = [r[4] for r in runs]
    return {
        "measurements": int(inserted.get("conductivity_measurements", 0)),
        "materials": n_materials,
        "fits": fits,
        "fit_errors": failed,
        "read_s": read_s,
        "import_s": float(np.median(import_runs)),
        "fit_s": float(np.median(fit_runs)),
        "import_runs_s": import_runs,
        "fit_runs_s": fit_runs,
    }


def append_result(line: str, path: Path = ROOT / "docs" / "benchmarks.md") -> None:
    """Append ``line`` to this benchmark's section, keeping every other section as it is."""
    from _docs import append_to_section

    append_to_section(SECTION, line, path)


def main() -> None:
    os.environ.setdefault("SSELAB_DATA_MIRROR", str(ROOT.parent / "shared" / "datasets"))
    load_before = os.getloadavg()[0]
    r = run(repeats=REPEATS)
    total = r["import_s"] + r["fit_s"]
    runs = ", ".join(f"{i:.2f} + {f:.2f}" for i, f in zip(r["import_runs_s"], r["fit_runs_s"], strict=True))
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = (
        f"{platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs), Python {sys.version.split()[0]}"
    )
    line = (
        f"- {now}, {machine}: {r['measurements']:,} measurements of {r['materials']:,} replicated Liverpool "
        f"materials (seed {SEED}); median of {REPEATS} runs: import {r['import_s']:.2f} s + Arrhenius fits "
        f"{r['fit_s']:.2f} s ({r['fits']:,} fits, {r['fit_errors']} fit errors) = {total:.2f} s "
        "(goal < 5 s); "
        f"runs (import + fits) {runs} s; reading + parsing the real file (not in the total) "
        f"{r['read_s']:.2f} s; 1-min load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(line)
    append_result(line)


if __name__ == "__main__":
    main()
