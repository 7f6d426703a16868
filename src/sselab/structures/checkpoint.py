"""The checkpoint of a structure search: one protocol, the database is the checkpoint (as in ase-ga).

A search writes each individual, whole, in one transaction of a :class:`SearchCheckpoint` and reads every
individual back from it on start, so the checkpoint *is* the state: rerunning the same search continues it.
The
implementations are the store (:class:`sselab.store.Store`: the user's database, or a SQLite file of its own,
one per worker, that :func:`open_checkpoint` opens from a path) and, for throw-away runs, memory. A kill, even
in the middle of a write, loses at most the individual being written: SQLite rolls an unfinished transaction
back when the file is next opened. :func:`copy_individuals` moves a worker's individuals into the main store
(idempotently, by key).

Example
-------
>>> checkpoint = open_checkpoint(None)  # in memory
>>> checkpoint.create_search_run("demo", "LiBH4", {})
1
>>> checkpoint.add_search_individual("demo", "00000", "cif", -4.1, 0, [], "random", True, {"index": 0})
True
>>> len(checkpoint.search_individuals("demo"))
1
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from ase import Atoms

from sselab.store import Store, open_store


class SearchCheckpoint(Protocol):
    """The part of :class:`sselab.store.Store` a structure search uses (each call one transaction)."""

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


def open_checkpoint(target: SearchCheckpoint | Store | str | Path | None) -> SearchCheckpoint:
    """The checkpoint named by ``target``: an open store or checkpoint as is, a SQLite file path (created and
    migrated: a worker's own checkpoint file) or ``None`` (memory)."""
    if target is None:
        return MemoryCheckpoint()
    if isinstance(target, str | Path):
        return open_store(str(target))
    return target


def copy_individuals(
    source: SearchCheckpoint,
    target: SearchCheckpoint,
    run_name: str,
    composition: str,
    parameters: dict[str, Any],
) -> int:
    """Copy the individuals of ``run_name`` from ``source`` (a worker's checkpoint) into ``target``; return
    how many were new there (individuals already in ``target`` are skipped by key)."""
    target.create_search_run(run_name, composition, parameters)
    added = 0
    for row in source.search_individuals(run_name).to_dict("records"):
        added += bool(
            target.add_search_individual(
                run_name,
                str(row["key"]),
                str(row["cif"]),
                float(row["energy_ev_per_atom"]),
                int(row["generation"]),
                list(decode_json_field(row["parents"]) or []),
                str(row["operator"]),
                bool(row["relaxed"]),
                decode_json_field(row["extra"]) or {},
            )
        )
    return added
