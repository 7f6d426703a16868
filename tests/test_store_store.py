"""Tests of sselab.store: open/migrate, transactional imports, frames, and what stages write back."""

from __future__ import annotations

import dataclasses
import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sselab.errors import DataImportError, StoreError
from sselab.store import (
    METHODS,
    ActivationEnergyRecord,
    ConductivityRecord,
    ImportBatch,
    MaterialRecord,
    SourceRecord,
    Store,
    StructureRecord,
    open_store,
)
from sselab.store.store import ACTIVATION_ENERGY_COLUMNS, CONDUCTIVITY_COLUMNS

SHA_A = "a" * 64
SHA_B = "b" * 64
CIF = "data_x\n_cell_length_a 5.0\n"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def settled_sha256(store: Store, path: Path) -> str:
    """Close ``store`` (the write-ahead log is folded into the file) and hash the file."""
    store.close()
    assert not path.with_name(path.name + "-wal").exists()
    return sha256_of(path)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "sub" / "store.sqlite"


@pytest.fixture
def store(store_path: Path) -> Store:
    s = open_store(f"sqlite:///{store_path}")
    yield s
    s.close()


def material(formula: str = "Mg(BH4)2·2NH3", dataset: str | None = None) -> MaterialRecord:
    return MaterialRecord.from_formula(formula, dataset=dataset)


def conductivities(n: int, formula: str = "Mg(BH4)2·2NH3") -> list[ConductivityRecord]:
    m = material(formula)
    src = SourceRecord("10.1002/test.1", "Test et al. 2020")
    return [
        ConductivityRecord(m, 300.0 + i, 1e-6 * (1 + i), phase="α", source=src, row_number=i + 2)
        for i in range(n)
    ]


def test_open_store_default_creates_folder_and_tables(tmp_path: Path) -> None:
    from sselab.config import get_settings

    store = open_store()
    path = get_settings().data_dir / "sselab.sqlite"
    assert path.is_file()
    assert store.stats()["materials"] == 0
    assert set(store.stats()) >= {"sources", "materials", "conductivity_measurements", "activation_energies"}
    # a path without a scheme is a SQLite file
    other = open_store(str(tmp_path / "x" / "y.sqlite"))
    assert (tmp_path / "x" / "y.sqlite").is_file()
    assert other.stats()["imports"] == 0


def test_open_store_uses_wal_and_leaves_one_file_when_closed(store: Store, store_path: Path) -> None:
    store.import_batch(ImportBatch("demo", SHA_A, "demo.csv", conductivities=conductivities(3)))
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    store.close()  # the last connection folds the write-ahead log back into the file
    assert sorted(p.name for p in store_path.parent.iterdir()) == ["store.sqlite"]


def test_open_store_refuses_bad_url() -> None:
    with pytest.raises(StoreError, match="no database driver"):
        open_store("nonsense://")


