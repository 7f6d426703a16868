"""Importing the real mirror files into a temporary SQLite store: counts, idempotence, all-or-nothing
files."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from sselab.datasets import get_dataset, import_dataset, import_file, reports_dir
from sselab.errors import DataImportError
from sselab.store import open_store


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite"


def test_import_all_four_and_reimport_adds_nothing(store_path: Path, dataset_mirror: Path) -> None:
    store = open_store(f"sqlite:///{store_path}")
    reports = {
        name: import_dataset(name, store, progress=False)
        for name in ("wang2025-ea", "liverpool-ionics", "obelix", "laskowski2023")
    }
    stats = store.stats()
    assert reports["wang2025-ea"].inserted["activation_energies"] == reports["wang2025-ea"].imported >= 185
    assert reports["liverpool-ionics"].inserted["conductivity_measurements"] == 820
    assert reports["obelix"].inserted["structures"] == 321
    obelix = store.materials_frame().query("dataset == 'obelix'")
    assert len(obelix) == reports["obelix"].inserted["materials"] and obelix.metadata.notna().all()
    assert sum(len(m["entries"]) for m in obelix.metadata) == 599
    ea = store.activation_energy_frame(dataset="wang2025-ea")
    assert ea["cation"].notna().all() and ea["valence"].isin([1, 2]).all()
    assert (ea["method"] == "experiment").all()
    sigma = store.conductivity_frame(dataset="liverpool-ionics")
    assert len(sigma) == 820 and (sigma["temperature_k"] > 273.0).all()
    # reports saved as JSON + Markdown in the cache folder
    saved = json.loads((reports_dir() / "laskowski2023.json").read_text(encoding="utf-8"))
    assert saved["rows_read"] == 1928 and saved["skipped"]
    assert "# Import report: laskowski2023" in (reports_dir() / "laskowski2023.md").read_text(
        encoding="utf-8"
    )

    before = _sha(store_path)
    again = import_dataset("liverpool-ionics", store, progress=False)
    assert again.already_present and not any(again.inserted.values())
    assert store.stats() == stats
    store.close()
    assert stats["imports"] == 4
    assert before  # the file existed throughout


def _corrupt_middle_line(source: Path, target: Path, extra: str) -> int:
    lines = source.read_bytes().split(b"\n")
    middle = len(lines) // 2
    lines[middle] = lines[middle].rstrip(b"\r") + extra.encode() + b"\r"
    target.write_bytes(b"\n".join(lines))
    return middle + 1


@pytest.mark.parametrize(
    ("name", "mirror_path"),
    [
        ("liverpool-ionics", "liverpool/LiIonDatabase.csv"),
        ("laskowski2023", "liverpool/laskowski2023_semi_formatted.csv"),
    ],
)
def test_a_file_with_one_bad_row_leaves_the_store_byte_for_byte_unchanged(
    name: str, mirror_path: str, store_path: Path, dataset_mirror: Path, tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{store_path}")
    import_dataset("wang2025-ea", store, progress=False)  # something already in the store
    store.close()
    before = _sha(store_path)
    bad = tmp_path / Path(mirror_path).name
    line = _corrupt_middle_line(dataset_mirror / mirror_path, bad, ",stray field")

    store = open_store(f"sqlite:///{store_path}")
    with pytest.raises(DataImportError, match=r"line|row") as info:
        import_file(name, bad, store, save_report=False)
    assert str(line) in str(info.value)
    store.close()
    assert _sha(store_path) == before

    # the intact file still imports into the same store afterwards
    store = open_store(f"sqlite:///{store_path}")
    report = import_file(
        name, dataset_mirror / get_dataset(name).primary.mirror_path, store, save_report=False
    )
    assert report.imported > 0 and not report.already_present
    store.close()


def test_an_edited_copy_is_a_new_file_and_imports_again(
    store_path: Path, dataset_mirror: Path, tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{store_path}")
    original = dataset_mirror / "liverpool" / "LiIonDatabase.csv"
    first = import_file("liverpool-ionics", original, store, save_report=False)
    edited = tmp_path / "LiIonDatabase.csv"
    shutil.copyfile(original, edited)
    with edited.open("a", encoding="utf-8") as handle:
        handle.write("9999,LiBH4,10.1021/ja907249p,100,1.0E-3,-3,Other,Other\r\n")
    second = import_file("liverpool-ionics", edited, store, save_report=False)
    assert first.inserted["conductivity_measurements"] == 820
    assert second.rows_read == 821 and not second.already_present
    store.close()


def test_import_arrhenius_benchmark_runs_on_a_small_replica(dataset_mirror: Path) -> None:
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_import_arrhenius.py"
    spec = importlib.util.spec_from_file_location("bench_import_arrhenius", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.run(n_measurements=300)
    assert result["measurements"] == 300
    assert result["fits"] + result["fit_errors"] == result["materials"] > 10
