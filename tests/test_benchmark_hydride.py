"""The hydride benchmark end to end on two tiny EMT crystals, and its manifests and open set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ase.build import bulk
from typer.testing import CliRunner

from sselab.benchmark import load_structure, open_set, read_manifest, resolve_experiments
from sselab.benchmark.report import markdown_tables, write_rows_csv
from sselab.benchmark.runner import BenchmarkRecord, read_records
from sselab.cli.main import app
from sselab.errors import DataImportError
from sselab.models.method_benchmark import ROW_COLUMNS, hydride_benchmark

#: Experimental values of the toy manifest (made up for the test: the metrics are checked by hand below).
TOY_EXPERIMENT = {"Cu": 1.30, "Al": 0.90}


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("toy")
    for element, a in (("Cu", 3.61), ("Al", 4.05)):
        bulk(element, "fcc", a=a, cubic=True).write(folder / f"{element}.cif")
    manifest = folder / "toy.csv"
    manifest.write_text(
        "name,formula,phase,structure,provenance,experimental_ea_ev,doi,cation\n"
        + "".join(
            f"{el},{el},low-T,{el}.cif,user,{ea},10.0/toy.{el},{el}\n" for el, ea in TOY_EXPERIMENT.items()
        )
    )
    run = folder / "run"
    args = ["benchmark", "run", str(manifest), "--methods", "composite,neb", "--potentials", "emt"]
    args += ["--out", str(run), "--workers", "0", "--max-atoms", "32", "--starts", "1", "--images", "1"]
    args += ["--fmax", "0.05"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return folder, run


def test_benchmark_runs_every_job_and_writes_a_summary_each(toy_run) -> None:
    _, run = toy_run
    records = read_records(run)
    assert sorted((r.material.name, r.method) for r in records) == [
        ("Al", "composite"),
        ("Al", "neb"),
        ("Cu", "composite"),
        ("Cu", "neb"),
    ]
    for record in records:
        assert record.status == "ok" and record.potential == "emt" and record.device == "cpu"
        assert record.protocol == {"composite": "composite", "neb": "vacancy"}[record.method]
        assert record.structure_provenance["kind"] == "file"
        assert BenchmarkRecord.from_dict(json.loads(json.dumps(record.as_dict()))) == record
        barrier = record.barrier()
        assert barrier is not None and barrier.supercell.n_atoms == 32
    composite = {r.material.name: r for r in records if r.method == "composite"}
    neb = {r.material.name: r for r in records if r.method == "neb"}
    for name in TOY_EXPERIMENT:  # the composite job reused the neb job's bulk and CI-NEB parts
        assert set(composite[name].barrier().reused_parts) >= {"bulk", "migration"}  # type: ignore[union-attr]
        assert composite[name].barrier().migration_energy_ev == neb[name].ea_ev  # type: ignore[union-attr]


def test_rerun_finds_every_job_in_the_cache(toy_run) -> None:
    folder, run = toy_run
    stamps = {p: p.stat().st_mtime_ns for p in run.glob("*/*/*.json")}
    args = ["benchmark", "run", str(folder / "toy.csv"), "--methods", "composite,neb", "--potentials", "emt"]
    args += ["--out", str(run), "--workers", "0", "--max-atoms", "32", "--starts", "1", "--images", "1"]
    args += ["--fmax", "0.05"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert {p: p.stat().st_mtime_ns for p in run.glob("*/*/*.json")} == stamps


def test_report_metrics_match_a_hand_computation(toy_run) -> None:
    _, run = toy_run
    out = run / "out"
    result = CliRunner().invoke(
        app,
        ["benchmark", "report", str(run), "--out", str(out), "--flag", "Al=test flag"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(out / "hydride_benchmark.csv")
    assert tuple(rows.columns) == ROW_COLUMNS and len(rows) == 4
    metrics = pd.read_csv(out / "metrics.csv")
    records = read_records(run)
    for method in ("composite", "neb"):
        computed = np.array(
            [r.ea_ev for r in records if r.method == method and r.material.name in ("Al", "Cu")]
        )
        names = [r.material.name for r in records if r.method == method]
        experiment = np.array([TOY_EXPERIMENT[n] for n in names])
        error = computed - experiment
        r2 = 1 - np.sum(error**2) / np.sum((experiment - experiment.mean()) ** 2)
        row = metrics[(metrics["method"] == method) & (metrics["subset"] == "converged")].iloc[0]
        assert row["n"] == 2
        assert row["mae_ev"] == pytest.approx(np.mean(np.abs(error)))
        assert row["rmse_ev"] == pytest.approx(np.sqrt(np.mean(error**2)))
        assert row["r2"] == pytest.approx(r2)
        unflagged = metrics[
            (metrics["method"] == method) & (metrics["subset"] == "converged, unflagged")
        ].iloc[0]
        cu = names.index("Cu")
        assert unflagged["n"] == 1 and unflagged["mae_ev"] == pytest.approx(abs(error[cu]))
    assert (out / "parity.png").stat().st_size > 10_000
    assert "| Cu | low-T | user |" in (out / "tables.md").read_text()


def test_unconverged_results_are_excluded_and_counted(toy_run, tmp_path) -> None:
    _, run = toy_run
    records = read_records(run)
    from dataclasses import replace

    from sselab.benchmark.report import benchmark_report

    spoiled = [replace(r, converged=False) if r.material.name == "Al" else r for r in records]
    metrics = benchmark_report(spoiled).metrics
    row = metrics[(metrics["method"] == "neb") & (metrics["subset"] == "converged")].iloc[0]
    assert row["n"] == 1 and row["n_unconverged_excluded"] == 1


def test_bad_manifest_and_options_are_clean_errors(tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "formula,phase,structure,provenance,experimental_ea_ev\nLiBH4,low-T,builtin:libh4_pnma,guess,0.7\n"
    )
    result = CliRunner().invoke(app, ["benchmark", "run", str(bad), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "row 2" in result.output and "provenance" in result.output and "Traceback" not in result.output
    good = tmp_path / "good.csv"
    good.write_text(
        "formula,phase,structure,provenance,experimental_ea_ev\nLiBH4,low-T,builtin:libh4_pnma,user,0.7\n"
    )
    result = CliRunner().invoke(app, ["benchmark", "run", str(good), "--methods", "metad-ish"])
    assert result.exit_code == 2 and "unknown ['metad-ish']" in result.output
    result = CliRunner().invoke(app, ["benchmark", "run", str(good), "--fmax", "-1"])
    assert result.exit_code == 2 and "defect_fmax_ev_per_a must be a number > 0" in result.output
    result = CliRunner().invoke(app, ["benchmark", "report", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no run folder" in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("formula,phase,structure,provenance\nLiBH4,low-T,builtin:libh4_pnma,user\n", "experimental_ea_ev"),
        ("formula,phase,structure,provenance,experimental_ea_ev\nLiBH4,low-T,no.cif,user,0.7\n", "not found"),
        ("formula,phase,structure,provenance,experimental_ea_ev\nLi((,low-T,x,user,0.7\n", "field 'formula'"),
        (
            "formula,phase,structure,provenance,experimental_ea_ev,colour\nLiBH4,low-T,x,user,0.7,red\n",
            "colour",
        ),
        ("formula,phase,structure,provenance,experimental_ea_ev\nLiBH4,low-T,builtin:x,user,-1\n", "> 0"),
    ],
)
def test_manifest_errors_name_the_field(tmp_path, text: str, message: str) -> None:
    path = tmp_path / "m.csv"
    path.write_text(text)
    with pytest.raises(DataImportError, match=message):
        read_manifest(path)


def test_toml_manifest_links_dataset_rows_and_checks_them(tmp_path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        '[[material]]\nformula = "LiBH4"\nphase = "low-T"\nstructure = "builtin:libh4_pnma"\n'
        'provenance = "user"\nexperiment = { dataset = "wang2025-ea", index = [2] }\n'
    )
    material = resolve_experiments(read_manifest(path)).materials[0]
    # wang2025 Supplementary Dataset 1, Index 2: LT-LiBH4, 0.69 eV, doi:10.1063/1.2817934 (Matsuo et al. 2007)
    assert material.experimental_ea_ev == pytest.approx(0.69)
    assert material.doi == "10.1063/1.2817934"
    path.write_text(path.read_text().replace("index = [2]", "index = [1]"))  # Index 1 is the high-T phase
    with pytest.raises(DataImportError, match=r"Index 1 is 'LiBH4' \(high-T\)"):
        resolve_experiments(read_manifest(path))


def test_open_set_has_eight_distinct_hydrides_with_structure_provenance_and_experiment() -> None:
    manifest = resolve_experiments(open_set())
    formulas = {m.formula for m in manifest.materials if m.experimental_ea_ev is not None and m.provenance}
    assert len(formulas) >= 8
    # wang2025 Supplementary Dataset 1, Index 33: NaAlH4, 0.82 eV, doi:10.1016/j.jallcom.2013.01.058
    naalh4 = {m.name: m for m in manifest.materials}["NaAlH4|low-T|experimental"]
    assert naalh4.experimental_ea_ev == pytest.approx(0.8217, abs=1e-4)
    assert naalh4.doi == "10.1016/j.jallcom.2013.01.058"


def test_every_open_set_structure_loads_with_its_formula_and_provenance() -> None:
    """Every structure the open set names is shipped (or read from the mirror) and has the entry's formula."""
    from pymatgen.core import Composition

    from sselab.chem.formula import parse_formula

    for material in open_set().materials:
        loaded = load_structure(material.structure)
        expected = parse_formula(material.formula).composition.fractional_composition
        found = Composition(loaded.atoms.get_chemical_formula()).fractional_composition
        assert found.almost_equals(expected), material.name
        assert loaded.provenance["kind"] == material.structure.split(":", 1)[0], material.name
        if material.provenance == "predicted":
            assert loaded.provenance["label"] == "predicted" and loaded.provenance["command"], material.name


