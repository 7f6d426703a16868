"""Independent jobs on Dask (a local cluster or a given scheduler), each cached in the store as it finishes.

Workers only compute: a job function takes a JSON-able spec and returns a JSON-able dict. The client (this
process) stores every result under a hash of the job's kind and spec as soon as it arrives, so that an
interrupted stage reruns only its unfinished jobs, and concurrent results never collide in the store.

What a job reports with :func:`sselab.progress.report_progress` reaches ``on_event`` in this process: directly
for in-process jobs, through Dask's event log (``Worker.log_event`` -> ``Client.subscribe_topic``) from a
worker. What a job prints and warns (torch, CHGNet, pymatgen) on a worker is captured, file descriptors
included, and logged here at INFO (the log file, not the terminal; ``--verbose`` shows it).

Example
-------
>>> executor = JobExecutor(n_workers=0)  # in-process
>>> executor.run(store, "demo/square", square, [{"x": 2}, {"x": 3}])  # doctest: +SKIP
[{'y': 4}, {'y': 9}]
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import dask
from dask.distributed import Client, LocalCluster, as_completed

from sselab import __version__
from sselab.errors import PipelineError
from sselab.pipeline.provenance import stable_hash
from sselab.progress import ProgressEvent, ProgressSink, progress_sink

logger = logging.getLogger(__name__)

JobFunction = Callable[[dict[str, Any]], dict[str, Any]]
ProgressCallback = Callable[[int, int], None]
PROGRESS_TOPIC = "sselab-progress"
"""Dask event topic of the progress reports of jobs on workers."""
MAX_JOB_LOG_CHARS = 20_000
"""Tail of a worker job's captured output kept for the log."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def job_key(cache_stage: str, spec: dict[str, Any]) -> str:
    """The cache key of one job: a hash of its stage/kind, its spec and the sselab version."""
    return stable_hash({"job": cache_stage, "spec": spec, "version": __version__})


def _worker_sink() -> ProgressSink | None:
    """A sink that sends events to the client through Dask's event log (None outside a Dask worker)."""
    try:
        # lazy: only inside a Dask worker
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None

    def send(event: ProgressEvent) -> None:
        worker.log_event(PROGRESS_TOPIC, event.as_dict())

    return send


@contextmanager
def _captured_output(capture: bool) -> Iterator[list[str]]:
    """On a worker: what the job writes to stdout/stderr (C libraries too) and warns, kept, not printed."""
    log: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        if not capture:
            yield log
        else:
            with tempfile.TemporaryFile(mode="w+b") as sink:
                saved = [os.dup(1), os.dup(2)]
                try:
                    os.dup2(sink.fileno(), 1)
                    os.dup2(sink.fileno(), 2)
                    yield log
                finally:
                    os.dup2(saved[0], 1)
                    os.dup2(saved[1], 2)
                    for fd in saved:
                        os.close(fd)
                    sink.seek(0)
                    text = sink.read().decode("utf-8", "replace").strip()
                    if text:
                        log.append(text[-MAX_JOB_LOG_CHARS:])
    for item in caught:
        log.insert(0, f"{item.category.__name__}: {item.message} ({item.filename}:{item.lineno})")


def _timed(
    func: JobFunction, spec: dict[str, Any], sink: ProgressSink | None = None
) -> tuple[dict[str, Any], float, list[str]]:
    """Run one job: its output, seconds, and what it printed or warned (captured on a Dask worker)."""
    worker_sink = _worker_sink()
    t0 = time.perf_counter()
    with _captured_output(capture=worker_sink is not None) as log:
        target = worker_sink or sink
        if target is None:
            output = func(spec)
        else:
            with progress_sink(target):
                output = func(spec)
    return output, time.perf_counter() - t0, log


