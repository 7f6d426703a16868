"""Provenance: what produced a result (package versions, machine, seeds, parameters, timings)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
from importlib.metadata import PackageNotFoundError, version
from typing import Any

TRACKED_PACKAGES = (
    "sselab",
    "numpy",
    "scipy",
    "pandas",
    "ase",
    "pymatgen",
    "torch",
    "chgnet",
    "sevenn",
    "pyxtal",
    "ase-ga",
    "scikit-learn",
    "statsmodels",
    "sqlalchemy",
    "dask",
    "distributed",
)


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` (``"absent"`` for packages not installed); imports nothing."""
    found: dict[str, str] = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found


def machine_info() -> dict[str, Any]:
    """Host name, platform, Python version and CPU count."""
    return {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }


def stable_hash(payload: Any) -> str:
    """SHA-256 of a JSON-serialisable payload with sorted keys (paths and other objects as strings)."""
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