def test_builtin_naalh4_has_the_published_geometry() -> None:
    """Hand-entered Wyckoff positions checked by the geometry the source reports for NaAlD4 (Hauback et al.,
    J. Alloys Compd. 358 (2003) 142): isolated AlH4 tetrahedra with Al-H about 1.63 Å and H-Al-H near the
    ideal 109.5 degrees, each Na with eight H at about 2.4 Å; a wrong origin or swapped site gives Na-H
    1.64 Å."""
    from pymatgen.io.ase import AseAtomsAdaptor
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    loaded = load_structure("builtin:naalh4_i41a")
    assert loaded.provenance["kind"] == "builtin" and "Hauback" in loaded.provenance["reference"]
    structure = AseAtomsAdaptor.get_structure(loaded.atoms)
    assert SpacegroupAnalyzer(structure).get_space_group_symbol() == "I4_1/a"
    for site in structure:
        if site.specie.symbol == "Al":
            neighbours = structure.get_neighbors(site, 2.0)
            assert len(neighbours) == 4
            assert all(1.60 < n.nn_distance < 1.68 and n.specie.symbol == "H" for n in neighbours)
            vectors = [n.coords - site.coords for n in neighbours]
            angles = [
                np.degrees(np.arccos(np.dot(u, v) / np.linalg.norm(u) / np.linalg.norm(v)))
                for i, u in enumerate(vectors)
                for v in vectors[i + 1 :]
            ]
            assert all(105 < angle < 115 for angle in angles)
        if site.specie.symbol == "Na":
            hydrogens = [n for n in structure.get_neighbors(site, 2.8) if n.specie.symbol == "H"]
            assert len(hydrogens) == 8 and all(2.35 < n.nn_distance < 2.50 for n in hydrogens)


