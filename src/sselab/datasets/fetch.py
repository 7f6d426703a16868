"""Fetch dataset files: the local mirror first, then the cache, then a download; sha256 always checked.

Example::

    >>> from sselab.datasets import fetch
    >>> fetch("liverpool-ionics").name  # doctest: +SKIP
    'LiIonDatabase.csv'
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from sselab.config import get_settings
from sselab.datasets.registry import DatasetFile, get_dataset
from sselab.errors import DatasetError

logger = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_S = 60.0


def sha256_of(path: Path) -> str:
    """Return the SHA-256 (hex) of the file at ``path``."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dataset_cache_dir() -> Path:
    """Folder where downloaded dataset files are kept (``<cache_dir>/datasets``)."""
    return get_settings().cache_dir / "datasets"


def _verified(path: Path, file: DatasetFile, where: str) -> Path:
    actual = sha256_of(path)
    if actual != file.sha256:
        raise DatasetError(
            f"checksum mismatch for {path} ({where}): sha256 {actual}, expected {file.sha256} "
            f"(canonical {file.canonical_url}); the file is not the registered version"
        )
    return path


def _download(file: DatasetFile, target: Path, timeout_s: float) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    logger.info("downloading %s -> %s", file.canonical_url, target)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".part")
    tmp = Path(tmp_name)
    try:
        with (
            os.fdopen(fd, "wb") as out,
            urllib.request.urlopen(file.canonical_url, timeout=timeout_s) as response,
        ):
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
        _verified(tmp, file, "download")
        tmp.replace(target)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DatasetError(f"cannot download {file.canonical_url}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target


def fetch_file(file: DatasetFile, *, timeout_s: float = DOWNLOAD_TIMEOUT_S) -> Path:
    """Return a verified local path of one dataset file.

    Looks in the mirror folder (``SSELAB_DATA_MIRROR``), then ``<cache_dir>/datasets``, then downloads the
    canonical URL into the cache unless ``SSELAB_OFFLINE`` is set.

    Raises
    ------
    DatasetError
        On a checksum mismatch, or when the file is missing offline, or the download fails.
    """
    settings = get_settings()
    if settings.data_mirror is not None:
        mirrored = Path(settings.data_mirror) / file.mirror_path
        if mirrored.is_file():
            return _verified(mirrored, file, f"mirror {settings.data_mirror}")
    cached = dataset_cache_dir() / file.mirror_path
    if cached.is_file():
        return _verified(cached, file, "cache")
    if settings.offline:
        mirror = settings.data_mirror or "SSELAB_DATA_MIRROR unset"
        raise DatasetError(
            f"{file.mirror_path} is neither in the mirror ({mirror}) nor in the cache "
            f"({dataset_cache_dir()}) and SSELAB_OFFLINE is set; download {file.canonical_url} "
            "or point SSELAB_DATA_MIRROR at a mirror folder"
        )
    return _download(file, cached, timeout_s)


def fetch_all(name: str, *, timeout_s: float = DOWNLOAD_TIMEOUT_S) -> dict[str, Path]:
    """Fetch every file of dataset ``name``; return ``{mirror_path: local path}`` in registry order."""
    info = get_dataset(name)
    return {file.mirror_path: fetch_file(file, timeout_s=timeout_s) for file in info.files}


def fetch(name: str, *, timeout_s: float = DOWNLOAD_TIMEOUT_S) -> Path:
    """Fetch all files of dataset ``name`` and return the local path of its primary table.

    Parameters
    ----------
    name
        Registry name (``wang2025-ea``, ``obelix``, ``liverpool-ionics``, ``laskowski2023``).
    timeout_s
        Network timeout of a download (s).
    """
    paths = fetch_all(name, timeout_s=timeout_s)
    return paths[get_dataset(name).primary.mirror_path]
