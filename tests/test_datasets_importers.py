"""Importers on the real mirror files (no store): counts, skipped rows with reasons, stated assumptions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sselab.datasets import read_dataset_file
from sselab.datasets.importers import ROOM_TEMPERATURE_K, decide_temperature_unit
from sselab.errors import ConfigError


@pytest.fixture(scope="module")
def mirror() -> Path:
    import os

    path = Path(os.environ["SSELAB_DATA_MIRROR"])
    if not path.is_dir():
        pytest.skip("dataset mirror not present")
    return path


def test_wang2025_imports_at_least_185_rows_with_cation_and_valence(mirror: Path) -> None:
    parsed = read_dataset_file("wang2025-ea", mirror / "wang2025" / "supplementary_dataset_1.xlsx")
    report = parsed.to_report()
    # The sheet holds 191 data rows (Index 1-192 without 3) and a closing note row.
    assert report.rows_read == 192
    assert report.imported >= 185
    assert len(parsed.activation_energies) == report.imported
    for record in parsed.activation_energies:
        material = record.material
        assert material.parsed is not None
        assert material.parsed.cation in {"Li", "Na", "K", "Mg", "Ca", "Zn"}
        assert material.parsed.valence in (1, 2)
        assert len(material.parsed.element_amounts) > 0
        assert record.method == "experiment" and record.phase in ("low-T", "high-T")
        assert material.family_label.split("/")[0] in ("Monovalent", "Divalent")
    # every row not imported is listed with a reason
    listed = {item.row for item in report.skipped}
    assert report.rows_read - report.imported == len(listed)
    note = [item for item in report.skipped if item.row == 193]
    assert note and "note row" in note[0].reason


def test_wang2025_cation_mismatch_is_a_warning_not_a_fix(mirror: Path) -> None:
    parsed = read_dataset_file("wang2025-ea", mirror / "wang2025" / "supplementary_dataset_1.xlsx")
    mismatches = [w for w in parsed.warnings if "LiBH4-0.5NH3" in w and "'Na'" in w]
    assert len(mismatches) == 2
    rows = [r for r in parsed.activation_energies if r.material.formula == "LiBH4-0.5NH3"]
    assert {r.material.parsed.cation for r in rows} == {"Li"}


def test_wang2025_published_values_are_stored_as_given(mirror: Path) -> None:
    # Expectation from the spreadsheet itself (row 2: LiBH4, high-T phase, 0.53 eV).
    parsed = read_dataset_file("wang2025-ea", mirror / "wang2025" / "supplementary_dataset_1.xlsx")
    first = next(r for r in parsed.activation_energies if r.row_number == 2)
    assert (first.material.formula, first.phase, first.activation_energy_ev) == ("LiBH4", "high-T", 0.53)
    assert first.source.doi == "10.1063/1.2817934"


def test_liverpool_accounts_for_all_820_rows_in_celsius(mirror: Path) -> None:
    parsed = read_dataset_file("liverpool-ionics", mirror / "liverpool" / "LiIonDatabase.csv")
    report = parsed.to_report()
    assert report.rows_read == 820
    assert report.imported + len({s.row for s in report.skipped}) == 820
    assert any("°C by the auto rule" in text for text in report.assumptions)
    by_row = {r.row_number: r for r in parsed.conductivities}
    # line 3 of the file: Li2OHBr, 22.06 (°C), 5.40E-07 S/cm
    assert by_row[3].temperature_k == pytest.approx(22.06 + 273.15)
    assert by_row[3].conductivity_s_per_cm == pytest.approx(5.4e-7)


def test_liverpool_kelvin_option_is_applied(mirror: Path) -> None:
    parsed = read_dataset_file(
        "liverpool-ionics", mirror / "liverpool" / "LiIonDatabase.csv", temperature_unit="K"
    )
    by_row = {r.row_number: r for r in parsed.conductivities}
    assert by_row[2].temperature_k == pytest.approx(300.0)
    assert any("set by the user" in text for text in parsed.assumptions)


def test_temperature_unit_rule() -> None:
    assert decide_temperature_unit(pd.Series([25.0, 300.0]))[0] == "C"
    assert decide_temperature_unit(pd.Series([298.0, 573.0]))[0] == "K"
    assert decide_temperature_unit(pd.Series([25.0]), "K")[0] == "K"
    with pytest.raises(ConfigError):
        decide_temperature_unit(pd.Series([25.0]), "F")


def test_obelix_all_rows_with_cifs_and_bounds_reported(mirror: Path) -> None:
    parsed = read_dataset_file(
        "obelix", mirror / "obelix" / "all.csv", extra_path=mirror / "obelix" / "all_cifs.zip"
    )
    report = parsed.to_report()
    assert report.rows_read == 599 and report.imported == 599
    assert len(parsed.structures) == 321
    assert all("data_" in s.cif and "space group" in s.provenance for s in parsed.structures)
    bounds = [s for s in report.skipped if s.raw.startswith("<")]
    assert len(bounds) == 37 and len(parsed.conductivities) == 599 - 37
    assert {r.temperature_k for r in parsed.conductivities} == {ROOM_TEMPERATURE_K}
    assert any("298.15 K" in text for text in report.assumptions)


def test_laskowski_reports_unreadable_cells_and_never_guesses(mirror: Path) -> None:
    parsed = read_dataset_file("laskowski2023", mirror / "liverpool" / "laskowski2023_semi_formatted.csv")
    report = parsed.to_report()
    assert report.rows_read == 1928
    skipped = {(s.row, s.field): s for s in report.skipped}
    assert skipped[(11, "conductivity")].raw == "<1E-10"
    assert "spaces" in skipped[(26, "composition")].reason  # 'Li SiS  4 4'
    assert "leading zero" in skipped[(32, "composition")].reason  # 'Li3.5Si0.5P05S4'
    broken = [s for s in report.skipped if 107 <= s.row <= 109]  # (Ag0.33Li0.67)0.27La0.57TiO / 1E-4 / 3
    assert len(broken) == 3 and not any(r.row_number in (107, 108, 109) for r in parsed.conductivities)
    # the overline on 0.58̅ (line 3, space group written 'P-1') is removed with a per-row warning
    ea_line3 = next(r for r in parsed.activation_energies if r.row_number == 3)
    assert ea_line3.activation_energy_ev == 0.58
    assert any(w.startswith("row 3:") and "U+0305" in w for w in report.warnings)
    # every line is accounted for
    assert report.imported + len({s.row for s in report.skipped}) >= report.rows_read
    assert not set(parsed.imported_rows) & {s.row for s in report.skipped if s.field in (None, "composition")}


def test_obelix_every_row_keeps_space_group_lattice_family_and_z(mirror: Path) -> None:
    parsed = read_dataset_file(
        "obelix", mirror / "obelix" / "all.csv", extra_path=mirror / "obelix" / "all_cifs.zip"
    )
    materials = parsed.materials.values()
    assert all(m.metadata is not None and m.metadata["source"] == "OBELiX" for m in materials)
    entries = [e for m in materials for e in m.metadata["entries"]]
    # one entry per row of the file, the 278 rows without a CIF included
    assert len(entries) == 599 and len({e["id"] for e in entries}) == 599
    assert sorted(e["row"] for e in entries) == list(range(2, 601))
    assert sum(e["has_cif"] for e in entries) == 321 and sum(not e["has_cif"] for e in entries) == 278
    keys = {"space_group", "space_group_number", "a_angstrom", "b_angstrom", "c_angstrom", "alpha_deg"}
    keys |= {"beta_deg", "gamma_deg", "z"}
    assert all(e[k] is not None for e in entries for k in keys)
    # expectation from all.csv line 2 (ID jqc): Li7BiO6, Z 1, P -1 (#2), hexaoxometalates
    jqc = next(e for e in entries if e["id"] == "jqc")
    assert jqc == {
        "id": "jqc", "row": 2, "space_group": "P -1", "space_group_number": 2, "a_angstrom": 5.5071,
        "b_angstrom": 6.0425, "c_angstrom": 5.5231, "alpha_deg": 116.912, "beta_deg": 120.867,
        "gamma_deg": 62.234, "family": "hexaoxometalates", "z": 1, "has_cif": True,
    }  # fmt: skip
    # OBELiX lists tetragonal and cubic La0.56Li0.33TiO3: one material, every row's facts kept
    llto = parsed.materials["La0.56Li0.33TiO3"].metadata["entries"]
    assert sorted((e["space_group_number"], e["z"], e["has_cif"]) for e in llto) == [
        (123, 2, False), (123, 2, True), (221, 1, False),
    ]  # fmt: skip
    assert sum(e["family"] is None for e in entries) == 33  # blank Family cells stay empty


def test_obelix_unreadable_or_absurd_lattice_cell_is_null_and_listed(mirror: Path, tmp_path: Path) -> None:
    lines = (mirror / "obelix" / "all.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("a")] = "5.5O71"
    cells[header.index("c")] = "-5"  # a negative lattice constant
    (tmp_path / "all.csv").write_text("\n".join([lines[0], ",".join(cells)]) + "\n", encoding="utf-8")
    parsed = read_dataset_file("obelix", tmp_path / "all.csv")
    (entry,) = parsed.materials["Li7BiO6"].metadata["entries"]
    assert entry["a_angstrom"] is None and entry["b_angstrom"] == 6.0425 and entry["has_cif"] is None
    assert entry["c_angstrom"] is None
    skipped = {(s.row, s.field): s for s in parsed.skipped}
    assert skipped[(2, "a")].raw == "5.5O71" and "not a number" in skipped[(2, "a")].reason
    assert skipped[(2, "c")].raw == "-5" and "plausible range" in skipped[(2, "c")].reason
    assert "metadata keeps null" in skipped[(2, "c")].reason
