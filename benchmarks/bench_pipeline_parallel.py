"""Parallel efficiency of the pipeline's Dask execution on independent MetaD jobs.

The same set of independent metadynamics jobs (the pipeline's own job function,
:func:`sselab.pipeline.jobs.metad_job`: LiBH4 Pnma with a Li vacancy and CHGNet by default, one torch thread
per worker) runs on a local Dask cluster with 1 worker and then with 2 workers; efficiency = T(1 worker) / (2
· T(2 workers)). Cluster start-up is excluded (the cluster is started first), each job's own set-up (building
its calculator in the worker) is included. Every run uses fresh run folders and a fresh store, so nothing is
taken from a cache.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_pipeline_parallel.py [--jobs 4] [--steps 30] [--potential chgnet]

Appends a line (machine, date, load average before/after, times, efficiency) to the section ``## Pipeline
parallel efficiency`` of ``docs/benchmarks.md`` (only that section is rewritten). With ``--quick-profile
OUT`` it instead runs ``sselab pipeline run quick`` from scratch (fresh store in OUT) and records its wall and
CPU time per stage, in the same section.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
HEADER = "## Pipeline parallel efficiency"
TARGET = 0.85


def _cpu() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _specs(folder: Path, n_jobs: int, steps: int, potential: str) -> list[dict[str, object]]:
    if potential == "emt":
        from ase.build import bulk
        from ase.io import write

        structure = folder / "cu.cif"
        write(structure, bulk("Cu", "fcc", a=3.61, cubic=True).repeat((2, 2, 2)))
        cation, supercell = "Cu", 0.0
    else:
        from sselab.simulate.reference import write_libh4_pnma_cif

        structure = write_libh4_pnma_cif(folder / "libh4.cif")
        cation, supercell = "Li", 6.0
    from sselab.simulate.settings import MetaDSettings

    settings = MetaDSettings(
        potential=potential, steps=steps, pace=10, height_ev=0.05, width_a=0.25,
        supercell_min_length_a=supercell, threads=1, checkpoint_every=10_000,
    )  # fmt: skip
    return [
        {"structure": str(structure), "cation": cation, "settings": settings.replace(seed=k).as_dict(),
         "run_dir": str(folder / f"run-{k}")}
        for k in range(n_jobs)
    ]  # fmt: skip


def _time(n_workers: int, n_jobs: int, steps: int, potential: str) -> float:
    from sselab.pipeline.executor import JobExecutor
    from sselab.pipeline.jobs import metad_job
    from sselab.store import open_store

    with tempfile.TemporaryDirectory(prefix=f"bench-par{n_workers}-") as tmp:
        folder = Path(tmp)
        store = open_store(f"sqlite:///{folder / 'store.db'}")
        specs = _specs(folder, n_jobs, steps, potential)
        executor = JobExecutor(n_workers=n_workers)
        try:
            executor._get_client().wait_for_workers(n_workers)
            t0 = time.perf_counter()
            results = executor.run(store, "bench/metad", metad_job, specs)
            seconds = time.perf_counter() - t0
        finally:
            executor.close()
        assert len(results) == n_jobs and all(r["result"]["steps_done"] == steps for r in results)
    return seconds


def _write_section(line: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if HEADER in text:
        start = text.index(HEADER)
        nxt = text.find("\n## ", start + len(HEADER))
        end = len(text) if nxt < 0 else nxt + 1
        section = text[start:end].rstrip("\n") + "\n" + line + "\n"
        text = text[:start] + section + ("\n" + text[end:] if nxt >= 0 else "")
    else:
        intro = (
            f"{HEADER}\n\n`benchmarks/bench_pipeline_parallel.py`: the same independent MetaD jobs on a "
            "local Dask "
            "cluster with 1 and 2 workers (one torch thread each); efficiency = T1 / (2·T2), target ≥ 0.85. "
            "The CPU is shared with other sessions: the load average (1 min) is given before and after.\n\n"
        )
        text = text.rstrip("\n") + "\n\n" + intro + line + "\n"
    DOC.write_text(text, encoding="utf-8")


def _quick_profile(out: Path) -> str:
    """Run the ``quick`` profile from scratch (fresh store, ``out``) and describe its wall and CPU time."""
    import resource

    from sselab.pipeline import load_config, run_pipeline
    from sselab.pipeline.runner import PipelineFailed

    load_before = os.getloadavg()
    config = load_config("quick").with_overrides(out_dir=out, store_url=f"sqlite:///{out / 'store.db'}")
    t0 = time.perf_counter()
    try:
        run = run_pipeline(config)
        failed = ""
    except PipelineFailed as exc:
        run, failed = exc.run, f"; FAILED {list(exc.run.failed)}"
    wall = time.perf_counter() - t0
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in usage)
    stages = ", ".join(f"{s.name} {s.seconds:.0f} s" for s in run.stages)
    return (
        f"- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()} ({_cpu()}, {os.cpu_count()} CPUs): "
        f"`sselab pipeline run quick` from scratch, all stages in {wall / 60:.1f} min wall "
        f"(target < 15 min on 2 cores), CPU time {cpu:.0f} s (client and workers); {stages}{failed}; "
        f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    """Run the benchmark and record it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=4, help="independent MetaD jobs (even, ≥ 2)")
    parser.add_argument("--steps", type=int, default=30, help="MD steps per job")
    parser.add_argument("--potential", default="chgnet", help="chgnet (LiBH4) or emt (Cu, cheap)")
    parser.add_argument("--no-record", action="store_true", help="print only, do not edit docs/benchmarks.md")
    parser.add_argument(
        "--quick-profile", type=Path, help="instead: time the quick profile, output in this folder"
    )
    args = parser.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    if args.quick_profile is not None:
        line = _quick_profile(args.quick_profile)
        print(line)
        if not args.no_record:
            _write_section(line)
        return
    load_before = os.getloadavg()
    t1 = _time(1, args.jobs, args.steps, args.potential)
    t2 = _time(2, args.jobs, args.steps, args.potential)
    load_after = os.getloadavg()
    efficiency = t1 / (2.0 * t2)
    system = "LiBH4 Pnma 2x1x1 (47 atoms), CHGNet" if args.potential != "emt" else "Cu fcc (31 atoms), EMT"
    line = (
        f"- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()} ({_cpu()}, {os.cpu_count()} CPUs), "
        f"Python {platform.python_version()}: {args.jobs} MetaD jobs × {args.steps} steps ({system}); "
        f"T(1 worker) = {t1:.1f} s, T(2 workers) = {t2:.1f} s, efficiency T1/(2·T2) = {efficiency:.2f} "
        f"(target ≥ {TARGET}); load average before {load_before[0]:.1f}, after {load_after[0]:.1f}"
    )
    print(line)
    if not args.no_record:
        _write_section(line)


if __name__ == "__main__":
    main()
