"""Where a search keeps its individuals: the store (``sselab.store.Store``) or, for throw-away runs, memory.

Both follow the store's search-run contract (``create_search_run``, ``add_search_individual``,
``search_individuals``); the search reads everything back from it on start, so the checkpoint *is* the state.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

import numpy as np
import pandas as pd
from ase import Atoms


class SearchCheckpoint(Protocol):
    """The part of :class:`sselab.store.Store` a structure search uses."""

    def create_search_run(self, name: str, composition: str, parameters: dict[str, Any]) -> int: ...

    def add_search_individual(
        self,
        run_name: str,
        key: str,
        cif: str,
        energy_ev_per_atom: float,
        generation: int,
        parents: list[str],
        operator: str,
        relaxed: bool,
        extra: dict[str, Any],
    ) -> bool: ...

    def search_individuals(self, run_name: str) -> pd.DataFrame: ...


class MemoryCheckpoint:
    """In-memory checkpoint with the store's semantics (idempotent keys); nothing survives the process."""

    def __init__(self) -> None:
        self._runs: dict[str, dict[str, Any]] = {}
        self._rows: dict[str, dict[str, dict[str, Any]]] = {}

    def create_search_run(self, name: str, composition: str, parameters: dict[str, Any]) -> int:
        """Create the run ``name`` (or return the existing one's id)."""
        if name not in self._runs:
            self._runs[name] = {
                "id": len(self._runs) + 1,
                "composition": composition,
                "parameters": parameters,
            }
            self._rows[name] = {}
        return int(self._runs[name]["id"])

    def add_search_individual(
        self,
        run_name: str,
        key: str,
        cif: str,
        energy_ev_per_atom: float,
        generation: int,
        parents: list[str],
        operator: str,
        relaxed: bool,
        extra: dict[str, Any],
    ) -> bool:
        """Keep one individual; ``False`` if ``key`` was already there."""
        rows = self._rows[run_name]
        if key in rows:
            return False
        rows[key] = {
            "key": key,
            "cif": cif,
            "energy_ev_per_atom": energy_ev_per_atom,
            "generation": generation,
            "parents": list(parents),
            "operator": operator,
            "relaxed": relaxed,
            "extra": json.loads(json.dumps(extra)),
        }
        return True

    def search_individuals(self, run_name: str) -> pd.DataFrame:
        """All individuals of the run in insertion order."""
        columns = [
            "key",
            "cif",
            "energy_ev_per_atom",
            "generation",
            "parents",
            "operator",
            "relaxed",
            "extra",
        ]
        return pd.DataFrame(list(self._rows.get(run_name, {}).values()), columns=columns)


def atoms_to_record(atoms: Atoms) -> dict[str, Any]:
    """JSON-able exact copy of a tagged structure (the CIF loses tags and atom order)."""
    return {
        "numbers": [int(n) for n in atoms.numbers],
        "positions_a": np.round(atoms.get_positions(), 6).tolist(),
        "cell_a": np.round(np.array(atoms.get_cell()), 6).tolist(),
        "tags": [int(t) for t in atoms.get_tags()],
    }


def atoms_from_record(record: dict[str, Any]) -> Atoms:
    """Inverse of :func:`atoms_to_record`."""
    atoms = Atoms(numbers=record["numbers"], positions=record["positions_a"], cell=record["cell_a"], pbc=True)
    atoms.set_tags(record["tags"])
    return atoms


def decode_json_field(value: Any) -> Any:
    """A store column that may come back as a JSON string or as the decoded object."""
    if isinstance(value, str):
        return json.loads(value)
    return value
