"""Run the pipeline: stages in order, each cached in the store by a hash of its inputs, jobs on Dask.

Only this process (the Dask client) writes to the store: workers compute and return plain dictionaries, and
the client records each finished job at once, so an interrupted stage resumes with only its unfinished jobs.
``out_dir/pipeline_state.json`` says what the run is doing (stage, jobs done) for ``pipeline status`` and
tests. What a stage or its jobs report with :func:`sselab.progress.report_progress` (and the jobs finished
of each kind) reaches ``on_progress(stage, event)``: the command line shows it as bars with rate and ETA.
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
from sselab.errors import PipelineError, SselabError
from sselab.pipeline.config import PipelineConfig
from sselab.pipeline.executor import JobExecutor, JobFunction
from sselab.pipeline.provenance import machine_info, package_versions, stable_hash
from sselab.pipeline.stages import STAGES
from sselab.progress import ProgressEvent, ProgressSink, progress_sink, report_progress
from sselab.store import Store, as_store

logger = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class StateFile:
    """``pipeline_state.json``: the current stage, finished stages, jobs done (rewritten atomically)."""

    def __init__(self, out_dir: Path, config: PipelineConfig) -> None:
        self.path = out_dir / "pipeline_state.json"
        self.state: dict[str, Any] = {
            "config": config.source,
            "stages": list(config.stages),
            "finished": [],
            "cached": [],
            "failed": {},
            "stage": None,
            "status": "starting",
            "jobs": None,
        }
        out_dir.mkdir(parents=True, exist_ok=True)

    def update(self, **changes: Any) -> None:
        """Merge ``changes`` into the state and rewrite the file."""
        self.state.update(changes)
        self.state["time"] = _now()
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=1, default=str), encoding="utf-8")
        tmp.replace(self.path)


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
        Outputs of the stages it requires (and of its optional inputs that ran), by stage name.
    store
        The open store (:class:`sselab.store.Store`).
    out_dir
        This stage's output folder (created).
    seed
        The stage's seed (derived from the pipeline seed and the stage name).
    failed
        Stages of this run that failed, with their error (the report shows them).
    input_hashes
        Cache keys of the upstream stages (where their provenance is stored).
    """

    name: str
    params: dict[str, Any]
    upstream: dict[str, dict[str, Any]]
    store: Any
    out_dir: Path
    seed: int
    _executor: JobExecutor = field(repr=False)
    failed: dict[str, str] = field(default_factory=dict)
    input_hashes: dict[str, str] = field(default_factory=dict)
    _state: StateFile | None = field(default=None, repr=False)
    _on_event: ProgressSink | None = field(default=None, repr=False)

    def run_jobs(
        self,
        kind: str,
        func: JobFunction,
        specs: Sequence[dict[str, Any]],
        *,
        kinds: Sequence[str] | None = None,
        after: Sequence[int | None] | None = None,
    ) -> list[dict[str, Any]]:
        """Run independent jobs ``func(spec)`` in parallel, each cached and checkpointed on its own.

        ``func`` must be a module-level function (it is sent to Dask workers) that returns a JSON-serialisable
        dict and does not write to the store. Results come back in the order of ``specs``. ``kinds`` gives
        each job its own kind (its cache stage; default ``kind``); ``after[i] = j`` holds job ``i`` until the
        earlier job ``j`` has finished (:meth:`~sselab.pipeline.executor.JobExecutor.run`).

        Raises
        ------
        PipelineError
            When a job fails (after the other jobs finished and were cached).
        """

        def progress(done: int, total: int) -> None:
            if self._state is not None:
                self._state.update(jobs={"kind": kind, "done": done, "total": total})
            if total > 1:  # one job shows its own progress
                report_progress(done, total, label=f"{kind} jobs", unit="jobs")

        stages = [f"{self.name}/{k}" for k in kinds] if kinds is not None else None
        return self._executor.run(
            self.store,
            f"{self.name}/{kind}",
            func,
            specs,
            on_progress=progress,
            on_event=self._on_event,
            stages=stages,
            after=after,
        )


@dataclass(frozen=True)
class StageOutcome:
    """One stage of a pipeline run: computed, cached or failed; its outputs and time (s)."""

    name: str
    input_hash: str
    cached: bool
    seconds: float
    outputs: dict[str, Any]
    error: str | None = None