def test_import_batch_inserts_and_frames_carry_chemistry(store: Store) -> None:
    ea = ActivationEnergyRecord(
        material("Mg(BH4)2·2NH3"), 0.52, "experiment", temperature_min_k=300, temperature_max_k=360,
        uncertainty_ev=0.02, source="10.1002/test.1", row_number=7,
    )  # fmt: skip
    batch = ImportBatch(
        "demo", SHA_A, "demo.csv", conductivities=conductivities(5), activation_energies=[ea],
        structures=[StructureRecord("LiBH4", CIF, "demo.cif")], materials=[material("LiBH4·1/2NH3")],
    )  # fmt: skip
    result = store.import_batch(batch)
    assert not result.already_present
    assert result.inserted == {
        "sources": 1, "materials": 3, "conductivity_measurements": 5, "activation_energies": 1,
        "structures": 1,
    }  # fmt: skip
    cf = store.conductivity_frame()
    assert list(cf.columns) == CONDUCTIVITY_COLUMNS
    assert len(cf) == 5
    row = cf.iloc[0]
    assert (row.cation, row.valence, row.anion_family, row.neutral_molecule) == (
        "Mg",
        2,
        "nido-borane",
        "NH3",
    )
    assert row.neutral_count == 2.0 and row.doi == "10.1002/test.1" and row.dataset == "demo"
    assert cf.temperature_k.tolist() == [300.0, 301.0, 302.0, 303.0, 304.0]
    af = store.activation_energy_frame()
    assert list(af.columns[: len(ACTIVATION_ENERGY_COLUMNS)]) == ACTIVATION_ENERGY_COLUMNS
    assert af.iloc[0].activation_energy_ev == 0.52 and af.iloc[0].anion == "BH4"
    assert not af.iloc[0].contains_carbon
    assert af.iloc[0].material_id == row.material_id  # same (formula, dataset) -> one material
    mf = store.materials_frame()
    assert sorted(mf.formula) == ["LiBH4", "LiBH4·1/2NH3", "Mg(BH4)2·2NH3"]
    unparsed = mf[mf.formula == "LiBH4"].iloc[0]
    assert pd.isna(unparsed.cation) and unparsed.dataset == "demo"
    assert mf[mf.formula == "Mg(BH4)2·2NH3"].iloc[0].composition == {"Mg": 1.0, "B": 2.0, "H": 14.0, "N": 2.0}
    sf = store.structures_frame()
    assert sf.iloc[0].cif == CIF and sf.iloc[0].formula == "LiBH4"
    assert store.structures_frame(material_id=int(row.material_id)).empty


def test_frames_filter(store: Store) -> None:
    batch = ImportBatch(
        "demo", SHA_A, "demo.csv", conductivities=conductivities(2) + conductivities(3, "LiBH4"),
        activation_energies=[
            ActivationEnergyRecord(material("LiBH4"), 0.7, "experiment"),
            ActivationEnergyRecord(material("LiBH4"), 0.6, "MetaD", potential="chgnet", parameters={"T": 6}),
        ],
    )  # fmt: skip
    store.import_batch(batch)
    assert len(store.conductivity_frame(cation="Li")) == 3
    assert len(store.conductivity_frame(valence=2)) == 2
    assert len(store.conductivity_frame(dataset="other")) == 0
    assert store.activation_energy_frame(method="MetaD").potential.tolist() == ["chgnet"]
    empty = store.conductivity_frame(cation="Zn")
    assert list(empty.columns) == CONDUCTIVITY_COLUMNS and empty.empty


def test_reimport_same_file_adds_nothing(store: Store) -> None:
    batch = ImportBatch("demo", SHA_A, "demo.csv", conductivities=conductivities(4))
    assert not store.import_batch(batch).already_present
    before = store.stats()
    again = store.import_batch(batch)
    assert again.already_present and again.inserted == {}
    assert store.stats() == before
    # another file with the same rows adds none of them (row-level natural keys); materials are shared
    copy = store.import_batch(ImportBatch("demo", SHA_B, "demo2.csv", conductivities=conductivities(4)))
    assert not copy.already_present and copy.unchanged == {"conductivity_measurements": 4}
    assert copy.inserted["conductivity_measurements"] == 0 and copy.replaced == {}
    assert store.stats()["conductivity_measurements"] == 4
    assert store.stats()["materials"] == 1
    # the same rows in another dataset are new
    store.import_batch(ImportBatch("other", SHA_B, "demo2.csv", conductivities=conductivities(4)))
    assert store.stats()["conductivity_measurements"] == 8


