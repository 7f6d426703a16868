"""Run a benchmark: one job per (material, method, potential) on the pipeline's Dask executor.

Each job reads its structure from its source, runs the method's recipe with its potential, and writes a
JSON summary (:class:`BenchmarkRecord`) in its run folder ``RUN_ROOT/<material>/<potential>/<method>.json``;
the executor caches every finished job in the run's store (``RUN_ROOT/jobs.sqlite``), so rerunning the same
command after a kill recomputes only the unfinished jobs (and a job killed midway reuses the parts its
recipe had finished, from the run folder). A ``composite`` job waits for the ``neb`` job of its own
(material, potential) and reuses its bulk relaxation and CI-NEB from their shared folder; no other job
waits for anything.

Example
-------
>>> from sselab.benchmark.runner import plan_jobs
>>> from sselab.benchmark.open_set import open_set
>>> jobs = plan_jobs(open_set(), ["composite", "neb"], ["chgnet"], "runs/bench")
>>> len(jobs), jobs[0]["method"]
(18, 'neb')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sselab.benchmark.jobs import (
    JOB_STAGE,
    METHODS,
    BenchmarkRecord,
    job_folder,
    job_waves,
    plan_jobs,
    read_records,
    run_job,
    slug,
)
from sselab.errors import PipelineError
from sselab.pipeline.executor import JobExecutor, job_key

__all__ = [
    "JOB_STAGE",
    "METHODS",
    "BenchmarkRecord",
    "job_folder",
    "job_waves",
    "plan_jobs",
    "read_records",
    "run_benchmark",
    "run_job",
    "slug",
]


def run_benchmark(
    specs: list[dict[str, Any]],
    store: Any,
    executor: JobExecutor,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> tuple[list[BenchmarkRecord], list[str]]:
    """Run the jobs on ``executor``, caching each finished job in ``store`` (the pipeline's job cache).

    The static methods (``neb``, ``composite``) run in one call: a ``composite`` job waits only for the
    ``neb`` job of its own (material, potential), whose bulk relaxation and CI-NEB it reuses from their
    shared folder, and every other job starts as soon as a worker is free (no worker idles until a whole
    wave is done). The dynamic methods (``metad``, ``md-arrhenius``) follow, one wave each, in
    :data:`METHODS` order. A job that crashed (an error other than a :class:`~sselab.errors.SselabError`,
    which becomes a ``failed`` record) stops neither the jobs waiting for it nor the next wave; the
    crashed jobs are rerun next time. ``on_progress(method, done, total)`` counts each method's jobs.

    Returns
    -------
    tuple
        The records of every finished job, and the errors of the jobs that crashed.
    """
    errors: list[str] = []
    for label, wave, after in job_waves(specs):
        stages = [f"{JOB_STAGE}/{s['method']}" for s in wave]
        callback = _method_progress(wave, on_progress, store, stages) if on_progress else None
        try:
            executor.run(
                store, f"{JOB_STAGE}/{label}", run_job, wave, on_progress=callback, stages=stages, after=after
            )
        except PipelineError as exc:
            errors.append(str(exc))
    records = []
    for spec in specs:
        stage = f"{JOB_STAGE}/{spec['method']}"
        output = store.get_stage_result(stage, job_key(stage, spec))
        if output is not None:
            records.append(BenchmarkRecord.from_dict(output))
    return records, errors


def _method_progress(
    wave: list[dict[str, Any]],
    on_progress: Callable[[str, int, int], None],
    store: Any,
    stages: list[str],
) -> Callable[[int, int], None]:
    """An executor progress callback that reports ``(method, done, total)`` for each method of ``wave``."""
    methods = [s["method"] for s in wave]
    keys = [job_key(stage, s) for stage, s in zip(stages, wave, strict=True)]

    def callback(done: int, total: int) -> None:
        for method in dict.fromkeys(methods):
            mine = [i for i, m in enumerate(methods) if m == method]
            finished = sum(store.get_stage_result(stages[i], keys[i]) is not None for i in mine)
            on_progress(method, finished, len(mine))

    return callback
