"""Corrupted files through every import path: a clean report or a clean error, and nothing absurd stored.

The corpus is ``tests/data/bad/`` (small hand-written files: truncated, absurd values, wrong units,
duplicates, blank lines, bad encodings, NUL bytes, garbage CIFs) plus files made here at test time (zip bombs,
truncated workbooks, CIF archives). Each case states its outcome: an import report with the listed rows
skipped for the stated reasons, or a :class:`~sselab.errors.DataImportError` naming the file (and line).
After every case the store holds only values in the physical ranges, and a failed import leaves the file
byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from sselab.cli.main import app
from sselab.datasets import import_file
from sselab.datasets.readers import ReadLimits, read_archive_texts
from sselab.errors import DataImportError
from sselab.store import Store, open_store
from sselab.store.limits import IMPORT_RANGES

BAD = Path(__file__).parent / "data" / "bad"
WANG_COLUMNS = ["Index", "Conducting_Ion", "Valence", "Classification", "Pretty_Formula", "Phase_Transition",
                "Year", "DOI", "Ea (eV)"]  # fmt: skip


def assert_nothing_absurd(store: Store) -> None:
    """Every stored value lies in its physical range; no text holds a NUL."""
    t, s = IMPORT_RANGES["temperature_k"], IMPORT_RANGES["conductivity_s_per_cm"]
    ea = IMPORT_RANGES["activation_energy_ev"]
    sigma = store.conductivity_frame()
    assert sigma.temperature_k.map(t.contains).all() and sigma.conductivity_s_per_cm.map(s.contains).all()
    energies = store.activation_energy_frame()
    assert energies.activation_energy_ev.map(ea.contains).all()
    texts = [*sigma.doi.dropna(), *energies.doi.dropna(), *store.materials_frame().formula]
    assert not any("\x00" in text for text in texts)


def settled_sha(store: Store, path: Path) -> str:
    store.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return tmp_path / "bad.sqlite"


def _import(name: str, path: Path, store_path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    store = open_store(f"sqlite:///{store_path}")
    try:
        report = import_file(name, path, store, save_report=False, **kwargs)  # type: ignore[arg-type]
        assert_nothing_absurd(store)
        return report
    finally:
        store.close()


def _skipped(report) -> dict[tuple[int, str | None], str]:  # type: ignore[no-untyped-def]
    return {(item.row, item.field): item.reason for item in report.skipped}


# ----------------------------------------------------------------------------------------- reports
REPORT_CASES = [
    # file, dataset, rows imported, {(row, field): words in the reason}
    ("liverpool_truncated_exponent.csv", "liverpool-ionics", 2,
     {(3, "target"): "cut off", (4, "target"): "exponent is missing"}),
    ("liverpool_truncated_last_line.csv", "liverpool-ionics", 2, {(4, None): "no line break"}),
    ("liverpool_absurd_values.csv", "liverpool-ionics", 1,
     {(2, "target"): "plausible range", (3, "temperature"): "plausible range", (4, "target"): "log10",
      (5, "target"): "plausible range", (6, "temperature"): "plausible range", (7, "target"): "not a number",
      (8, "target"): "not a number", (9, "temperature"): "not a number", (10, "target"): "bound"}),
    ("liverpool_blank_lines.csv", "liverpool-ionics", 3, {}),
    ("liverpool_duplicates.csv", "liverpool-ionics", 2, {(3, None): "duplicate of row 2",
                                                         (4, None): "duplicate of row 2"}),
    ("liverpool_nul_byte.csv", "liverpool-ionics", 1, {(2, "source"): "U+0000"}),
    ("liverpool_header_only.csv", "liverpool-ionics", 0, {}),
    ("liverpool_log10_values.csv", "liverpool-ionics", 0, {(2, "target"): "log10", (3, "target"): "log10"}),
    ("laskowski_wrong_units_truncated.csv", "laskowski2023", 5,
     {(1, "Ea"): "kJ/mol", (2, "Ea"): "plausible range", (3, "Ea"): "plausible range",
      (4, "Ea"): "plausible range", (6, None): "no line break"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("file", "dataset", "imported", "expected"), REPORT_CASES, ids=[c[0] for c in REPORT_CASES]
)
def test_bad_file_ends_in_a_report_naming_every_refused_row(
    file: str, dataset: str, imported: int, expected: dict, store_file: Path
) -> None:
    report = _import(dataset, BAD / file, store_file)
    assert report.imported == imported
    skipped = _skipped(report)
    for key, words in expected.items():
        assert key in skipped, (key, skipped)
        assert words in skipped[key], (key, skipped[key])


def test_blank_lines_do_not_shift_row_numbers(store_file: Path) -> None:
    report = _import("liverpool-ionics", BAD / "liverpool_blank_lines.csv", store_file)
    store = open_store(f"sqlite:///{store_file}")
    rows = store.query("SELECT row_number FROM conductivity_measurements ORDER BY row_number").row_number
    assert rows.tolist() == [2, 5, 7] and report.rows_read == 3  # the file's own line numbers
    store.close()


def test_truncated_conductivity_is_never_stored_as_a_value(store_file: Path) -> None:
    _import("liverpool-ionics", BAD / "liverpool_truncated_exponent.csv", store_file)
    store = open_store(f"sqlite:///{store_file}")
    assert 2.9 not in store.conductivity_frame().conductivity_s_per_cm.tolist()
    store.close()


# ----------------------------------------------------------------------------------------- clean errors
ERROR_CASES = [
    ("liverpool_latin1.csv", "liverpool-ionics", "not UTF-8"),
    ("liverpool_utf16.csv", "liverpool-ionics", "not UTF-8"),
    ("liverpool_wrong_columns.csv", "liverpool-ionics", "columns"),
    ("liverpool_wrong_field_count.csv", "liverpool-ionics", "fields, expected 8"),
    ("liverpool_unclosed_quote.csv", "liverpool-ionics", "malformed CSV"),
    ("liverpool_empty.csv", "liverpool-ionics", "empty"),
    ("garbage.cif", "wang2025-ea", "not a readable zip"),
    ("liverpool_blank_lines.csv", "obelix", "missing columns"),
]


@pytest.mark.parametrize(
    ("file", "dataset", "words"), ERROR_CASES, ids=[f"{c[1]}:{c[0]}" for c in ERROR_CASES]
)
def test_unreadable_file_is_a_clean_error_and_the_store_is_untouched(
    file: str, dataset: str, words: str, store_file: Path
) -> None:
    _import("liverpool-ionics", BAD / "liverpool_header_only.csv", store_file)  # an existing store
    before = hashlib.sha256(store_file.read_bytes()).hexdigest()
    with pytest.raises(DataImportError, match=words) as error:
        _import(dataset, BAD / file, store_file)
    assert file in str(error.value)
    assert hashlib.sha256(store_file.read_bytes()).hexdigest() == before


def test_csv_field_over_the_csv_module_limit_is_a_clean_error(tmp_path: Path, store_file: Path) -> None:
    path = tmp_path / "huge_field.csv"
    header = (BAD / "liverpool_header_only.csv").read_text()
    path.write_text(header + "1,Li" + "x" * 200_000 + ",10.1/x,25,1e-4,-4,f,F\n", encoding="utf-8")
    with pytest.raises(DataImportError, match=r"line 2|row 2"):
        _import("liverpool-ionics", path, store_file)


# ----------------------------------------------------------------------------------------- workbooks
def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(WANG_COLUMNS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_wang_format_values_in_wrong_units_are_refused_with_a_hint(tmp_path: Path, store_file: Path) -> None:
    path = _workbook(
        tmp_path / "wang.xlsx",
        [
            [1, "Mg", "Divalent", "x", "Mg(BH4)2", 0, 2020, "10.1/a", 45],  # kJ/mol written as eV
            [2, "Mg", "Divalent", "x", "Mg(BH4)2·NH3", 0, 2020, "10.1/b", 1e6],
            [3, "Mg", "Divalent", "x", "Mg(BH4)2·2NH3", 0, 2020, "10.1/c", 50_000],
            [4, "Mg", "Divalent", "x", "Mg(BH4)2·3NH3", 0, 2020, "10.1/d", -0.3],
            [],  # a blank row: row numbers stay sheet rows
            [6, "Mg", "Divalent", "x", "Mg(BH4)2·6NH3", 0, 2020, "10.1/e", 0.53],
            [6, "Mg", "Divalent", "x", "Mg(BH4)2·6NH3", 0, 2020, "10.1/e", 0.53],  # duplicate of row 7
        ],
    )
    report = _import("wang2025-ea", path, store_file)
    skipped = _skipped(report)
    assert "as kJ/mol it would be 0.466 eV" in skipped[(2, "Ea (eV)")]
    assert all("plausible range" in skipped[(r, "Ea (eV)")] for r in (3, 4, 5))
    assert "duplicate of row 7" in skipped[(8, None)]
    store = open_store(f"sqlite:///{store_file}")
    assert store.activation_energy_frame().activation_energy_ev.tolist() == [0.53]
    assert store.query("SELECT row_number FROM activation_energies").row_number.tolist() == [7]
    store.close()


def test_truncated_or_fake_workbook_is_a_clean_error(
    dataset_mirror: Path, tmp_path: Path, store_file: Path
) -> None:
    real = (dataset_mirror / "wang2025" / "supplementary_dataset_1.xlsx").read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(real[: len(real) // 2])
    with pytest.raises(DataImportError, match=r"cut\.xlsx"):
        _import("wang2025-ea", cut, store_file)
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(DataImportError, match=r"fake\.xlsx"):
        _import("wang2025-ea", fake, store_file)
    book = Workbook()
    book.active.append(["Index", "Formula"])
    book.save(tmp_path / "columns.xlsx")
    with pytest.raises(DataImportError, match="missing columns"):
        _import("wang2025-ea", tmp_path / "columns.xlsx", store_file)


# ----------------------------------------------------------------------------------------- CIF archives
def _archive(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "cifs.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(f"all_randomized_cifs/{name}.cif", data)
    return path


def test_obelix_garbage_cifs_zip_bomb_and_absurd_cells(tmp_path: Path, store_file: Path) -> None:
    good = (BAD / "good_rocksalt.cif").read_bytes()
    bomb = b"data_bomb\n" + b"#" * 3_000_000  # 3 MB of comment: deflates to a few kB
    archive = _archive(
        tmp_path,
        {
            "good": good,
            "neg": good,
            "big": good,
            "gar": (BAD / "garbage.cif").read_bytes(),
            "stk": (BAD / "three_atoms_one_site.cif").read_bytes(),
            "ovl": (BAD / "overlapping_atoms.cif").read_bytes(),
            "bmb": bomb,
        },
    )
    assert archive.stat().st_size < 100_000
    report = _import("obelix", BAD / "obelix_bad.csv", store_file, extra_path=archive)
    skipped = _skipped(report)
    assert "plausible range" in skipped[(3, "a")] and "metadata keeps null" in skipped[(3, "a")]
    assert "plausible range" in skipped[(4, "Ionic conductivity (S cm-1)")]
    assert "plausible range" in skipped[(4, "gamma")]
    assert "pymatgen cannot read" in skipped[(5, "cif")]
    assert "pymatgen cannot read" in skipped[(6, "cif")]  # three atoms on one site
    assert "closer than 0.5 Å" in skipped[(7, "cif")]
    assert any("bmb.cif" in w and "more than" in w for w in report.warnings)
    assert "not a number" in skipped[(9, "Z")]
    store = open_store(f"sqlite:///{store_file}")
    assert sorted(store.structures_frame().formula) == ["Li3N", "Li7BiO6", "Li7SbO6"]
    assert store.stats()["materials"] == 8
    assert max(len(c) for c in store.structures_frame().cif) < 10_000
    store.close()


def test_archive_limits_refuse_before_decompressing(tmp_path: Path) -> None:
    archive = _archive(tmp_path, {f"m{i}": b"data_x\n" + b"#" * 5000 for i in range(5)})
    limits = ReadLimits(max_archive_bytes=20_000)
    with pytest.raises(DataImportError, match="zip bomb"):
        read_archive_texts(archive, limits=limits)
    texts, refused = read_archive_texts(archive, limits=ReadLimits(max_member_bytes=1000))
    assert texts == {} and len(refused) == 5
    truncated = tmp_path / "cut.zip"
    truncated.write_bytes(archive.read_bytes()[:300])
    with pytest.raises(DataImportError, match=r"cut\.zip"):
        read_archive_texts(truncated)


# ----------------------------------------------------------------------------------------- re-imports
def test_reimport_of_an_edited_file_adds_and_replaces_only_the_changed_rows(
    dataset_mirror: Path, tmp_path: Path, store_file: Path
) -> None:
    source = dataset_mirror / "liverpool" / "LiIonDatabase.csv"
    first = _import("liverpool-ionics", source, store_file)
    assert first.inserted["conductivity_measurements"] == 820
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[2].split(",")  # line 3: Li2OHBr, 5.40E-07
    cells[4] = "5.50E-07"
    lines[2] = ",".join(cells)
    lines.append("9999,LiBH4,10.1021/ja907249p,117,1.0E-3,-3,Borohydride,Hydrides")
    edited = tmp_path / "LiIonDatabase.csv"
    edited.write_text("\n".join(lines) + "\n", encoding="utf-8")
    again = _import("liverpool-ionics", edited, store_file)
    assert again.inserted["conductivity_measurements"] == 1
    assert again.replaced == {"conductivity_measurements": 1}
    assert again.unchanged == {"conductivity_measurements": 820 - 1}
    (change,) = again.changes
    assert change["row_number"] == 3 and "Li2OHBr" in change["key"]
    assert change["old"] == "σ = 5.4e-07 S/cm" and change["new"] == "σ = 5.5e-07 S/cm"
    store = open_store(f"sqlite:///{store_file}")
    assert store.stats()["conductivity_measurements"] == 821
    store.close()
    third = _import("liverpool-ionics", shutil.copy(edited, tmp_path / "copy.csv"), store_file)
    assert third.already_present or third.inserted.get("conductivity_measurements", 0) == 0


# ----------------------------------------------------------------------------------------- the CLI path
def test_cli_import_of_a_bad_file_prints_a_report_or_a_one_line_error(store_file: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(
        app,
        ["data", "import", "liverpool-ionics", "--file", str(BAD / "liverpool_absurd_values.csv"),
         "--db", str(store_file)],
        terminal_width=200,
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "1 imported" in ok.output and "plausible range" in ok.output
    bad = runner.invoke(
        app, ["data", "import", "liverpool-ionics", "--file", str(BAD / "liverpool_utf16.csv"), "--db",
              str(store_file)]
    )  # fmt: skip
    assert bad.exit_code == 2 and "not UTF-8" in bad.output and "Traceback" not in bad.output
    missing = runner.invoke(app, ["data", "import", "obelix", "--file", str(BAD / "nope.csv")])
    assert missing.exit_code == 2 and "no such file" in missing.output
