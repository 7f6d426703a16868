"""Run the pipeline: stages in order, each cached in the store by a hash of its inputs, jobs on Dask.

Only this process (the Dask client) writes to the store: workers compute and return plain dictionaries, and the
client records each finished job at once, so an interrupted stage resumes with only its unfinished jobs.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sselab import __version__
from sselab.errors import PipelineError
from sselab.pipeline.config import PipelineConfig
from sselab.pipeline.provenance import machine_info, package_versions, stable_hash

logger = logging.getLogger(__name__)

JobFunction = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class StageContext:
    """What a stage function receives.

    Attributes
    ----------
    name
        The stage's name.
    params
        The stage's parameters from the configuration.
    upstream
        Outputs of the stages that ran before it, by stage name.
    store
        The open store (:class:`sselab.store.Store`).
    out_dir
        This stage's output folder (created).
    seed
        The stage's seed (derived from the pipeline seed and the stage name).
    """

    name: str
    params: dict[str, Any]
    upstream: dict[str, dict[str, Any]]
    store: Any
    out_dir: Path
    seed: int
    _executor: JobExecutor = field(repr=False)

    def run_jobs(self, kind: str, func: JobFunction, specs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Run independent jobs ``func(spec)`` in parallel, each cached and checkpointed on its own.

        ``func`` must be a module-level function (it is sent to Dask workers) that returns a JSON-serialisable
        dict and does not write to the store. Results come back in the order of ``specs``.
        """
        return self._executor.run(self.store, f"{self.name}/{kind}", func, specs)


class JobExecutor:
    """Runs jobs on a Dask client created on first use (a local cluster unless a scheduler address is given)."""

    def __init__(self, scheduler: str | None = None, n_workers: int | None = None) -> None:
        self.scheduler = scheduler
        self.n_workers = n_workers
        self._client: Any = None
        self._cluster: Any = None
        self.jobs_run = 0
        self.jobs_cached = 0

    def _get_client(self) -> Any:
        if self._client is None:
            from dask.distributed import Client, LocalCluster

            if self.scheduler:
                self._client = Client(self.scheduler)
            else:
                import os

                workers = self.n_workers or os.cpu_count() or 1
                self._cluster = LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                )
                self._client = Client(self._cluster)
        return self._client

    def run(
        self, store: Any, cache_stage: str, func: JobFunction, specs: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        keys = [stable_hash({"job": cache_stage, "spec": spec, "version": __version__}) for spec in specs]
        results: list[dict[str, Any] | None] = [store.get_stage_result(cache_stage, key) for key in keys]
        missing = [i for i, result in enumerate(results) if result is None]
        self.jobs_cached += len(specs) - len(missing)
        if not missing:
            return [r for r in results if r is not None]
        if self.n_workers == 0:  # in-process, for debugging and tiny runs
            for i in missing:
                results[i] = self._record(store, cache_stage, keys[i], specs[i], func, time.perf_counter())
            return [r for r in results if r is not None]
        from dask.distributed import as_completed

        client = self._get_client()
        started = time.perf_counter()
        futures = {client.submit(_timed, func, specs[i], pure=False): i for i in missing}
        for future in as_completed(list(futures)):
            i = futures[future]
            output, seconds = future.result()
            store.put_stage_result(
                cache_stage,
                keys[i],
                output,
                {"spec": specs[i], "seconds": seconds, "finished": _now()},
            )
            results[i] = output
            self.jobs_run += 1
        logger.info("%s: %d job(s) in %.1f s", cache_stage, len(missing), time.perf_counter() - started)
        return [r for r in results if r is not None]

    def _record(
        self, store: Any, cache_stage: str, key: str, spec: dict[str, Any], func: JobFunction, t0: float
    ) -> dict[str, Any]:
        output, seconds = _timed(func, spec)
        store.put_stage_result(
            cache_stage, key, output, {"spec": spec, "seconds": seconds, "finished": _now()}
        )
        self.jobs_run += 1
        return output

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None


def _timed(func: JobFunction, spec: dict[str, Any]) -> tuple[dict[str, Any], float]:
    t0 = time.perf_counter()
    output = func(spec)
    return output, time.perf_counter() - t0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class StageOutcome:
    """One stage of a pipeline run: whether it was computed or taken from the cache, its outputs and time."""

    name: str
    input_hash: str
    cached: bool
    seconds: float
    outputs: dict[str, Any]


@dataclass(frozen=True)
class PipelineRun:
    """The result of :func:`run_pipeline`."""

    config: PipelineConfig
    stages: tuple[StageOutcome, ...]
    provenance: dict[str, Any]

    @property
    def computed(self) -> list[str]:
        """Names of the stages computed in this run (not taken from the cache)."""
        return [s.name for s in self.stages if not s.cached]


def _write_state(out_dir: Path, **state: Any) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "pipeline_state.json").write_text(json.dumps({**state, "time": _now()}, indent=1))


