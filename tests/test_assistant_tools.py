"""Assistant tools called directly on a store holding the real wang2025-ea and liverpool-ionics datasets."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sselab.assistant import ToolContext, build_registry
from test_assistant_support import copy_store, real_store_file, sha256_of

WANG_XLSX = "wang2025/supplementary_dataset_1.xlsx"
BOLTZMANN_EV_PER_K = 8.617333262e-5


@pytest.fixture
def store_path(tmp_path_factory: pytest.TempPathFactory, dataset_mirror: Path) -> Path:
    return real_store_file(tmp_path_factory)


@pytest.fixture
def context(store_path: Path, tmp_path: Path) -> ToolContext:
    return ToolContext(url=f"sqlite:///{store_path}", out_dir=tmp_path / "out")


@pytest.fixture(scope="module")
def registry():
    return build_registry()


@pytest.fixture(scope="module")
def wang_rows(dataset_mirror: Path) -> pd.DataFrame:
    rows = pd.read_excel(dataset_mirror / WANG_XLSX)
    return rows.dropna(subset=["Ea (eV)", "Pretty_Formula"])


def test_every_tool_has_an_object_schema(registry) -> None:
    names = registry.names()
    assert {
        "describe_schema",
        "run_sql",
        "filter_materials",
        "fit_arrhenius_for_material",
        "compare_methods",
        "predict_ea",
        "make_figure",
        "insight_neutral_molecules",
        "insight_methods_vs_experiment",
    } <= set(names)
    for entry in registry.openai_tools():
        assert entry["type"] == "function"
        assert entry["function"]["parameters"]["type"] == "object"
        assert entry["function"]["description"]


def test_bad_arguments_come_back_as_structured_errors(registry, context: ToolContext) -> None:
    result = registry.call(context, "filter_materials", {"valence": "two", "colour": "red"})
    assert not result.ok and result.error_type == "ArgumentError"
    assert "valence" in result.error and "colour" in result.error
    assert registry.call(context, "no_such_tool", {}).error_type == "UnknownTool"
    assert registry.call(context, "run_sql", "{not json").error_type == "ArgumentError"


def test_describe_schema_names_tables_columns_and_units(registry, context: ToolContext) -> None:
    result = registry.call(context, "describe_schema", {})
    assert result.ok, result.error
    tables = result.data["tables"]
    assert {"materials", "activation_energies", "conductivity_measurements", "sources"} <= set(tables)
    ea_columns = {c["name"]: c for c in tables["activation_energies"]["columns"]}
    assert "eV" in ea_columns["activation_energy_ev"]["meaning"]
    sigma_columns = {c["name"]: c for c in tables["conductivity_measurements"]["columns"]}
    assert "S/cm" in sigma_columns["conductivity_s_per_cm"]["meaning"]
    assert registry.call(context, "describe_schema", {"table": "nope"}).ok is False


def test_run_sql_returns_divalent_rows_with_their_dois(registry, context: ToolContext, wang_rows) -> None:
    sql = (
        "SELECT m.formula, a.activation_energy_ev, s.doi FROM activation_energies a "
        "JOIN materials m ON m.id = a.material_id LEFT JOIN sources s ON s.id = a.source_id "
        "WHERE m.valence = 2 AND a.method = 'experiment'"
    )
    result = registry.call(context, "run_sql", {"sql": sql})
    assert result.ok, result.error
    divalent = wang_rows[wang_rows["Valence"] == "Divalent"]
    assert len(result.table) == len(divalent)
    assert set(result.dois) == {str(d).strip() for d in divalent["DOI"].dropna()}
    assert result.sql and "SELECT" in result.sql[0]
    assert np.isclose(result.table["activation_energy_ev"].sum(), divalent["Ea (eV)"].sum())


def test_run_sql_applies_the_row_limit_and_reports_bad_sql(registry, context: ToolContext) -> None:
    limited = registry.call(
        context, "run_sql", {"sql": "SELECT * FROM conductivity_measurements", "max_rows": 5}
    )
    assert limited.ok and len(limited.table) == 5 and limited.data["truncated"] is True
    bad = registry.call(context, "run_sql", {"sql": "SELECT no_such_column FROM materials"})
    assert not bad.ok and "no_such_column" in bad.error


def test_filter_materials_divalent_low_ea_matches_the_spreadsheet(
    registry, context: ToolContext, wang_rows
) -> None:
    result = registry.call(
        context, "filter_materials", {"valence": 2, "ea_max_ev": 0.5, "dataset": "wang2025-ea"}
    )
    assert result.ok, result.error
    expected = wang_rows[(wang_rows["Valence"] == "Divalent") & (wang_rows["Ea (eV)"] <= 0.5)]
    assert set(result.table["formula"]) == set(expected["Pretty_Formula"].astype(str).str.strip())
    assert set(result.dois) == {str(d).strip() for d in expected["DOI"]}


def test_filter_materials_neutral_molecule_split(registry, context: ToolContext) -> None:
    with_nm = registry.call(context, "filter_materials", {"valence": 2, "neutral_molecule_present": True})
    without = registry.call(context, "filter_materials", {"valence": 2, "neutral_molecule_present": False})
    nh3 = registry.call(context, "filter_materials", {"valence": 2, "neutral_molecule": "NH3"})
    assert with_nm.ok and without.ok and nh3.ok
    assert not set(with_nm.table["formula"]) & set(without.table["formula"])
    assert set(nh3.table["formula"]) <= set(with_nm.table["formula"])
    assert any("NH3" in f for f in nh3.table["formula"])
    assert "Mg(BH4)2" in set(without.table["formula"])


def test_filter_materials_conductivity_window_on_liverpool(registry, context: ToolContext) -> None:
    args = {"cation": "Li", "conductivity_min_s_per_cm": 1e-3, "temperature_max_k": 310.0}
    result = registry.call(context, "filter_materials", args)
    assert result.ok, result.error
    frame = context.store.conductivity_frame(cation="Li")
    hits = frame[(frame["temperature_k"] <= 310.0) & (frame["conductivity_s_per_cm"] >= 1e-3)]
    assert set(result.table["material_id"]) == set(hits["material_id"])
    assert (result.table["max_conductivity_s_per_cm"] >= 1e-3).all()
    assert set(result.dois) == {str(d) for d in hits["doi"].dropna()}
    divalent = registry.call(
        context,
        "filter_materials",
        {"valence": 2, "conductivity_min_s_per_cm": 1e-5, "temperature_max_k": 350.0},
    )
    assert divalent.ok and divalent.data["n_materials"] == 0  # no divalent σ(T) points in these datasets


def test_fit_arrhenius_for_material_matches_a_direct_fit(registry, context: ToolContext) -> None:
    frame = context.store.conductivity_frame(dataset="liverpool-ionics")
    counts = frame.groupby("material_id").size()
    material_id = int(counts.idxmax())
    points = frame[frame["material_id"] == material_id]
    result = registry.call(context, "fit_arrhenius_for_material", {"material_id": material_id})
    assert result.ok, result.error
    t = points["temperature_k"].to_numpy()
    slope = np.polyfit(1.0 / t, np.log(points["conductivity_s_per_cm"].to_numpy() * t), 1)[0]
    assert result.data["activation_energy_ev"] == pytest.approx(-slope * BOLTZMANN_EV_PER_K, rel=1e-6)
    assert result.data["n_points"] == len(points)
    assert set(result.dois) == {str(d) for d in points["doi"].dropna()}
    missing = registry.call(context, "fit_arrhenius_for_material", {"formula": "Unobtainium"})
    assert not missing.ok and "Unobtainium" in missing.error


def test_compare_methods_says_when_nothing_is_computed(registry, context: ToolContext) -> None:
    result = registry.call(context, "compare_methods", {})
    assert result.ok
    assert "no computed Ea" in result.summary and result.data["n_experimental"] > 150


def test_make_figure_from_an_earlier_result_and_from_sql(registry, context: ToolContext) -> None:
    found = registry.call(context, "filter_materials", {"cation": "Li", "dataset": "liverpool-ionics"})
    result_id = context.remember(found)
    spec = {
        "source_result_id": result_id,
        "x": "temperature_at_max_k",
        "y": "max_conductivity_s_per_cm",
        "x_transform": "inverse_1000",
        "log_y": True,
        "color_by": "anion_family",
        "size_by": "n_conductivity_points",
    }
    figure = registry.call(context, "make_figure", spec)
    assert figure.ok, figure.error
    png = Path(figure.figures[0])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.dois == found.dois
    sql_spec = {
        "sql": "SELECT temperature_k, conductivity_s_per_cm FROM conductivity_measurements",
        "x": "temperature_k",
        "y": "conductivity_s_per_cm",
        "kind": "line",
        "log_y": True,
    }
    from_sql = registry.call(context, "make_figure", sql_spec)
    assert from_sql.ok and from_sql.sql and Path(from_sql.figures[0]).exists()
    bad = registry.call(context, "make_figure", {**spec, "y": "colour"})
    assert not bad.ok and "max_conductivity_s_per_cm" in bad.error
    both = registry.call(context, "make_figure", {**spec, "sql": "SELECT 1"})
    assert not both.ok and "exactly one" in both.error


def test_predict_ea_lists_models_when_none_is_named(registry, context: ToolContext) -> None:
    result = registry.call(context, "predict_ea", {})
    assert result.ok and result.data["models"] == sorted(context.store.list_model_fits())
    unknown = registry.call(context, "predict_ea", {"model_name": "nope", "formulas": ["Mg(BH4)2"]})
    assert not unknown.ok and "nope" in unknown.error


def test_compare_methods_with_computed_rows(registry, store_path: Path, tmp_path: Path, wang_rows) -> None:
    from sselab.store import ActivationEnergyRecord, MaterialRecord, open_store

    path = copy_store(store_path, tmp_path / "computed")
    context = ToolContext(url=f"sqlite:///{path}", out_dir=tmp_path / "out")
    writer = open_store(str(path))
    single = wang_rows.groupby("Pretty_Formula").filter(lambda g: len(g) == 1)
    chosen = single[~single["Pretty_Formula"].str.contains(r"[·–@]", regex=True)].head(4)
    offsets = {"MetaD": [0.02, -0.03, 0.01, 0.04], "CI-NEB": [0.3, -0.25, 0.4, 0.1]}
    for method, shifts in offsets.items():
        for (_, row), shift in zip(chosen.iterrows(), shifts, strict=True):
            writer.add_activation_energy(
                ActivationEnergyRecord(
                    material=MaterialRecord(formula=row["Pretty_Formula"], dataset="test-sim"),
                    activation_energy_ev=float(row["Ea (eV)"]) + shift,
                    method=method,
                    phase="high-T" if row["Phase_Transition"] == 1 else "low-T",  # as the importer names them
                    dataset="test-sim",
                )
            )
    result = registry.call(context, "compare_methods", {})
    assert result.ok, result.error
    metrics = result.table.set_index("method")
    truth = chosen["Ea (eV)"].to_numpy(dtype=float)
    for method, shifts in offsets.items():
        residual = np.asarray(shifts)
        r2 = 1.0 - np.sum(residual**2) / np.sum((truth - truth.mean()) ** 2)
        assert metrics.loc[method, "n"] == 4
        assert metrics.loc[method, "mae_ev"] == pytest.approx(np.mean(np.abs(residual)))
        assert metrics.loc[method, "r2"] == pytest.approx(r2)
    assert Path(result.figures[0]).exists()
    assert set(result.dois) >= {str(d).strip() for d in chosen["DOI"]}
    assert re.search(r"closest to experiment by MAE: MetaD", result.summary)


def test_predict_ea_with_a_model_fitted_and_saved_in_the_store(
    registry, store_path: Path, tmp_path: Path
) -> None:
    from sselab.models import LinearEaModel
    from sselab.store import open_store

    path = copy_store(store_path, tmp_path / "model")
    context = ToolContext(url=f"sqlite:///{path}", out_dir=tmp_path / "out")
    ea = context.store.activation_energy_frame(method="experiment", dataset="wang2025-ea")
    training = ea[(ea["valence"] == 2) & (ea["neutral_count"] > 0)]
    model = LinearEaModel(descriptors=("X", "r_atom"), name="test-nh3").fit(training)
    model.save_to_store(open_store(str(path)))
    formulas = ["Mg(BH4)2·2NH3", "Mg(BH4)2·6NH3"]
    result = registry.call(context, "predict_ea", {"model_name": "test-nh3", "formulas": formulas})
    assert result.ok, result.error
    expected = model.predict(pd.DataFrame({"formula": formulas}))
    assert result.table["predicted_ea_ev"].to_numpy() == pytest.approx(expected)
    assert set(result.dois) == set(training["doi"].dropna())
    assert registry.call(context, "predict_ea", {}).data["models"] == ["test-nh3"]


def test_structured_tools_read_through_a_connection_that_cannot_write(
    store_path: Path, tmp_path: Path
) -> None:
    from sselab.errors import StoreError
    from sselab.store import ActivationEnergyRecord, MaterialRecord

    path = copy_store(store_path, tmp_path / "ro")
    before = sha256_of(path)
    context = ToolContext(url=str(path), out_dir=tmp_path / "out")
    record = ActivationEnergyRecord(
        material=MaterialRecord(formula="MgH2"), activation_energy_ev=1.0, method="experiment"
    )
    with pytest.raises(StoreError, match="readonly database"):
        context.store.add_activation_energy(record)
    assert sha256_of(path) == before
    with pytest.raises(StoreError, match="no store"):
        _ = ToolContext(url=str(tmp_path / "missing.sqlite")).store
    missing = build_registry().call(ToolContext(url=str(tmp_path / "missing.sqlite")), "filter_materials", {})
    assert not missing.ok and missing.error_type == "StoreError"
    assert not (tmp_path / "missing.sqlite").exists()
