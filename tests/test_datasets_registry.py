"""Registry and fetch: pinned URLs, checksums, mirror -> cache -> download order, offline errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sselab.config import get_settings
from sselab.datasets import fetch, fetch_all, get_dataset, list_datasets, sha256_of
from sselab.datasets.fetch import dataset_cache_dir
from sselab.errors import DatasetError

NAMES = ["wang2025-ea", "wang2025-candidates", "obelix", "liverpool-ionics", "laskowski2023"]


def test_registry_lists_the_five_datasets_with_pinned_raw_urls() -> None:
    infos = list_datasets()
    assert [info.name for info in infos] == NAMES
    for info in infos:
        assert info.licence and info.citation
        for file in info.files:
            assert file.canonical_url.startswith("https://raw.githubusercontent.com/")
            assert " " not in file.canonical_url
            assert len(file.sha256) == 64
    wang = get_dataset("wang2025-ea").primary.canonical_url
    assert wang.endswith("/0d6b2f6521088d15050e812381995ea8892e0842/Supplementary%20Dataset-1.xlsx")
    assert "4eaac889809dd489e3bae468c45d5c0e02b9147a/data/misc/laskowski_semi-fromatted.csv" in (
        get_dataset("laskowski2023").primary.canonical_url
    )


def test_unknown_dataset_names_the_known_ones() -> None:
    with pytest.raises(DatasetError, match="known datasets: laskowski2023"):
        get_dataset("nope")


@pytest.mark.parametrize("name", NAMES)
def test_registered_checksums_match_the_mirror_copies(name: str, dataset_mirror: Path) -> None:
    for file in get_dataset(name).files:
        path = dataset_mirror / file.mirror_path
        assert sha256_of(path) == file.sha256
        assert path.stat().st_size == file.size


def test_fetch_prefers_the_mirror(dataset_mirror: Path) -> None:
    assert fetch("obelix") == dataset_mirror / "obelix" / "all.csv"
    assert set(fetch_all("obelix")) == {"obelix/all.csv", "obelix/all_cifs.zip"}


def test_fetch_uses_the_cache_and_rejects_a_corrupted_copy(
    dataset_mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSELAB_DATA_MIRROR", str(dataset_mirror.parent / "no-such-mirror"))
    monkeypatch.setenv("SSELAB_OFFLINE", "1")
    get_settings.cache_clear()
    file = get_dataset("liverpool-ionics").primary
    cached = dataset_cache_dir() / file.mirror_path
    cached.parent.mkdir(parents=True)
    shutil.copyfile(dataset_mirror / file.mirror_path, cached)
    assert fetch("liverpool-ionics") == cached
    cached.write_bytes(cached.read_bytes() + b"x")
    with pytest.raises(DatasetError, match="checksum mismatch"):
        fetch("liverpool-ionics")


def test_fetch_offline_without_a_copy_says_where_it_looked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SSELAB_DATA_MIRROR", str(tmp_path / "empty"))
    monkeypatch.setenv("SSELAB_OFFLINE", "1")
    get_settings.cache_clear()
    with pytest.raises(DatasetError, match="SSELAB_OFFLINE is set"):
        fetch("wang2025-ea")


def test_fetch_downloads_into_the_cache_and_verifies(
    dataset_mirror: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sselab.datasets.fetch import fetch_file
    from sselab.datasets.registry import DatasetFile

    monkeypatch.setenv("SSELAB_DATA_MIRROR", str(tmp_path / "empty"))
    get_settings.cache_clear()
    source = dataset_mirror / "obelix" / "README.md"
    good = DatasetFile(source.as_uri(), "test/README.md", sha256_of(source), source.stat().st_size)
    path = fetch_file(good)
    assert path == dataset_cache_dir() / "test" / "README.md"
    assert path.read_bytes() == source.read_bytes()
    bad = DatasetFile(source.as_uri(), "test/other.md", "0" * 64, 1)
    with pytest.raises(DatasetError, match="checksum mismatch"):
        fetch_file(bad)
    assert not (dataset_cache_dir() / "test" / "other.md").exists()
