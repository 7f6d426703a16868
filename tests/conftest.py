"""Shared test set-up: the dataset mirror beside the checkout, and an isolated user data/cache folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MIRROR = (REPO_ROOT.parent / "shared" / "datasets").resolve()

os.environ.setdefault("SSELAB_DATA_MIRROR", str(DEFAULT_MIRROR))
os.environ.setdefault("MPLBACKEND", "Agg")
# One BLAS/OpenMP thread per test process: the suite runs on 2 cores, oversubscription slows ASE relaxations.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def _isolated_sselab_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test's default store and cache out of the user's real folders."""
    from sselab.config import get_settings

    base = tmp_path_factory.mktemp("sselab_home")
    monkeypatch.setenv("SSELAB_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("SSELAB_CACHE_DIR", str(base / "cache"))
    monkeypatch.delenv("SSELAB_DB", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def dataset_mirror() -> Path:
    """The local mirror of the public datasets (``../shared/datasets``)."""
    mirror = Path(os.environ["SSELAB_DATA_MIRROR"])
    if not mirror.is_dir():
        pytest.skip(f"dataset mirror {mirror} not present")
    return mirror