def test_open_set_entries_have_provenance_experiment_and_doi() -> None:
    manifest = resolve_experiments(open_set())
    assert len(manifest.materials) >= 8
    assert all(m.experimental_ea_ev is not None and m.provenance for m in manifest.materials)
    predicted = {m.formula for m in manifest.materials if m.provenance == "predicted"}
    assert len(predicted) >= 3 and "LiBH4" in predicted
    assert all(m.doi for m in manifest.materials)
    by_name = {m.name: m for m in manifest.materials}
    assert by_name["Mg(BH4)2|low-T|predicted"].suspect  # dataset README: 0.28 eV implausibly low


def test_obelix_structures_come_from_the_mirror_with_their_provenance() -> None:
    lialh4 = load_structure("obelix:883")
    assert lialh4.atoms.get_chemical_formula() == "H16Al4Li4"
    assert lialh4.provenance["dataset"] == "obelix" and len(lialh4.provenance["cif_sha256"]) == 64
    ordered = load_structure("obelix:tvf")
    assert ordered.atoms.get_chemical_formula() == "H16I4Li12N8"
    ordering = ordered.provenance["ordering"]
    assert ordering["orderings_ranked"] == 15 and len(ordering["kept_partial_sites_frac"]) == 4
    from sselab.simulate.defects import molecular_units
    from sselab.simulate.defects.sites import formula_unit_counts

    # every NH2 kept two H: the units are whole Li3(NH2)2I formula units
    assert formula_unit_counts(molecular_units(ordered.atoms, "Li")) == ({"I": 1, "Li": 3, "NH2": 2}, 4)