@contextmanager
def _executor(scheduler: str | None, n_workers: int | None) -> Iterator[JobExecutor]:
    executor = JobExecutor(scheduler=scheduler, n_workers=n_workers)
    try:
        yield executor
    finally:
        executor.close()


def run_pipeline(
    config: PipelineConfig,
    *,
    store: Any = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    on_stage: Callable[[str, str], None] | None = None,
) -> PipelineRun:
    """Run ``config``'s stages in order, reusing cached stage and job results from the store.

    Parameters
    ----------
    config
        The pipeline configuration (see :func:`sselab.pipeline.load_config`).
    store
        An open store; default ``open_store(config.store_url)``.
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``); default a local cluster.
    n_workers
        Local-cluster workers (default ``config.n_workers`` or one per core; ``0`` runs jobs in-process).
    on_stage
        Called as ``on_stage(stage, "start" | "cached" | "done")`` (the CLI's progress display).
    """
    from sselab.pipeline.stages import STAGES
    from sselab.store import open_store

    unknown = [s for s in config.stages if s not in STAGES]
    if unknown:
        raise PipelineError(f"{config.source}: unknown stage(s) {unknown}; known: {', '.join(STAGES)}")
    store = store if store is not None else open_store(config.store_url)
    out_dir = Path(config.out_dir)
    workers = n_workers if n_workers is not None else config.n_workers
    provenance = {
        "config": config.source,
        "profile": config.name,
        "seed": config.seed,
        "packages": package_versions(),
        "machine": machine_info(),
        "started": _now(),
    }
    outcomes: list[StageOutcome] = []
    upstream: dict[str, dict[str, Any]] = {}
    upstream_hashes: dict[str, str] = {}
    with _executor(scheduler, workers) as executor:
        for index, name in enumerate(config.stages):
            stage = STAGES[name]
            params = config.params(name)
            missing = [r for r in stage.requires if r not in upstream]
            if missing:
                raise PipelineError(f"stage {name!r} needs stage(s) {missing} earlier in the list")
            seed = config.seed * 1000 + index
            input_hash = stable_hash(
                {
                    "stage": name,
                    "params": params,
                    "seed": seed,
                    "upstream": {r: upstream_hashes[r] for r in stage.requires},
                    "version": __version__,
                }
            )
            cached = store.get_stage_result(name, input_hash)
            stage_dir = out_dir / name
            if cached is not None:
                outcomes.append(StageOutcome(name, input_hash, True, 0.0, cached))
                if on_stage:
                    on_stage(name, "cached")
            else:
                if on_stage:
                    on_stage(name, "start")
                _write_state(out_dir, stage=name, status="running")
                stage_dir.mkdir(parents=True, exist_ok=True)
                context = StageContext(
                    name=name,
                    params=params,
                    upstream={r: upstream[r] for r in stage.requires},
                    store=store,
                    out_dir=stage_dir,
                    seed=seed,
                    _executor=executor,
                )
                t0 = time.perf_counter()
                outputs = stage.func(context)
                seconds = time.perf_counter() - t0
                store.put_stage_result(
                    name,
                    input_hash,
                    outputs,
                    {
                        **provenance,
                        "params": params,
                        "stage_seed": seed,
                        "seconds": seconds,
                        "finished": _now(),
                    },
                )
                outcomes.append(StageOutcome(name, input_hash, False, seconds, outputs))
                if on_stage:
                    on_stage(name, "done")
            upstream[name] = outcomes[-1].outputs
            upstream_hashes[name] = input_hash
        provenance["jobs_run"] = executor.jobs_run
        provenance["jobs_cached"] = executor.jobs_cached
    provenance["finished"] = _now()
    _write_state(out_dir, stage=None, status="finished")
    return PipelineRun(config=config, stages=tuple(outcomes), provenance=provenance)


def pipeline_status(store: Any) -> Any:
    """The stage-result table of the store (``pandas.DataFrame``): what is cached, when, and how long it took."""
    return store.stage_results_frame()
