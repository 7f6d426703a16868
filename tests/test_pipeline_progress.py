"""Progress inside pipeline stages (in-process and from Dask workers) and quiet third-party output."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from rich.console import Console
from typer.testing import CliRunner

from sselab.cli.main import app
from sselab.cli.progress_display import ProgressDisplay, describe
from sselab.pipeline import JobExecutor, PipelineConfig, run_pipeline
from sselab.pipeline.runner import StageContext
from sselab.pipeline.stages import STAGES, Stage
from sselab.progress import ProgressEvent, progress_sink, report_progress
from sselab.simulate.neb import cation_hop_endpoints, run_neb
from sselab.simulate.recipes import metad_of_structure
from sselab.simulate.settings import MetaDSettings
from sselab.store import open_store


def counting_job(spec: dict[str, Any]) -> dict[str, Any]:
    """A job that reports every step, prints, and warns (as torch and CHGNet do)."""
    print("CHGNet-like banner on stdout")
    warnings.warn("a third-party UserWarning", UserWarning, stacklevel=1)
    for step in range(1, spec["steps"] + 1):
        report_progress(step, spec["steps"], label=f"job {spec['name']}")
    return {"done": spec["steps"]}


def _stage(ctx: StageContext) -> dict[str, Any]:
    report_progress(1, 2, label="preparing", unit="items")
    report_progress(2, 2, label="preparing", unit="items")
    out = ctx.run_jobs("count", counting_job, [{"name": "a", "steps": 3}, {"name": "b", "steps": 3}])
    return {"summary": "counted", "n": len(out)}


@pytest.fixture
def progress_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(STAGES, "counting", Stage("counting", _stage, (), "reports progress"))


def _config(tmp_path: Path) -> PipelineConfig:
    return PipelineConfig(name="p", stages=("counting",), stage_params={}, out_dir=tmp_path / "out",
                          store_url=f"sqlite:///{tmp_path / 's.sqlite'}", source="test")  # fmt: skip


def test_report_progress_without_a_sink_does_nothing_and_throttles_with_one() -> None:
    report_progress(1, 10, label="nobody listens")
    events: list[ProgressEvent] = []
    with progress_sink(events.append):
        for step in range(1, 1001):
            report_progress(step, 1000, label="fast")
    assert [e.done for e in events] == [1.0, 1000.0]  # the first and the last; nothing in between 0.5 s
    assert events[-1].remaining_s == 0.0


@pytest.mark.usefixtures("progress_stage")
def test_stage_and_in_process_job_progress_reach_on_progress(
    tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    seen: list[tuple[str, ProgressEvent]] = []
    run_pipeline(_config(tmp_path), n_workers=0, on_progress=lambda stage, event: seen.append((stage, event)))
    labels = {(stage, event.label) for stage, event in seen}
    assert {
        ("counting", "preparing"),
        ("counting", "job a"),
        ("counting", "job b"),
        ("counting", "count jobs"),
    } <= labels
    final = [e for s, e in seen if e.label == "count jobs"][-1]
    assert (final.done, final.total, final.unit) == (2.0, 2.0, "jobs")
    assert "a third-party UserWarning" not in capfd.readouterr().err  # captured into the log


@pytest.mark.usefixtures("progress_stage")
def test_worker_progress_reaches_the_client_and_worker_output_goes_to_the_log(
    tmp_path: Path, capfd: pytest.CaptureFixture, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[tuple[str, ProgressEvent]] = []
    caplog.set_level(logging.INFO, logger="sselab.pipeline.executor")
    run_pipeline(_config(tmp_path), n_workers=1, on_progress=lambda stage, event: seen.append((stage, event)))
    job_events = [e for _, e in seen if e.label in ("job a", "job b")]
    assert job_events and max(e.done for e in job_events) == 3.0
    printed = capfd.readouterr()
    assert "CHGNet-like banner" not in printed.out + printed.err
    assert "a third-party UserWarning" not in printed.out + printed.err
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "CHGNet-like banner on stdout" in logged and "a third-party UserWarning" in logged


def test_executor_forwards_events_in_process(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'e.sqlite'}")
    events: list[ProgressEvent] = []
    out = JobExecutor(n_workers=0).run(
        store, "t/count", counting_job, [{"name": "x", "steps": 2}], on_event=events.append
    )
    assert out == [{"done": 2}] and events[-1].label == "job x" and events[-1].done == 2.0


def test_metad_steps_report_progress_and_change_no_number(tmp_path: Path) -> None:
    """The MD driver loop reports each step (label: run folder); hills equal those of a run without a sink."""
    settings = MetaDSettings(
        potential="emt", temperature_k=800.0, steps=60, timestep_fs=2.0, height_ev=0.1, pace=10,
        bias_factor=20.0, supercell_min_length_a=7.0, seed=3,
    )  # fmt: skip
    quiet = metad_of_structure(bulk("Cu", cubic=True), "Cu", settings=settings, run_dir=tmp_path / "quiet")
    events: list[ProgressEvent] = []
    with progress_sink(events.append):
        watched = metad_of_structure(
            bulk("Cu", cubic=True), "Cu", settings=settings, run_dir=tmp_path / "watched"
        )
    assert {e.label for e in events} == {"MetaD watched"}
    assert (events[0].done, events[-1].done, events[-1].total, events[-1].unit) == (0.0, 60.0, 60.0, "steps")
    assert watched.steps_done == quiet.steps_done == 60
    hills = [(tmp_path / name / "outputs" / "HILLS").read_text() for name in ("quiet", "watched")]
    assert hills[0] == hills[1] and hills[0].count("\n") > 3


def test_neb_band_steps_report_progress(tmp_path: Path) -> None:
    atoms = bulk("Al", "fcc", a=4.05, cubic=True).repeat((2, 2, 2))
    hop = cation_hop_endpoints(atoms, "Al")
    events: list[ProgressEvent] = []
    with progress_sink(events.append):
        result = run_neb(
            hop.initial, hop.final, EMT, n_images=3, fmax=0.05, steps=200, run_dir=tmp_path / "n"
        )
    assert result.converged and {e.label for e in events} == {"NEB n"}
    assert events[-1].done == events[-1].total  # finished early: the last report says it is done


def test_display_describes_rate_and_time_left(tmp_path: Path) -> None:
    event = ProgressEvent("MetaD LiBH4", 50, 200, "steps", 25.0)
    assert describe(event) == "50/200 steps, 2 steps/s, 1:15 left"
    assert (
        describe(ProgressEvent("MetaD LiBH4", 200, 200, "steps", 100.0)) == "200/200 steps in 1:40, 2 steps/s"
    )
    log = tmp_path / "out.txt"
    with log.open("w") as handle:
        display = ProgressDisplay(Console(file=handle, force_terminal=False, width=120))
        display.update("metad", event)
        display.update("metad", ProgressEvent("MetaD LiBH4", 60, 200, "steps", 30.0))  # throttled (text mode)
        display.update("metad", ProgressEvent("MetaD LiBH4", 200, 200, "steps", 100.0))
        display.close()
    lines = log.read_text().splitlines()
    assert lines == ["    metad: MetaD LiBH4: 50/200 steps, 2 steps/s, 1:15 left",
                     "    metad: MetaD LiBH4: 200/200 steps in 1:40, 2 steps/s"]  # fmt: skip


def test_cli_sends_third_party_warnings_to_the_log_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sselab.cli.logs import log_file
    from sselab.store import Store

    original = Store.stats
    calls: list[int] = []

    def noisy(self: Store) -> dict[str, int]:
        calls.append(1)
        warnings.warn(f"torch-like deprecation noise {len(calls)}", UserWarning, stacklevel=1)
        logging.getLogger("pymatgen.io.cif").warning("pymatgen-like warning")
        return original(self)

    monkeypatch.setattr(Store, "stats", noisy)
    runner = CliRunner()
    quiet = runner.invoke(app, ["db", "stats", "--db", str(tmp_path / "s.sqlite")])
    assert quiet.exit_code == 0
    assert "noise" not in quiet.output and "pymatgen-like" not in quiet.output
    text = log_file().read_text(encoding="utf-8")
    assert "torch-like deprecation noise 1" in text and "pymatgen-like warning" in text
    loud = runner.invoke(app, ["--verbose", "db", "stats", "--db", str(tmp_path / "s.sqlite")])
    assert "torch-like deprecation noise 2" in loud.output
    logging.captureWarnings(False)