@dataclass(frozen=True)
class PipelineRun:
    """The result of :func:`run_pipeline`."""

    config: PipelineConfig
    stages: tuple[StageOutcome, ...]
    provenance: dict[str, Any]

    @property
    def computed(self) -> list[str]:
        """Names of the stages computed in this run (not taken from the cache, not failed)."""
        return [s.name for s in self.stages if not s.cached and s.error is None]

    @property
    def failed(self) -> dict[str, str]:
        """Stages that failed or were skipped, with the reason."""
        return {s.name: s.error for s in self.stages if s.error is not None}


@contextmanager
def _executor(scheduler: str | None, n_workers: int | None) -> Iterator[JobExecutor]:
    executor = JobExecutor(scheduler=scheduler, n_workers=n_workers)
    try:
        yield executor
    finally:
        executor.close()


def validate_config(config: PipelineConfig) -> None:
    """Check ``config`` before anything runs: known stages, their order, and every stage's parameters that
    can be checked (the simulation stages' settings: unknown keys, impossible values).

    Raises
    ------
    PipelineError
        Naming the configuration and the bad stage or key.
    """
    unknown = [s for s in config.stages if s not in STAGES]
    if unknown:
        raise PipelineError(f"{config.source}: unknown stage(s) {unknown}; known: {', '.join(STAGES)}")
    for name in config.stages:
        missing = [r for r in STAGES[name].requires if r not in config.stages[: config.stages.index(name)]]
        if missing:
            raise PipelineError(
                f"{config.source}: stage {name!r} needs stage(s) {missing} earlier in the list"
            )
        check = STAGES[name].check
        if check is not None:  # a typo in a profile fails now, not after the stages before it
            try:
                check(name, config.params(name))
            except SselabError as exc:
                raise PipelineError(f"{config.source}: {exc}") from exc


def stage_seed(seed: int, stage: str) -> int:
    """The seed of ``stage``: derived from the pipeline seed and the stage's name (not its position)."""
    return int(stable_hash({"seed": seed, "stage": stage})[:8], 16)