def test_reimporting_the_original_after_an_edited_copy_restores_its_values(store: Store) -> None:
    """A, then an edited A′, then A again: the file hash of A was seen, but the store holds A′'s values, so
    A is applied again (row by row) instead of being skipped as already present."""
    original = conductivities(3)
    edited = [*original[:1], dataclasses.replace(original[1], conductivity_s_per_cm=9e-3), *original[2:]]
    first = store.import_batch(ImportBatch("demo", SHA_A, "a.csv", conductivities=original))
    store.import_batch(ImportBatch("demo", SHA_B, "a_edited.csv", conductivities=edited))
    assert store.conductivity_frame().conductivity_s_per_cm.max() == pytest.approx(9e-3)
    back = store.import_batch(ImportBatch("demo", SHA_A, "a.csv", conductivities=original))
    assert not back.already_present and back.import_id == first.import_id  # A's import row, re-used
    assert back.replaced == {"conductivity_measurements": 1}
    assert back.unchanged == {"conductivity_measurements": 2}
    assert back.inserted["conductivity_measurements"] == 0
    (change,) = back.changes
    assert (change.row_number, change.old, change.new) == (3, "σ = 0.009 S/cm", "σ = 2e-06 S/cm")
    values = sorted(store.conductivity_frame().conductivity_s_per_cm)
    assert values == pytest.approx([1e-6, 2e-6, 3e-6]) and store.stats()["conductivity_measurements"] == 3
    # and now A matches the store again: a fourth import of A is a no-op
    again = store.import_batch(ImportBatch("demo", SHA_A, "a.csv", conductivities=original))
    assert again.already_present and again.inserted == {} and again.replaced == {}


def test_bad_row_in_the_middle_leaves_file_byte_for_byte_unchanged(store: Store, store_path: Path) -> None:
    store.import_batch(ImportBatch("demo", SHA_A, "first.csv", conductivities=conductivities(10)))
    before = settled_sha256(store, store_path)
    store = open_store(f"sqlite:///{store_path}")
    rows = conductivities(1000)
    bad = ConductivityRecord(material("LiBH4"), 300.0, -1e-4, row_number=517)
    rows.insert(500, bad)
    with pytest.raises(DataImportError) as err:
        store.import_batch(ImportBatch("other", SHA_B, "bad.csv", conductivities=rows))
    assert (err.value.file, err.value.row, err.value.field) == ("bad.csv", 517, "conductivity_s_per_cm")
    assert "bad.csv" in str(err.value) and "row 517" in str(err.value)
    assert settled_sha256(store, store_path) == before
    assert open_store(f"sqlite:///{store_path}").stats()["conductivity_measurements"] == 10


def test_database_failure_mid_batch_rolls_back(store: Store, store_path: Path) -> None:
    """A failure after rows were written (a parameter JSON cannot hold) leaves the file unchanged."""
    store.import_batch(ImportBatch("demo", SHA_A, "first.csv", conductivities=conductivities(3)))
    before = settled_sha256(store, store_path)
    store = open_store(f"sqlite:///{store_path}")
    good = conductivities(50)
    clash = ActivationEnergyRecord(material("LiBH4"), 0.5, "experiment", parameters={"x": object()})
    with pytest.raises(DataImportError, match=r"second\.csv"):
        store.import_batch(
            ImportBatch("demo", SHA_B, "second.csv", conductivities=good, activation_energies=[clash])
        )
    assert settled_sha256(store, store_path) == before


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (ConductivityRecord("LiBH4", math.nan, 1e-3), "temperature_k"),
        (ConductivityRecord("LiBH4", 0.0, 1e-3), "temperature_k"),
        (ConductivityRecord("LiBH4", 300.0, 0.0), "conductivity_s_per_cm"),
        (ConductivityRecord("LiBH4", 300.0, math.inf), "conductivity_s_per_cm"),
        (ConductivityRecord("LiBH4", "hot", 1e-3), "temperature_k"),  # type: ignore[arg-type]
        (ConductivityRecord("", 300.0, 1e-3), "material"),
        (ActivationEnergyRecord("LiBH4", math.nan, "experiment"), "activation_energy_ev"),
        (ActivationEnergyRecord("LiBH4", 0.5, "guess"), "method"),
        (ActivationEnergyRecord("LiBH4", 0.5, "MetaD", uncertainty_ev=-0.1), "uncertainty_ev"),
        (
            ActivationEnergyRecord("LiBH4", 0.5, "AIMD", temperature_min_k=500, temperature_max_k=400),
            "temperature_min_k",
        ),
        (StructureRecord("LiBH4", "  ", "x"), "cif"),
    ],
)
def test_invalid_records_name_row_and_field(store: Store, record: object, field: str) -> None:
    kind = {
        ConductivityRecord: "conductivities", ActivationEnergyRecord: "activation_energies",
        StructureRecord: "structures",
    }[type(record)]  # fmt: skip
    with pytest.raises(DataImportError) as err:
        store.import_batch(ImportBatch("demo", SHA_A, "f.csv", **{kind: [record]}))
    assert err.value.field == field and err.value.row == 1 and err.value.file == "f.csv"
    assert sum(store.stats().values()) == 0


