"""Run a benchmark: one job per (material, method, potential) on the pipeline's Dask executor.

Each job reads its structure from its source, runs the method's recipe with its potential, and writes a
JSON summary (:class:`BenchmarkRecord`) in its run folder ``RUN_ROOT/<material>/<potential>/<method>.json``;
the executor caches every finished job in the run's store (``RUN_ROOT/jobs.sqlite``), so rerunning the same
command after a kill recomputes only the unfinished jobs (and a job killed midway reuses the parts its
recipe had finished, from the run folder). Methods run in waves (``neb`` before ``composite``) so the
composite job reuses the bulk relaxation and CI-NEB of the migration-only job in the same folder.

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
    """Run the jobs wave by wave (one wave per method, in :data:`METHODS` order) on ``executor``, caching
    each finished job in ``store`` (the pipeline's job cache).

    A wave whose jobs crashed (an error other than a :class:`~sselab.errors.SselabError`, which becomes a
    ``failed`` record) does not stop the next wave; the crashed jobs are rerun next time.

    Returns
    -------
    tuple
        The records of every finished job, and the errors of the jobs that crashed.
    """
    errors: list[str] = []
    for method in METHODS:
        wave = [s for s in specs if s["method"] == method]
        if not wave:
            continue
        callback = (lambda done, total, m=method: on_progress(m, done, total)) if on_progress else None
        try:
            executor.run(store, f"{JOB_STAGE}/{method}", run_job, wave, on_progress=callback)
        except PipelineError as exc:
            errors.append(str(exc))
    records = []
    for spec in specs:
        stage = f"{JOB_STAGE}/{spec['method']}"
        output = store.get_stage_result(stage, job_key(stage, spec))
        if output is not None:
            records.append(BenchmarkRecord.from_dict(output))
    return records, errors