def _forward(sink: ProgressSink, event: Any) -> None:
    """Pass a Dask event ``(timestamp, message)`` to ``sink`` as a :class:`ProgressEvent`."""
    message = event[1] if isinstance(event, tuple | list) and len(event) == 2 else event
    try:
        sink(ProgressEvent.from_dict(message))
    except Exception:  # a malformed event or a failing display never stops the stage
        logger.debug("progress event not shown: %r", event, exc_info=True)


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
                # one job per worker at a time: with Dask's default (1.1) a 1-thread worker may take a second
                # job, queued behind a long first one even when another worker is free
                with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
                    self._cluster = self._local_cluster(workers)
                self._client = Client(self._cluster)
        return self._client

    @staticmethod
    def _local_cluster(workers: int) -> Any:
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: never collide on a shared machine
            silence_logs=logging.WARNING,
        )

    def run(
        self,
        store: Any,
        cache_stage: str,
        func: JobFunction,
        specs: Sequence[dict[str, Any]],
        on_progress: ProgressCallback | None = None,
        on_event: ProgressSink | None = None,
        *,
        stages: Sequence[str] | None = None,
        after: Sequence[int | None] | None = None,
    ) -> list[dict[str, Any]]:
        """Results of ``func(spec)`` for every spec, in order; cached ones are read from the store.

        ``on_progress(done, total)`` is called as jobs finish; ``on_event`` receives what the jobs report
        with :func:`sselab.progress.report_progress` (in-process or from Dask workers).

        ``stages`` gives each job its own cache stage (default: ``cache_stage`` for every job; ``cache_stage``
        then only names the call in logs and errors). ``after[i] = j`` holds job ``i`` until job ``j``
        (``j < i``, same call) has finished, succeeded or not, e.g. a job that reuses files another job
        writes; every other job runs as soon as a worker is free, so one long job never idles the rest of
        the workers the way running the calls one after another would.

        Raises
        ------
        PipelineError
            Naming the failed job(s); the jobs that succeeded are cached first. For ``stages`` or ``after``
            of the wrong length, or an ``after`` that does not point to an earlier job.
        """
        job_stages = list(stages) if stages is not None else [cache_stage] * len(specs)
        waits = list(after) if after is not None else [None] * len(specs)
        if len(job_stages) != len(specs) or len(waits) != len(specs):
            raise PipelineError(f"{cache_stage}: stages and after must have one entry per job")
        for i, j in enumerate(waits):
            if j is not None and not 0 <= j < i:
                raise PipelineError(f"{cache_stage}: job {i} can only wait for an earlier job, not {j}")
        keys = [job_key(stage, spec) for stage, spec in zip(job_stages, specs, strict=True)]
        results: list[dict[str, Any] | None] = [
            store.get_stage_result(stage, key) for stage, key in zip(job_stages, keys, strict=True)
        ]
        missing = [i for i, result in enumerate(results) if result is None]
        self.jobs_cached += len(specs) - len(missing)
        total = len(specs)
        if on_progress:
            on_progress(total - len(missing), total)
        errors: list[str] = []
        started = time.perf_counter()

        def record(i: int, output: dict[str, Any], seconds: float, log: list[str]) -> None:
            for text in log:
                logger.info("%s job %d output: %s", cache_stage, i, text)
            store.put_stage_result(
                job_stages[i], keys[i], output, {"spec": specs[i], "seconds": seconds, "finished": _now()}
            )
            results[i] = output
            self.jobs_run += 1
            if on_progress:
                on_progress(sum(r is not None for r in results), total)

        if missing and self.n_workers == 0:  # in-process, for debugging and tiny runs
            for i in missing:
                try:
                    output, seconds, log = _timed(func, specs[i], on_event)
                except Exception as exc:
                    errors.append(f"job {i} {specs[i]}: {type(exc).__name__}: {exc}")
                    continue
                record(i, output, seconds, log)
        elif missing:
            client = self._get_client()
            if on_event is not None:
                client.subscribe_topic(PROGRESS_TOPIC, lambda event: _forward(on_event, event))
            pending = set(missing)
            held: dict[int, list[int]] = {}  # job -> the jobs waiting for it
            for i in missing:
                if waits[i] in pending:
                    held.setdefault(waits[i], []).append(i)  # type: ignore[arg-type]
            ready = [i for i in missing if waits[i] not in pending]
            try:
                futures = {client.submit(_timed, func, specs[i], pure=False): i for i in ready}
                finished = as_completed(list(futures))
                for future in finished:
                    i = futures[future]
                    for k in held.pop(i, []):  # released whether job i succeeded or not
                        waiting = client.submit(_timed, func, specs[k], pure=False)
                        futures[waiting] = k
                        finished.add(waiting)
                    try:
                        output, seconds, log = future.result()
                    except Exception as exc:
                        errors.append(f"job {i} {specs[i]}: {type(exc).__name__}: {exc}")
                        continue
                    record(i, output, seconds, log)
            finally:
                if on_event is not None:
                    client.unsubscribe_topic(PROGRESS_TOPIC)
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