def test_store_wiring_records_protocol_potential_convergence_and_provenance(toy_run, tmp_path) -> None:
    """Through the store's one recorder: composite as ``composite``, the migration-only barrier as CI-NEB
    (protocol ``vacancy``), each with its potential, device, converged flag and structure provenance."""
    from sselab.benchmark.recording import record_results, record_structures
    from sselab.store import open_store

    _, run = toy_run
    records = read_records(run)
    assert all(r.converged for r in records)  # EMT Cu/Al: every part converges
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    assert record_results(store, records) == {"stored": 4, "unconverged": 0, "skipped": 0, "refused": 0}
    frame = store.activation_energy_frame().sort_values(["formula", "method"])
    assert list(zip(frame["formula"], frame["method"], frame["protocol"], strict=True)) == [
        ("Al", "CI-NEB", "vacancy"),
        ("Al", "composite", "composite"),
        ("Cu", "CI-NEB", "vacancy"),
        ("Cu", "composite", "composite"),
    ]
    assert set(frame["potential"]) == {"emt"} and set(frame["device"]) == {"cpu"}
    assert frame["converged"].astype(bool).all() and set(frame["structure_provenance"]) == {"user"}
    assert set(frame["phase"]) == {"low-T"}
    by_key = {(r.material.formula, r.method): r.ea_ev for r in records}
    for row in frame.itertuples():
        job = "composite" if row.method == "composite" else "neb"
        assert row.activation_energy_ev == pytest.approx(by_key[(row.formula, job)])
    # a rerun over the same run folders adds nothing
    assert record_results(store, records)["skipped"] == 4 and len(store.activation_energy_frame()) == 4
    from dataclasses import replace

    experimental = replace(open_set(), materials=open_set().materials[:2])  # built-in LiBH4, OBELiX LiAlH4
    assert record_structures(store, experimental) == 2
    provenance = json.loads(store.structures_frame()["provenance"].iloc[1])
    assert provenance["label"] == "experimental" and provenance["dataset"] == "obelix"


def test_run_command_records_to_the_store_once(toy_run, tmp_path) -> None:
    """Rerunning the finished toy run with --record-to-store: every job cached, each barrier stored once."""
    from sselab.store import open_store

    folder, run = toy_run
    db = tmp_path / "cli.sqlite"
    args = ["benchmark", "run", str(folder / "toy.csv"), "--methods", "composite,neb", "--potentials", "emt"]
    args += ["--out", str(run), "--workers", "0", "--max-atoms", "32", "--starts", "1", "--images", "1"]
    args += ["--fmax", "0.05", "--record-to-store", "--db", f"sqlite:///{db}"]
    first = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output
    assert "'stored': 4" in first.output
    second = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert second.exit_code == 0 and "'skipped': 4" in second.output, second.output
    frame = open_store(f"sqlite:///{db}").activation_energy_frame()
    assert sorted(frame["method"]) == ["CI-NEB", "CI-NEB", "composite", "composite"]


def test_unconverged_barrier_is_refused_unless_kept_labelled(toy_run, tmp_path) -> None:
    from dataclasses import replace

    from sselab.benchmark.recording import record_results
    from sselab.store import open_store

    _, run = toy_run
    record = next(r for r in read_records(run) if r.method == "composite")
    result = {**record.result, "converged": False, "issues": ["CI-NEB not converged"]}
    unconverged = replace(record, converged=False, issues=("CI-NEB not converged",), result=result)
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    assert record_results(store, [unconverged])["refused"] == 1 and store.activation_energy_frame().empty
    counts = record_results(store, [unconverged], store_unconverged=True)
    assert counts == {"stored": 1, "unconverged": 1, "skipped": 0, "refused": 0}
    row = store.activation_energy_frame().iloc[0]
    assert not bool(row["converged"]) and row["convergence_reason"] == "CI-NEB not converged"


def test_config_file_sets_composite_settings_and_options_override_it(tmp_path) -> None:
    from sselab.cli.benchmark import _settings

    config = tmp_path / "bench.toml"
    config.write_text("[composite]\nn_interstitial_starts = 4\nneb_images = 5\n")
    settings = _settings(config, {"neb_images": 2, "max_atoms": None})
    assert (settings.n_interstitial_starts, settings.neb_images) == (4, 2)
    config.write_text("[composite]\nneb_imagez = 5\n")
    from sselab.errors import ConfigError

    with pytest.raises(ConfigError, match=r"unknown composite setting.*neb_imagez.*--config"):
        _settings(config, {})