def run_pipeline(
    config: PipelineConfig,
    *,
    store: Store | str | None = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    on_stage: Callable[[str, str], None] | None = None,
    on_progress: Callable[[str, ProgressEvent], None] | None = None,
) -> PipelineRun:
    """Run ``config``'s stages in order, reusing cached stage and job results from the store.

    A stage that fails does not stop the run: the stages that need it are skipped, the others (the report
    included) still run, and a :class:`PipelineError` listing the failures is raised at the end (after the
    report).
    Failed stages are not cached, so a rerun tries them again.

    Parameters
    ----------
    config
        The pipeline configuration (see :func:`sselab.pipeline.load_config`).
    store
        An open store (or its URL or path); default the configuration's ``store_url``.
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``); default a local cluster.
    n_workers
        Local-cluster workers (default ``config.n_workers`` or one per core; ``0`` runs jobs in-process).
    on_stage
        Called as ``on_stage(stage, "start" | "cached" | "done" | "failed" | "skipped")`` (the CLI's display).
    on_progress
        Called as ``on_progress(stage, event)`` with every :class:`~sselab.progress.ProgressEvent` reported
        inside a stage or its jobs (steps of a MetaD run, rows of an import, jobs finished ...).
    """
    validate_config(config)
    store = as_store(store if store is not None else config.store_url)
    out_dir = Path(config.out_dir)
    state = StateFile(out_dir, config)
    workers = n_workers if n_workers is not None else config.n_workers
    provenance = {
        "config": config.source,
        "profile": config.name,
        "seed": config.seed,
        "sselab": __version__,
        "packages": package_versions(),
        "machine": machine_info(),
        "scheduler": scheduler
        or f"local cluster ({workers if workers is not None else 'one per core'} workers)",
        "started": _now(),
    }
    outcomes: list[StageOutcome] = []
    upstream: dict[str, dict[str, Any]] = {}
    upstream_hashes: dict[str, str] = {}
    failed: dict[str, str] = {}

    def notify(name: str, event: str) -> None:
        if on_stage:
            on_stage(name, event)

    with _executor(scheduler, workers) as executor:
        for name in config.stages:
            stage = STAGES[name]
            params = config.params(name)
            blocked = [r for r in stage.requires if r in failed]
            if blocked:
                reason = f"skipped: needs failed stage(s) {blocked}"
                failed[name] = reason
                outcomes.append(StageOutcome(name, "", False, 0.0, {}, reason))
                state.update(failed=failed)
                notify(name, "skipped")
                continue
            inputs = [r for r in (*stage.requires, *stage.optional) if r in upstream]
            seed = stage_seed(config.seed, name)
            stage_dir = out_dir / name
            input_hash = stable_hash(
                {
                    "stage": name,
                    "params": params,
                    "seed": seed,
                    "out_dir": str(stage_dir.resolve()),
                    "upstream": {r: upstream_hashes[r] for r in inputs},
                    "failed_upstream": sorted(r for r in stage.optional if r in failed),
                    "version": __version__,
                }
            )
            cached = store.get_stage_result(name, input_hash)
            if cached is not None:
                outcomes.append(StageOutcome(name, input_hash, True, 0.0, cached))
                state.update(cached=[*state.state["cached"], name])
                notify(name, "cached")
            else:
                notify(name, "start")
                state.update(stage=name, status="running", jobs=None)
                stage_dir.mkdir(parents=True, exist_ok=True)
                sink: ProgressSink | None = (
                    (lambda event, stage_name=name: on_progress(stage_name, event)) if on_progress else None
                )
                context = StageContext(
                    name=name,
                    params=params,
                    upstream={r: upstream[r] for r in inputs},
                    store=store,
                    out_dir=stage_dir,
                    seed=seed,
                    _executor=executor,
                    failed=dict(failed),
                    input_hashes={r: upstream_hashes[r] for r in inputs},
                    _state=state,
                    _on_event=sink,
                )
                t0 = time.perf_counter()
                try:
                    outputs = _run_stage(stage.func, context, sink)
                except SselabError as exc:
                    message = f"{type(exc).__name__}: {exc}"
                    logger.error("stage %s failed: %s", name, message)
                    failed[name] = message
                    outcomes.append(
                        StageOutcome(name, input_hash, False, time.perf_counter() - t0, {}, message)
                    )
                    state.update(failed=failed)
                    notify(name, "failed")
                    continue
                seconds = time.perf_counter() - t0
                stage_provenance = {
                    **provenance,
                    "params": params,
                    "stage_seed": seed,
                    "seconds": seconds,
                    "finished": _now(),
                }
                store.put_stage_result(name, input_hash, outputs, stage_provenance)
                outcomes.append(StageOutcome(name, input_hash, False, seconds, outputs))
                state.update(finished=[*state.state["finished"], name])
                notify(name, "done")
            upstream[name] = outcomes[-1].outputs
            upstream_hashes[name] = input_hash
        provenance["jobs_run"] = executor.jobs_run
        provenance["jobs_cached"] = executor.jobs_cached
    provenance["finished"] = _now()
    state.update(stage=None, status="failed" if failed else "finished", jobs=None)
    run = PipelineRun(config=config, stages=tuple(outcomes), provenance=provenance)
    if failed:
        listing = "; ".join(f"{k}: {v}" for k, v in failed.items())
        raise PipelineFailed(f"{len(failed)} stage(s) failed or skipped: {listing}", run)
    return run


def _run_stage(
    func: Callable[[StageContext], dict[str, Any]], context: StageContext, sink: ProgressSink | None
) -> Any:
    """Run a stage function with its progress reports going to ``sink`` (if any)."""
    if sink is None:
        return func(context)
    with progress_sink(sink):
        return func(context)


class PipelineFailed(PipelineError):
    """Some stages failed; ``run`` holds what the pipeline did (the other stages' outcomes)."""

    def __init__(self, message: str, run: PipelineRun) -> None:
        super().__init__(message)
        self.run = run


def pipeline_status(store: Any) -> Any:
    """The stage-result table of the store (``pandas.DataFrame``): what is cached, when, how long it took."""
    return store.stage_results_frame()


def read_state(out_dir: str | Path) -> dict[str, Any] | None:
    """The last ``pipeline_state.json`` written in ``out_dir`` (``None`` when there is none)."""
    path = Path(out_dir) / "pipeline_state.json"
    if not path.is_file():
        return None
    return dict(json.loads(path.read_text(encoding="utf-8")))
