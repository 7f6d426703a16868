"""A run folder's cache of finished parts (bulk, migration, Frenkel, Schottky), so that a rerun, or another
recipe on the same structure, potential and settings, reuses them instead of recomputing.

Each part is one JSON file written atomically (temporary file, then rename) after the part finished: a kill
loses at most the part in progress. The key hashes the input structure, the potential (name, weights, modal)
and the settings that part depends on; a part stored under another key is recomputed and overwritten.

Example
-------
>>> import tempfile
>>> cache = PartCache(tempfile.mkdtemp(), {"structure": "abc"})
>>> cache.load("bulk", {"fmax": 0.02}) is None
True
>>> cache.save("bulk", {"energy_ev": -1.0}, {"fmax": 0.02})
>>> cache.load("bulk", {"fmax": 0.02}), cache.load("bulk", {"fmax": 0.05})
({'energy_ev': -1.0}, None)
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms


def structure_fingerprint(atoms: Atoms) -> str:
    """SHA-256 (16 hex digits) of the atomic numbers, positions (1e-6 Å) and cell (1e-6 Å)."""
    data = {
        "numbers": atoms.numbers.tolist(),
        "positions": np.round(atoms.positions, 6).tolist(),
        "cell": np.round(atoms.cell.array, 6).tolist(),
        "pbc": atoms.pbc.tolist(),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


class PartCache:
    """Finished parts of one recipe run under ``folder/parts`` (``folder=None``: nothing is cached)."""

    def __init__(self, folder: str | Path | None, base_key: dict[str, Any]) -> None:
        self.folder = Path(folder) / "parts" if folder is not None else None
        self.base_key = base_key

    def _path(self, name: str) -> Path | None:
        return self.folder / f"{name}.json" if self.folder is not None else None

    def key(self, name: str, extra: dict[str, Any] | None = None) -> str:
        """Hash of the base key, the part's name and what else the part depends on."""
        data = {"base": self.base_key, "part": name, "extra": extra or {}}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def load(self, name: str, extra: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """The stored part ``name`` when it was stored under the same key, else ``None``."""
        path = self._path(name)
        if path is None or not path.is_file():
            return None
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            return None
        if data.get("key") != self.key(name, extra):
            return None
        result: dict[str, Any] = data["part"]
        return result

    def save(self, name: str, part: dict[str, Any], extra: dict[str, Any] | None = None) -> None:
        """Store ``part`` (JSON-able) atomically under its key."""
        path = self._path(name)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"key": self.key(name, extra), "part": part}, indent=1))
        os.replace(tmp, path)


def atoms_as_dict(atoms: Atoms) -> dict[str, Any]:
    """Symbols, positions (Å), cell (Å) and pbc of ``atoms`` as plain lists (exact floats)."""
    return {
        "symbols": atoms.get_chemical_symbols(),
        "positions_a": atoms.positions.tolist(),
        "cell_a": atoms.cell.array.tolist(),
        "pbc": atoms.pbc.tolist(),
    }


def atoms_from_dict(data: dict[str, Any]) -> Atoms:
    """Inverse of :func:`atoms_as_dict`."""
    return Atoms(symbols=data["symbols"], positions=data["positions_a"], cell=data["cell_a"], pbc=data["pbc"])
