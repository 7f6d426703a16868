"""The pipeline runner: stage cache hits and misses, failures, and independent jobs in-process and on Dask."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from sselab.errors import PipelineError
from sselab.pipeline import JobExecutor, PipelineConfig, read_state, run_pipeline
from sselab.pipeline.executor import job_key
from sselab.pipeline.runner import PipelineFailed, StageContext
from sselab.pipeline.stages import STAGES, Stage
from sselab.store import open_store


def square_job(spec: dict[str, Any]) -> dict[str, Any]:
    """A job: the square of ``x`` and the process that computed it."""
    if spec["x"] < 0:
        raise ValueError(f"negative x {spec['x']}")
    return {"y": spec["x"] ** 2, "pid": os.getpid()}


def timed_job(spec: dict[str, Any]) -> dict[str, Any]:
    """A job that sleeps ``seconds`` and says when it ran (or raises when asked to)."""
    start = time.time()
    time.sleep(spec["seconds"])
    if spec.get("crash"):
        raise RuntimeError(f"job {spec['name']} crashed")
    return {"name": spec["name"], "start": start, "end": time.time()}


def _numbers(ctx: StageContext) -> dict[str, Any]:
    values = ctx.run_jobs("square", square_job, [{"x": x} for x in ctx.params.get("xs", [1, 2])])
    return {"summary": "squares", "ys": [v["y"] for v in values]}


def _total(ctx: StageContext) -> dict[str, Any]:
    return {"summary": "total", "total": sum(ctx.upstream["numbers"]["ys"]) + ctx.params.get("offset", 0)}


def _broken(ctx: StageContext) -> dict[str, Any]:
    raise PipelineError("broken on purpose: sselab.nothing.missing_function is missing")


@pytest.fixture
def toy_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(STAGES, "numbers", Stage("numbers", _numbers, (), "squares as jobs"))
    monkeypatch.setitem(STAGES, "total", Stage("total", _total, ("numbers",), "sum of the squares"))
    monkeypatch.setitem(STAGES, "broken", Stage("broken", _broken, (), "always fails"))


def _config(tmp_path: Path, stages: tuple[str, ...], **params: dict[str, Any]) -> PipelineConfig:
    return PipelineConfig(
        name="toy",
        stages=stages,
        stage_params=params,
        out_dir=tmp_path / "out",
        store_url=f"sqlite:///{tmp_path / 'store.db'}",
        source="test",
    )


@pytest.mark.usefixtures("toy_stages")
def test_rerun_takes_every_stage_from_the_cache(tmp_path: Path) -> None:
    config = _config(tmp_path, ("numbers", "total"), numbers={"xs": [1, 2, 3]})
    first = run_pipeline(config, n_workers=0)
    assert first.computed == ["numbers", "total"]
    assert first.stages[1].outputs["total"] == 14
    assert first.provenance["jobs_run"] == 3
    second = run_pipeline(config, n_workers=0)
    assert second.computed == []
    assert second.stages[1].outputs == first.stages[1].outputs
    assert second.provenance["jobs_run"] == 0
    state = read_state(tmp_path / "out")
    assert state is not None and state["status"] == "finished" and state["cached"] == ["numbers", "total"]


@pytest.mark.usefixtures("toy_stages")
def test_changed_params_recompute_the_stage_and_its_dependents_only(tmp_path: Path) -> None:
    run_pipeline(_config(tmp_path, ("numbers", "total"), numbers={"xs": [1, 2]}), n_workers=0)
    downstream = run_pipeline(
        _config(tmp_path, ("numbers", "total"), numbers={"xs": [1, 2]}, total={"offset": 10}), n_workers=0
    )
    assert downstream.computed == ["total"]
    assert downstream.stages[1].outputs["total"] == 15
    upstream = run_pipeline(_config(tmp_path, ("numbers", "total"), numbers={"xs": [1, 2, 4]}), n_workers=0)
    assert upstream.computed == ["numbers", "total"]
    assert upstream.provenance["jobs_run"] == 1  # x=1 and x=2 come from the job cache
    assert upstream.provenance["jobs_cached"] == 2


@pytest.mark.usefixtures("toy_stages")
def test_failed_stage_skips_dependents_runs_the_rest_and_is_not_cached(tmp_path: Path) -> None:
    config = _config(tmp_path, ("broken", "numbers", "total"))
    with pytest.raises(PipelineFailed, match=r"sselab\.nothing\.missing_function") as info:
        run_pipeline(config, n_workers=0)
    run = info.value.run
    assert run.computed == ["numbers", "total"]
    assert list(run.failed) == ["broken"]
    stages = open_store(config.store_url).stage_results_frame()["stage"]
    assert "broken" not in set(stages)


@pytest.mark.usefixtures("toy_stages")
def test_stage_order_and_unknown_stage_are_checked_before_running(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="needs stage"):
        run_pipeline(_config(tmp_path, ("total", "numbers")), n_workers=0)
    with pytest.raises(PipelineError, match="unknown stage"):
        run_pipeline(_config(tmp_path, ("numbers", "nonsense")), n_workers=0)


def test_run_jobs_in_process_caches_each_job_and_reports_failures(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    executor = JobExecutor(n_workers=0)
    with pytest.raises(PipelineError, match=r"1 of 3 job.*negative x -1"):
        executor.run(store, "t/square", square_job, [{"x": 2}, {"x": -1}, {"x": 3}])
    assert executor.jobs_run == 2
    results = executor.run(store, "t/square", square_job, [{"x": 2}, {"x": 3}])
    assert [r["y"] for r in results] == [4, 9]
    assert executor.jobs_run == 2 and executor.jobs_cached == 2
    assert len(store.stage_results_frame()) == 2


def test_run_jobs_on_a_two_worker_local_cluster(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    executor = JobExecutor(n_workers=2)
    try:
        specs = [{"x": x} for x in range(6)]
        results = executor.run(store, "t/square", square_job, specs)
        assert [r["y"] for r in results] == [x * x for x in range(6)]
        assert all(r["pid"] != os.getpid() for r in results)  # computed in worker processes
        assert len(executor._get_client().scheduler_info()["workers"]) == 2
        again = executor.run(store, "t/square", square_job, specs)
        assert again == results and executor.jobs_cached == 6
    finally:
        executor.close()


def test_a_held_job_waits_for_its_prerequisite_and_no_other_job_waits(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    specs = [
        {"name": "slow prerequisite", "seconds": 3.0},
        {"name": "independent", "seconds": 0.1},
        {"name": "held", "seconds": 0.1},
        {"name": "second independent", "seconds": 0.1},
    ]
    executor = JobExecutor(n_workers=2)
    try:
        stages = ["t/first", "t/first", "t/second", "t/first"]
        out = executor.run(store, "t/timed", timed_job, specs, stages=stages, after=[None, None, 0, None])
    finally:
        executor.close()
    ran = {r["name"]: r for r in out}
    assert ran["held"]["start"] >= ran["slow prerequisite"]["end"]
    # the other worker ran both independent jobs meanwhile, not after the slow one
    assert ran["second independent"]["end"] < ran["slow prerequisite"]["end"]
    # each job cached under its own stage
    assert store.get_stage_result("t/second", job_key("t/second", specs[2]))["name"] == "held"
    assert store.get_stage_result("t/first", job_key("t/first", specs[2])) is None


def test_a_crashed_prerequisite_still_releases_the_job_waiting_for_it(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    specs = [{"name": "a", "seconds": 0.2, "crash": True}, {"name": "b", "seconds": 0.0}]
    for workers in (0, 2):
        executor = JobExecutor(n_workers=workers)
        try:
            with pytest.raises(PipelineError, match=r"1 of 2 job.*job a crashed"):
                executor.run(store, f"t/crash{workers}", timed_job, specs, after=[None, 0])
        finally:
            executor.close()
        assert store.get_stage_result(f"t/crash{workers}", job_key(f"t/crash{workers}", specs[1])) is not None


@pytest.mark.parametrize(
    ("after", "stages", "message"),
    [([None, 1], None, "only wait for an earlier job"), ([None], None, "one entry per job"),
     (None, ["t/x"], "one entry per job")],
)  # fmt: skip
def test_bad_after_or_stages_are_refused_before_anything_runs(tmp_path: Path, after, stages, message) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    specs = [{"name": "a", "seconds": 0.0}, {"name": "b", "seconds": 0.0}]
    with pytest.raises(PipelineError, match=message):
        JobExecutor(n_workers=0).run(store, "t/bad", timed_job, specs, stages=stages, after=after)
    assert len(store.stage_results_frame()) == 0