def test_a_crashed_wave_does_not_stop_the_next_and_is_retried(toy_run, tmp_path, monkeypatch) -> None:
    from sselab.benchmark import jobs, runner
    from sselab.pipeline.executor import JobExecutor
    from sselab.store import open_store

    folder, _ = toy_run
    manifest = read_manifest(folder / "toy.csv")
    specs = runner.plan_jobs(manifest, ["neb", "composite"], ["emt"], tmp_path / "run", threads=1)
    specs = [s for s in specs if s["material"]["name"] == "Cu"]
    for spec in specs:
        spec["settings"] |= {"max_atoms": 32, "n_interstitial_starts": 1, "neb_images": 1}

    def crash(*args, **kwargs):
        raise RuntimeError("out of memory, say")

    original = jobs.STATIC_METHODS["neb"]
    monkeypatch.setitem(jobs.STATIC_METHODS, "neb", crash)
    store = open_store(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    records, errors = runner.run_benchmark(specs, store, JobExecutor(n_workers=0))
    assert [r.method for r in records] == ["composite"] and "out of memory" in errors[0]
    monkeypatch.setitem(jobs.STATIC_METHODS, "neb", original)
    records, errors = runner.run_benchmark(specs, store, JobExecutor(n_workers=0))
    assert sorted(r.method for r in records) == ["composite", "neb"] and errors == []


def test_material_settings_override_the_run_and_are_validated(tmp_path) -> None:
    from sselab.benchmark.runner import plan_jobs

    path = tmp_path / "m.toml"
    path.write_text(
        '[[material]]\nformula = "LiBH4"\nphase = "low-T"\nstructure = "builtin:libh4_pnma"\n'
        'provenance = "user"\nexperimental_ea_ev = 0.7\nsettings = { max_atoms = 140 }\n'
        '[[material]]\nformula = "LiBH4"\nphase = "high-T"\nstructure = "builtin:libh4_pnma"\n'
        'provenance = "user"\nexperimental_ea_ev = 0.5\n'
    )
    specs = plan_jobs(read_manifest(path), ["composite"], ["chgnet"], tmp_path, threads=1, settings=None)
    by_phase = {s["material"]["phase"]: s["settings"] for s in specs}
    assert by_phase["low-T"]["max_atoms"] == 140
    assert by_phase["high-T"]["max_atoms"] != 140  # the run's own setting where the material sets none
    path.write_text(
        '[[material]]\nformula = "LiBH4"\nphase = "low-T"\nstructure = "builtin:libh4_pnma"\n'
        'provenance = "user"\nexperimental_ea_ev = 0.7\nsettings = { max_atom = 96 }\n'
    )
    with pytest.raises(DataImportError, match=r"row 1.*field 'settings'.*unknown composite setting"):
        read_manifest(path)


def test_a_band_without_saddle_is_no_number_in_the_table_or_the_csv(tmp_path: Path) -> None:
    """An unconverged CI-NEB whose maximum is an end point reports 0 eV: neither the table nor the CSV may
    print that as a barrier."""
    rows = pd.DataFrame(
        {"formula": ["A", "B"], "phase": "low-T", "provenance": "experimental", "method": "neb",
         "protocol": "vacancy", "potential": "emt", "converged": [False, True], "ea_ev": [0.0, 0.4],
         "experimental_ea_ev": [0.6, 0.5], "doi": None,
         "name": ["A|low-T|experimental", "B|low-T|experimental"],
         "status": "ok", "suspect": None, "has_neutral_molecule": False, "origin": "sselab"}
    )  # fmt: skip
    bench = hydride_benchmark(rows)
    table = markdown_tables(bench)
    assert "none (not converged)" in table and "0.000" not in table
    written = pd.read_csv(write_rows_csv(bench, tmp_path / "rows.csv"))
    assert written["ea_ev"].isna().tolist() == [True, False]


def test_a_composite_job_waits_only_for_the_neb_job_of_its_own_material_and_potential(toy_run) -> None:
    from sselab.benchmark.jobs import job_waves, plan_jobs

    folder, _ = toy_run
    manifest = read_manifest(folder / "toy.csv")
    specs = plan_jobs(manifest, ["composite", "neb", "metad"], ["emt", "chgnet"], folder / "plan")
    waves = job_waves(specs)
    assert [label for label, _, _ in waves] == ["static", "metad"]
    _, static, after = waves[0]
    assert len(static) == 8 and all(s["method"] in ("neb", "composite") for s in static)
    for spec, wait in zip(static, after, strict=True):
        if spec["method"] == "neb":
            assert wait is None
        else:  # the neb job of the same material and potential (their shared run folder), listed earlier
            assert wait is not None and wait < static.index(spec)
            target = static[wait]
            assert target["method"] == "neb" and target["run_dir"] == spec["run_dir"]
            assert (target["material"]["name"], target["potential"]) == (
                spec["material"]["name"],
                spec["potential"],
            )
    assert waves[1][2] == [None] * 4
    # composite alone: nothing to wait for
    alone = job_waves(plan_jobs(manifest, ["composite"], ["emt"], folder / "plan"))
    assert alone[0][2] == [None, None]
