"""The pipeline's ``method_benchmark`` stage: the benchmark metrics per method × potential over the store
(converged only, published values labelled apart, flags), and the benchmark set computed on the pipeline's
executor (two tiny EMT crystals), recorded in the store once, metrics checked by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from ase.build import bulk

from sselab.errors import PipelineError
from sselab.pipeline.benchmark_stage import method_benchmark_stage
from sselab.pipeline.executor import JobExecutor
from sselab.pipeline.runner import StageContext
from sselab.store import ActivationEnergyRecord, SourceRecord, Store, open_store

#: Made-up values for the test (metrics checked by hand below).
EXPERIMENT = {"LiBH4": [0.60, 0.70], "NaBH4": [0.50]}


def _context(store: Store, out: Path, **params: object) -> StageContext:
    out.mkdir(parents=True, exist_ok=True)
    return StageContext("method_benchmark", dict(params), {}, store, out, 1, JobExecutor(n_workers=0))


def _ea(formula: str, value: float, method: str, **kw: object) -> ActivationEnergyRecord:
    return ActivationEnergyRecord(formula, value, method, phase="low-T", **kw)  # type: ignore[arg-type]


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    for formula, values in EXPERIMENT.items():
        for value in values:
            store.add_activation_energy(
                _ea(formula, value, "experiment", source=SourceRecord(doi="10.1/exp"))
            )
    store.add_activation_energy(  # published CI-NEB: a source, no run folder
        _ea("LiBH4", 0.30, "CI-NEB", source=SourceRecord(doi="10.1/neb"))
    )
    for formula, value in (("LiBH4", 0.61), ("NaBH4", 0.58)):
        store.add_activation_energy(
            _ea(formula, value, "composite", potential="chgnet", protocol="composite", converged=True,
                run_folder=f"/runs/{formula}", structure_provenance="experimental")
        )  # fmt: skip
    store.add_activation_energy(  # a smoke-test MetaD: stored labelled unconverged
        _ea("LiBH4", 1.90, "MetaD", potential="chgnet", protocol="vacancy", converged=False,
            run_folder="/runs/metad", structure_provenance="built-in")
    )  # fmt: skip
    return store


def test_stage_measures_converged_values_per_method_and_potential(store: Store, tmp_path: Path) -> None:
    out = method_benchmark_stage(_context(store, tmp_path / "out"))
    metrics = {(m["method"], m["potential"], m["subset"]): m for m in out["metrics"]}
    composite = metrics[("composite", "chgnet", "converged")]
    # by hand: LiBH4 0.61 vs mean(0.60, 0.70) = 0.65, NaBH4 0.58 vs 0.50 -> errors -0.04, +0.08
    assert composite["n"] == 2
    assert composite["mae_ev"] == pytest.approx(0.06)
    assert composite["rmse_ev"] == pytest.approx(((0.04**2 + 0.08**2) / 2) ** 0.5)
    assert composite["r2"] == pytest.approx(
        1 - (0.04**2 + 0.08**2) / ((0.65 - 0.575) ** 2 + (0.50 - 0.575) ** 2)
    )
    literature = metrics[("CI-NEB (literature)", "published", "converged")]
    assert literature["n"] == 1 and literature["mae_ev"] == pytest.approx(0.35)
    # a migration-only MetaD has its own line; unconverged, it never enters a metric
    metad = metrics[("MetaD (vacancy)", "chgnet", "converged")]
    assert metad["n"] == 0 and metad["n_unconverged_excluded"] == 1
    assert out["n_unconverged_excluded"] == 1 and out["n_pairs"] == 4
    assert "composite · chgnet N=2" in out["summary"] and "(1 unconverged excluded)" in out["summary"]
    assert Path(out["figures"]["parity"]).is_file() and (tmp_path / "out" / "pairs.csv").is_file()


def test_smoke_tests_and_rows_without_protocol_never_enter_and_protocols_keep_their_own_line(
    store: Store, tmp_path: Path
) -> None:
    smoke = "smoke test: convergence is not assessed, never benchmarked"
    for value, protocol, reason in ((0.66, "frenkel", None), (0.20, None, None), (0.64, "frenkel", smoke)):
        store.add_activation_energy(
            _ea("LiBH4", value, "MetaD", potential="chgnet", protocol=protocol, converged=True,
                convergence_reason=reason, run_folder=f"/runs/m{value}", structure_provenance="built-in")
        )  # fmt: skip
    out = method_benchmark_stage(_context(store, tmp_path / "out"))
    metrics = {(m["method"], m["potential"], m["subset"]): m for m in out["metrics"]}
    intrinsic = metrics[("MetaD", "chgnet", "converged")]  # only the frenkel row that is not a smoke test
    assert intrinsic["n"] == 1 and intrinsic["mae_ev"] == pytest.approx(abs(0.66 - 0.65))
    assert metrics[("MetaD (vacancy)", "chgnet", "converged")]["n_unconverged_excluded"] == 1
    assert out["n_pairs"] == 5  # 4 of the fixture + the frenkel row; no-protocol and smoke-test rows left out


def test_stage_flags_show_metrics_with_and_without_and_refuse_unknown_names(
    store: Store, tmp_path: Path
) -> None:
    flags = {"NaBH4|low-T|experimental": "made-up reason for the test"}
    out = method_benchmark_stage(_context(store, tmp_path / "out", flags=flags))
    metrics = {(m["method"], m["subset"]): m for m in out["metrics"] if m["potential"] == "chgnet"}
    assert metrics[("composite", "converged")]["n"] == 2
    unflagged = metrics[("composite", "converged, unflagged")]
    assert unflagged["n"] == 1 and unflagged["mae_ev"] == pytest.approx(0.04)
    with pytest.raises(PipelineError, match=r"flags: no computed row named \['KBH4\|low-T\|user'\]"):
        method_benchmark_stage(_context(store, tmp_path / "out2", flags={"KBH4|low-T|user": "typo"}))
    with pytest.raises(PipelineError, match=r"unknown parameter\(s\) \['manifests'\]"):
        method_benchmark_stage(_context(store, tmp_path / "out3", manifests="open-set"))


def test_stage_runs_the_benchmark_set_on_the_executor_and_records_it_once(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    experiment = {("Cu", "low-T"): 1.30, ("Al", "low-T"): 0.90, ("Cu", "high-T"): 1.00}
    for element, a in (("Cu", 3.61), ("Al", 4.05)):
        bulk(element, "fcc", a=a, cubic=True).write(folder / f"{element}.cif")
    manifest = folder / "toy.csv"
    rows = [f"{el}{ph},{el},{ph},{el}.cif,user,{ea},10.0/toy,{el}," for (el, ph), ea in experiment.items()]
    rows[-1] += "made-up suspect experiment of the test"
    manifest.write_text("name,formula,phase,structure,provenance,experimental_ea_ev,doi,cation,suspect\n"
                        + "\n".join(rows) + "\n")  # fmt: skip
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    for (element, phase), value in experiment.items():
        record = ActivationEnergyRecord(
            element, value, "experiment", phase=phase, source=SourceRecord("10.0/toy")
        )
        store.add_activation_energy(record)
    params = {"manifest": str(manifest), "potentials": ["emt"]}
    out = method_benchmark_stage(_context(store, tmp_path / "out", **params))
    ran = out["benchmark_set"]
    assert ran["jobs"] == 6 and ran["failed"] == 0
    assert ran["recorded"] == {"stored": 6, "unconverged": 0, "skipped": 0, "refused": 0}
    frame = store.activation_energy_frame()
    computed = frame[frame["method"] != "experiment"]
    assert sorted(zip(computed["method"], computed["protocol"], strict=True)) == (
        [("CI-NEB", "vacancy")] * 3 + [("composite", "composite")] * 3
    )
    errors = {
        (row.method, row.formula, row.phase): row.activation_energy_ev - experiment[(row.formula, row.phase)]
        for row in computed.itertuples()
    }
    metrics = {(m["method"], m["subset"]): m for m in out["metrics"] if m["potential"] == "emt"}
    for method in ("CI-NEB", "composite"):
        every = [abs(e) for (m, _, _), e in errors.items() if m == method]
        trusted = [abs(e) for (m, _, phase), e in errors.items() if m == method and phase == "low-T"]
        assert metrics[(method, "converged")]["n"] == 3
        assert metrics[(method, "converged")]["mae_ev"] == pytest.approx(sum(every) / 3)
        # the manifest's suspect experiment (Cu high-T) is left out of the unflagged metrics of the store too
        assert metrics[(method, "converged, unflagged")]["n"] == 2
        assert metrics[(method, "converged, unflagged")]["mae_ev"] == pytest.approx(sum(trusted) / 2)
    set_metrics = {(m["method"], m["subset"]): m for m in ran["metrics"]}  # the same values, by job method
    neb = set_metrics[("neb", "converged")]["mae_ev"]
    assert neb == pytest.approx(metrics[("CI-NEB", "converged")]["mae_ev"])
    assert Path(ran["rows_csv"]).is_file() and Path(ran["parity"]).is_file()
    again = _context(store, tmp_path / "out", **params)  # a rerun: every job cached, nothing stored twice
    rerun = method_benchmark_stage(again)
    assert again._executor.jobs_cached == 6 and rerun["benchmark_set"]["recorded"]["skipped"] == 6
    assert len(store.activation_energy_frame()) == len(frame)


def test_stage_validates_the_metad_settings_table_before_any_job(tmp_path: Path) -> None:
    from sselab.errors import SselabError

    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    params = {"manifest": "open-set", "methods": ["metad"], "potentials": ["emt"], "metad": {"stepz": 10}}
    with pytest.raises(SselabError, match=r"\[stages\.method_benchmark\.metad\]: unknown setting\(s\) stepz"):
        method_benchmark_stage(_context(store, tmp_path / "out", **params))
    with pytest.raises(PipelineError, match=r"metad: give a table"):
        method_benchmark_stage(_context(store, tmp_path / "out", **{**params, "metad": 5}))
    assert not (tmp_path / "out" / "runs").exists()
