"""wang2025-candidates: registry entry, importer (per-row report), published lines recovered, stored once."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sselab.datasets import get_dataset, import_dataset, import_file, sha256_of
from sselab.datasets.importers.wang2025_candidates import canonical_formula, read_wang2025_candidates
from sselab.errors import DataImportError
from sselab.models import LinearEaModel
from sselab.store import open_store


def _mirror_file(mirror: Path) -> Path:
    return mirror / get_dataset("wang2025-candidates").primary.mirror_path


def _raw(mirror: Path) -> pd.DataFrame:
    """Dataset 2 read here with pandas alone (not through the importer): Structure, x, Ea in three columns."""
    frame = pd.read_excel(_mirror_file(mirror), header=None).iloc[3:]
    frame.columns = ["index", "structure", "x", "y1", "y2_boranes", "y2_carboranes"]
    return frame.reset_index(drop=True)


def test_registry_pins_dataset_2_at_the_papers_commit(dataset_mirror: Path) -> None:
    info = get_dataset("wang2025-candidates")
    url = info.primary.canonical_url
    assert url.endswith("/0d6b2f6521088d15050e812381995ea8892e0842/Supplementary%20Dataset%202.xlsx")
    assert sha256_of(_mirror_file(dataset_mirror)) == info.primary.sha256


def test_import_stores_558_candidates_and_the_published_lines_once(
    tmp_path: Path, dataset_mirror: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    report = import_dataset("wang2025-candidates", store, progress=False)
    assert (report.rows_read, report.imported, len(report.skipped)) == (558, 558, 0)
    assert report.inserted == {"screening_predictions": 558, "model_fits": 3}
    assert store.stats()["materials"] == 0  # hypothetical candidates are not materials
    rows = store.screening_frame("wang2025-candidates")
    assert len(rows) == 558 and set(rows["model_kind"]) == {"published"}
    assert rows["route"].value_counts().to_dict() == {"y2": 288, "y1": 270}
    raw = _raw(dataset_mirror)
    ea = raw[["y1", "y2_boranes", "y2_carboranes"]].astype(float).max(axis=1)
    by_row = rows.set_index("row_number")
    assert by_row.loc[raw.index + 4, "activation_energy_ev"].to_numpy() == pytest.approx(ea.to_numpy())
    assert by_row.loc[raw.index + 4, "x"].to_numpy() == pytest.approx(raw["x"].astype(float).to_numpy())
    fits = store.model_fits_frame().set_index("name")
    assert fits.loc[["wang2025-y1", "wang2025-y2"], "origin"].tolist() == ["published", "published"]
    assert fits.loc["wang2025-y1", "label"] == "published by Wang et al. 2025"
    again = import_dataset("wang2025-candidates", store, progress=False)
    assert again.already_present and len(store.screening_frame("wang2025-candidates")) == 558


def test_recovered_lines_reproduce_the_published_predictions(tmp_path: Path, dataset_mirror: Path) -> None:
    """Expectations from Wang et al. 2025, Supplementary Dataset 2: its Ea columns are exact lines in its x,
    Ea = x + 1.82 eV on y1 (the paper's text prints slope 1.06 for Figure 3b) and 0.23·x + 0.61 eV on y2."""
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    import_dataset("wang2025-candidates", store, progress=False)
    y1 = LinearEaModel.load_from_store(store, "wang2025-y1")
    y2 = LinearEaModel.load_from_store(store, "wang2025-y2")
    assert (y1.coef_[0], y1.intercept_) == pytest.approx((1.0, 1.82), abs=1e-9)
    assert (y2.coef_[0], y2.intercept_) == pytest.approx((0.23, 0.61), abs=1e-9)
    for model, n in ((y1, 270), (y2, 288)):
        assert model.origin == "published" and not model.has_interval and not model.has_range
        assert model.recovery_["n"] == n and model.recovery_["max_abs_residual_ev"] < 1e-9
        assert "Supplementary Dataset 2" in model.citation_
    raw = _raw(dataset_mirror)
    formulas = [canonical_formula(str(f)) for f in raw["structure"]]
    predicted = y1.predict(pd.DataFrame({"formula": formulas}))  # x recomputed from the formula text
    on_y1 = raw["y1"].notna().to_numpy()
    assert predicted[on_y1] == pytest.approx(raw["y1"][on_y1].astype(float).to_numpy(), abs=1e-9)


def _copy_with_edits(source: Path, target: Path, edits: dict[str, object]) -> Path:
    book = openpyxl.load_workbook(source)
    sheet = book.active
    for cell, value in edits.items():
        sheet[cell] = value
    book.save(target)
    return target


def test_bad_rows_are_skipped_with_reasons_and_odd_routes_warned(
    tmp_path: Path, dataset_mirror: Path
) -> None:
    edited = _copy_with_edits(
        _mirror_file(dataset_mirror),
        tmp_path / "edited.xlsx",
        {"B4": "Zz(BH4)2·6NH3", "C5": "n/a", "E6": 0.4, "B8": None, "D10": None},
    )
    read = read_wang2025_candidates(edited)
    reasons = {s.row: (s.field, s.reason) for s in read.parsed.skipped}
    assert reasons[4][0] == "Structure" and "formula not read" in reasons[4][1]
    assert reasons[5] == ("-0.059 X + 0.0029 ratom", "x is not a number: not a number")
    assert reasons[6][1] == "Ea in more than one route column or not a number"
    assert reasons[8] == ("Structure", "no formula")
    assert reasons[10][1] == "no Ea in any route column"
    assert len(read.rows) == 553 and read.parsed.rows_read == 558
    moved = _copy_with_edits(
        _mirror_file(dataset_mirror), tmp_path / "moved.xlsx", {"D4": None, "F4": 0.505146}
    )
    warnings = read_wang2025_candidates(moved).parsed.warnings
    assert any("row 4" in w and "carboranes" in w for w in warnings)


def test_a_sheet_without_the_expected_header_is_refused_before_the_store(
    tmp_path: Path, dataset_mirror: Path
) -> None:
    broken = _copy_with_edits(_mirror_file(dataset_mirror), tmp_path / "broken.xlsx", {"D1": "Energy"})
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    with pytest.raises(DataImportError, match=r"broken.xlsx.*header cell row 1, column 4 reads 'Energy'"):
        import_file("wang2025-candidates", broken, store, save_report=False)
    assert store.stats()["imports"] == 0 and store.list_model_fits() == []


def test_canonical_formula_only_drops_counts_of_one() -> None:
    assert canonical_formula("Mg2(B12H12)2·1NH3") == "Mg2(B12H12)2·NH3"
    assert canonical_formula("Ca1(CB11H12)2·12H2O") == "Ca(CB11H12)2·12H2O"
    assert canonical_formula("Zn1(BH4)2·1.5NH3") == "Zn(BH4)2·1.5NH3"
    assert canonical_formula("Mg(BH4)2") == "Mg(BH4)2"


def test_cells_are_read_as_written_and_a_file_that_is_no_workbook_is_refused(
    tmp_path: Path, dataset_mirror: Path
) -> None:
    """The candidates go through the import boundary's readers: numbers as written, bounded workbook reads."""
    edited = _copy_with_edits(
        _mirror_file(dataset_mirror), tmp_path / "cut.xlsx", {"C4": "-1.31E-0", "D7": "<0.5"}
    )
    read = read_wang2025_candidates(edited)
    reasons = {s.row: (s.field, s.reason) for s in read.parsed.skipped}
    assert reasons[4][0] == "-0.059 X + 0.0029 ratom" and "exponent of a single 0" in reasons[4][1]
    assert reasons[7][1] == "Ea in more than one route column or not a number"
    assert len(read.rows) == 556
    fake = tmp_path / "fake.xlsx"
    fake.write_text("Index,Structure\n1,Mg(BH4)2\n", encoding="utf-8")
    with pytest.raises(DataImportError, match=r"fake.xlsx"):
        read_wang2025_candidates(fake)
