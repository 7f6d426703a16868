"""MetaD (and MD-Arrhenius) as benchmark methods: one job per material and potential through the same runner,
labelled with protocol, temperature, device and its own convergence verdict (issue 13, build item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ase.build import bulk
from typer.testing import CliRunner

from sselab.benchmark.jobs import METHODS, plan_jobs
from sselab.benchmark.manifest import read_manifest
from sselab.benchmark.recording import record_results
from sselab.benchmark.report import benchmark_report
from sselab.benchmark.runner import read_records
from sselab.cli.main import app
from sselab.simulate.settings import MetaDSettings
from sselab.store import open_store

#: A MetaD far too short to converge (600 steps, 5 s with EMT): the ion crosses once or twice, so there is a
#: barrier, but the stopping rule (10 transitions, flat hills) cannot call it converged.
SHORT_METAD = """[metad]
timestep_fs = 2.0
height_ev = 0.1
pace = 10
bias_factor = 20.0
supercell_min_length_a = 7.0
npt_steps = 40
equilibration_steps = 40
seed = 3
"""


@pytest.fixture(scope="module")
def metad_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("metad")
    bulk("Cu", "fcc", a=3.61, cubic=True).write(folder / "Cu.cif")
    manifest = folder / "toy.csv"
    manifest.write_text(
        "name,formula,phase,structure,provenance,experimental_ea_ev,doi,cation,temperature_min_k,"
        "temperature_max_k\n"
        "Cu,Cu,low-T,Cu.cif,user,1.3,10.0/toy.Cu,Cu,800,1000\n"
        "Cu-no-range,Cu,high-T,Cu.cif,user,1.3,10.0/toy.Cu2,Cu,,\n"
    )
    (folder / "metad.toml").write_text(SHORT_METAD)
    run = folder / "run"
    args = ["benchmark", "run", str(manifest), "--methods", "metad", "--potentials", "emt", "--out", str(run)]
    args += ["--workers", "0", "--config", str(folder / "metad.toml"), "--metad-steps", "600"]
    args += ["--metad-protocol", "vacancy", "--temperature", "1000"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return folder, run


def test_metad_waves_run_after_the_static_methods() -> None:
    assert METHODS == ("neb", "composite", "metad", "md-arrhenius")


def test_metad_job_is_labelled_with_protocol_temperature_device_and_its_verdict(metad_run) -> None:
    _, run = metad_run
    records = {r.material.name: r for r in read_records(run)}
    assert set(records) == {"Cu", "Cu-no-range"}
    for record in records.values():
        assert record.method == "metad" and record.status == "ok" and record.potential == "emt"
        assert record.device == "cpu" and record.potential_identity["name"] == "emt"
        assert record.result["kind"] == "metad" and record.result["settings"]["steps"] == 600
        assert record.result["settings"]["protocol"] == "vacancy"
        # 600 steps: the stopping rule cannot call it converged, and the record says why
        assert record.converged is False and any("not converged" in i for i in record.issues)
        assert (Path(record.run_dir) / "metad" / "outputs" / "HILLS").is_file()
    # the middle of the measured range (800-1000 K) where the manifest gives it; else the run's --temperature
    assert records["Cu"].temperature_k == pytest.approx(900.0)
    assert records["Cu-no-range"].temperature_k == pytest.approx(1000.0)
    assert records["Cu"].result["settings"]["temperature_k"] == pytest.approx(900.0)
    with_barrier = [r for r in records.values() if r.ea_ev is not None]
    assert with_barrier and all(r.protocol == "vacancy" and 0.0 < r.ea_ev < 3.0 for r in with_barrier)
    assert any("no measured range" in i for i in records["Cu-no-range"].issues)
    assert not any("no measured range" in i for i in records["Cu"].issues)


def test_unconverged_metad_is_counted_never_in_a_metric(metad_run) -> None:
    _, run = metad_run
    records = read_records(run)
    bench = benchmark_report(records)
    metad = bench.metrics[(bench.metrics["method"] == "metad") & (bench.metrics["subset"] == "converged")]
    assert list(metad["n"]) == [0]
    # every finished unconverged run is counted as excluded, one that found no barrier too
    assert list(metad["n_unconverged_excluded"]) == [sum(r.status == "ok" for r in records)]


def test_metad_results_enter_the_store_only_labelled_unconverged(metad_run, tmp_path: Path) -> None:
    _, run = metad_run
    records = read_records(run)
    with_barrier = [r for r in records if r.ea_ev is not None]
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    counts = record_results(store, records)
    assert counts["stored"] == 0 and counts["refused"] == len(with_barrier)
    counts = record_results(store, records, store_unconverged=True)
    assert counts["stored"] == counts["unconverged"] == len(with_barrier)
    frame = store.activation_energy_frame()
    assert len(frame) == len(with_barrier) >= 1
    assert set(frame["method"]) == {"MetaD"} and set(frame["protocol"]) == {"vacancy"}
    assert not frame["converged"].astype(bool).any() and set(frame["potential"]) == {"emt"}


def test_rerun_recomputes_nothing(metad_run) -> None:
    folder, run = metad_run
    before = {r.material.name: r.wall_time_s for r in read_records(run)}
    args = ["benchmark", "run", str(folder / "toy.csv"), "--methods", "metad", "--potentials", "emt"]
    args += ["--out", str(run), "--workers", "0", "--config", str(folder / "metad.toml")]
    args += ["--metad-steps", "600", "--metad-protocol", "vacancy", "--temperature", "1000"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert {r.material.name: r.wall_time_s for r in read_records(run)} == before


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--metad-protocol", "sideways"], "--metad-protocol"),
        (["--metad-steps", "0"], "--metad-steps"),
        (["--temperature", "-5"], "--temperature"),
        (["--device", "tpu"], "--device"),
    ],
)
def test_bad_metad_options_name_the_option_and_exit_2(tmp_path: Path, extra: list[str], named: str) -> None:
    bulk("Cu", "fcc", a=3.61, cubic=True).write(tmp_path / "Cu.cif")
    (tmp_path / "m.csv").write_text(
        "formula,phase,structure,provenance,experimental_ea_ev,cation\nCu,low-T,Cu.cif,user,1.3,Cu\n"
    )
    args = ["benchmark", "run", str(tmp_path / "m.csv"), "--methods", "metad", "--potentials", "emt"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "run"), *extra], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and named in result.output and "Traceback" not in result.output
    assert not (tmp_path / "run").exists()


def test_static_job_specs_are_unchanged_by_the_dynamic_methods(tmp_path: Path) -> None:
    """Adding MetaD must not change the keys of finished composite/neb jobs (they would all rerun)."""
    bulk("Cu", "fcc", a=3.61, cubic=True).write(tmp_path / "Cu.cif")
    (tmp_path / "m.csv").write_text(
        "formula,phase,structure,provenance,experimental_ea_ev,cation\nCu,low-T,Cu.cif,user,1.3,Cu\n"
    )
    manifest = read_manifest(tmp_path / "m.csv")
    specs = plan_jobs(
        manifest, ["neb", "metad"], ["emt"], tmp_path, dynamic_settings={"metad": MetaDSettings()}
    )
    neb, metad = specs
    assert plan_jobs(manifest, ["neb"], ["emt"], tmp_path) == [neb]
    assert set(neb) == {"material", "method", "potential", "settings", "threads", "run_dir"}
    assert "max_atoms" in neb["settings"] and "protocol" in metad["settings"]
    assert "potential" not in metad["settings"]
    pinned = plan_jobs(manifest, ["neb"], ["emt"], tmp_path, device="cpu")
    assert pinned == [{**neb, "device": "cpu"}]