def test_methods_constant_matches_architecture() -> None:
    assert METHODS == ("experiment", "MetaD", "CI-NEB", "AIMD", "MLMD", "BVSE", "regression", "composite")


def test_add_single_records_and_flag(store: Store) -> None:
    ea_id = store.add_activation_energy(
        ActivationEnergyRecord(
            material("Mg(BH4)2·NH3", dataset="simulated"), np.float64(0.41), "MetaD", uncertainty_ev=0.03,
            potential="chgnet", parameters={"height_ev": np.float32(0.01), "widths": np.array([0.1, 0.2])},
            run_folder="runs/metad-1", dataset="simulated",
        )
    )  # fmt: skip
    sid = store.add_structure(StructureRecord(material("Mg(BH4)2·NH3"), CIF, "search", dataset="simulated"))
    assert isinstance(ea_id, int) and isinstance(sid, int)
    store.flag_activation_energy(ea_id, "barrier from a non-converged FES")
    af = store.activation_energy_frame(method="MetaD")
    assert af.iloc[0].flag == "barrier from a non-converged FES" and af.iloc[0].run_folder == "runs/metad-1"
    assert store.stats()["materials"] == 1  # same (formula, dataset)
    with pytest.raises(StoreError):
        store.flag_activation_energy(9999, "x")


def test_model_fits_runs_and_stage_results(store: Store) -> None:
    assert store.list_model_fits() == []
    store.save_model_fit("linear-ea", {"coef": [1.0, 2.0]})
    store.save_model_fit("linear-ea", {"coef": np.array([3.0])})
    assert store.load_model_fit("linear-ea") == {"coef": [3.0]}
    assert store.list_model_fits() == ["linear-ea"]
    with pytest.raises(StoreError, match="linear-ea"):
        store.load_model_fit("missing")
    run_id = store.record_run("metad", "runs/a", {"T": 600}, {"ea_ev": 0.4, "bad": math.nan})
    runs = store.runs_frame(kind="metad")
    assert runs.run_id.tolist() == [run_id] and runs.iloc[0].summary == {"ea_ev": 0.4, "bad": None}
    assert store.runs_frame(kind="neb").empty
    assert store.get_stage_result("fit", "h1") is None
    store.put_stage_result("fit", "h1", {"ea": 1}, {"v": "0.1"})
    store.put_stage_result("fit", "h1", {"ea": 2}, {"v": "0.1"})
    assert store.get_stage_result("fit", "h1") == {"ea": 2}
    assert len(store.stage_results_frame()) == 1


def test_search_individuals_are_an_idempotent_checkpoint(store: Store) -> None:
    rid = store.create_search_run("mg-nh3", "Mg(BH4)2NH3", {"pop": 10, "seed": 1})
    assert store.create_search_run("mg-nh3", "Mg(BH4)2NH3", {}) == rid
    assert store.add_search_individual("mg-nh3", "k1", CIF, -4.2, 0, [], "random", False, {})
    assert store.add_search_individual("mg-nh3", "k2", CIF, None, 1, ["k1"], "mutation", True, {"d": 1})
    assert not store.add_search_individual("mg-nh3", "k1", CIF, -9.9, 5, [], "random", True, {})
    df = store.search_individuals("mg-nh3")
    assert df.key.tolist() == ["k1", "k2"] and df.energy_ev_per_atom.iloc[0] == -4.2
    assert df.parents.iloc[1] == ["k1"] and bool(df.relaxed.iloc[1])
    with pytest.raises(StoreError, match="no search run"):
        store.add_search_individual("nope", "k", CIF, 0.0, 0, [], "random", False, {})


def test_in_memory_store_works() -> None:
    s = open_store("sqlite://")
    s.import_batch(ImportBatch("demo", SHA_A, "m.csv", conductivities=conductivities(2)))
    assert s.stats()["conductivity_measurements"] == 2
