"""Independent jobs on Dask (a local cluster or a given scheduler), each cached in the store as it finishes.

Workers only compute: a job function takes a JSON-able spec and returns a JSON-able dict. The client (this
process) stores every result under a hash of the job's kind and spec as soon as it arrives, so that an
interrupted stage reruns only its unfinished jobs, and concurrent results never collide in the store.

Example
-------
>>> executor = JobExecutor(n_workers=0)  # in-process
>>> executor.run(store, "demo/square", square, [{"x": 2}, {"x": 3}])  # doctest: +SKIP
[{'y': 4}, {'y': 9}]
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from dask.distributed import Client, LocalCluster, as_completed

from sselab import __version__
from sselab.errors import PipelineError
from sselab.pipeline.provenance import stable_hash

logger = logging.getLogger(__name__)

JobFunction = Callable[[dict[str, Any]], dict[str, Any]]
ProgressCallback = Callable[[int, int], None]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def job_key(cache_stage: str, spec: dict[str, Any]) -> str:
    """The cache key of one job: a hash of its stage/kind, its spec and the sselab version."""
    return stable_hash({"job": cache_stage, "spec": spec, "version": __version__})


def _timed(func: JobFunction, spec: dict[str, Any]) -> tuple[dict[str, Any], float]:
    t0 = time.perf_counter()
    output = func(spec)
    return output, time.perf_counter() - t0


class JobExecutor:
    """Runs jobs on a Dask client created on first use (a local cluster unless a scheduler address is given).

    Parameters
    ----------
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``), e.g. of a dask-jobqueue ``SLURMCluster``.
    n_workers
        Workers of the local cluster (one thread each; default one per core). ``0`` runs jobs in this process.
    """

    def __init__(self, scheduler: str | None = None, n_workers: int | None = None) -> None:
        self.scheduler = scheduler
        self.n_workers = n_workers
        self._client: Any = None
        self._cluster: Any = None
        self.jobs_run = 0
        self.jobs_cached = 0

    def _get_client(self) -> Any:
        if self._client is None:
            if logging.getLogger().getEffectiveLevel() > logging.INFO:  # quiet unless sselab runs --verbose
                logging.getLogger("distributed").setLevel(logging.WARNING)
            if self.scheduler:
                self._client = Client(self.scheduler)
            else:
                workers = self.n_workers or os.cpu_count() or 1
                self._cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # a free port: never collide on a shared machine
                    silence_logs=logging.WARNING,
                )
                self._client = Client(self._cluster)
        return self._client

    def run(
        self,
        store: Any,
        cache_stage: str,
        func: JobFunction,
        specs: Sequence[dict[str, Any]],
        on_progress: ProgressCallback | None = None,
    ) -> list[dict[str, Any]]:
        """Results of ``func(spec)`` for every spec, in order; cached ones are read from the store.

        Raises
        ------
        PipelineError
            Naming the failed job(s); the jobs that succeeded are cached first.
        """
        keys = [job_key(cache_stage, spec) for spec in specs]
        results: list[dict[str, Any] | None] = [store.get_stage_result(cache_stage, key) for key in keys]
        missing = [i for i, result in enumerate(results) if result is None]
        self.jobs_cached += len(specs) - len(missing)
        total = len(specs)
        if on_progress:
            on_progress(total - len(missing), total)
        errors: list[str] = []
        started = time.perf_counter()

        def record(i: int, output: dict[str, Any], seconds: float) -> None:
            store.put_stage_result(
                cache_stage, keys[i], output, {"spec": specs[i], "seconds": seconds, "finished": _now()}
            )
            results[i] = output
            self.jobs_run += 1
            if on_progress:
                on_progress(sum(r is not None for r in results), total)

        if missing and self.n_workers == 0:  # in-process, for debugging and tiny runs
            for i in missing:
                try:
                    output, seconds = _timed(func, specs[i])
                except Exception as exc:
                    errors.append(f"job {i} {specs[i]}: {type(exc).__name__}: {exc}")
                    continue
                record(i, output, seconds)
        elif missing:
            client = self._get_client()
            futures = {client.submit(_timed, func, specs[i], pure=False): i for i in missing}
            for future in as_completed(list(futures)):
                i = futures[future]
                try:
                    output, seconds = future.result()
                except Exception as exc:
                    errors.append(f"job {i} {specs[i]}: {type(exc).__name__}: {exc}")
                    continue
                record(i, output, seconds)
        if missing:
            logger.info("%s: %d job(s) in %.1f s", cache_stage, len(missing), time.perf_counter() - started)
        if errors:
            raise PipelineError(
                f"{cache_stage}: {len(errors)} of {total} job(s) failed: " + " | ".join(errors)
            )
        return [r for r in results if r is not None]

    def close(self) -> None:
        """Close the client and the local cluster (if any)."""
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None
