"""Matching a batch's rows with stored rows by natural key, and replacing changed values in place.

Used by :meth:`sselab.store.Store.import_batch` (keys: :mod:`sselab.store.keys`). Only rows of the same
dataset are compared; the stored value is rebuilt from the row's value columns by the same functions that
build a record's value, so that an unchanged row compares equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select, update

from sselab.store import keys as keys_mod
from sselab.store.importer import chunks, ea_columns
from sselab.store.models import Base
from sselab.store.records import ActivationEnergyRecord, StructureRecord

_VALUE_COLUMNS: dict[str, tuple[str, ...]] = {
    "conductivity_measurements": ("conductivity_s_per_cm",),
    "activation_energies": (
        "activation_energy_ev", "uncertainty_ev", "temperature_min_k", "temperature_max_k", "note",
        "parameters",
    ),
    "structures": ("cif", "provenance"),
}  # fmt: skip


def stored_value(table: str, row: Sequence[Any]) -> tuple[Any, ...]:
    """The comparable value (:mod:`sselab.store.keys`) of a stored row's value columns."""
    if table == "conductivity_measurements":
        return keys_mod.conductivity_value(row[0])
    if table == "activation_energies":
        return keys_mod.activation_energy_value(*row)
    return keys_mod.structure_value(row[0], row[1])


def existing_rows(
    conn: Connection, keyed: Sequence[keys_mod.KeyedRecord], dataset: str
) -> dict[tuple[str, str], tuple[int, tuple[Any, ...]]]:
    """Stored rows that have one of the keys of ``keyed``: ``(table, key) -> (id, value)``."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for item in keyed:
        wanted.setdefault((item.table, item.record.dataset or dataset), set()).add(item.key)
    found: dict[tuple[str, str], tuple[int, tuple[Any, ...]]] = {}
    for (table_name, ds), key_set in wanted.items():
        table = Base.metadata.tables[table_name]
        columns = [table.c.id, table.c.natural_key, *(table.c[c] for c in _VALUE_COLUMNS[table_name])]
        for chunk in chunks(sorted(key_set)):
            stmt = select(*columns).where(table.c.dataset == ds, table.c.natural_key.in_(chunk))
            for row in conn.execute(stmt.order_by(table.c.id)):
                found.setdefault((table_name, str(row[1])), (int(row[0]), stored_value(table_name, row[2:])))
    return found


Keyed = keys_mod.KeyedRecord
Changed = tuple[int, Keyed, tuple[Any, ...]]


def classify(
    keyed: Sequence[Keyed], stored: dict[tuple[str, str], tuple[int, tuple[Any, ...]]]
) -> tuple[list[Keyed], list[Changed], list[Keyed]]:
    """Split keyed records into new, changed (stored id, record, old value) and unchanged (by value)."""
    new: list[Keyed] = []
    changed: list[Changed] = []
    same: list[Keyed] = []
    for item in keyed:
        hit = stored.get((item.table, item.key))
        if hit is None:
            new.append(item)
        elif hit[1] == item.value:
            same.append(item)
        else:
            changed.append((hit[0], item, hit[1]))
    return new, changed, same


def update_rows(
    conn: Connection, changed: Sequence[tuple[int, keys_mod.KeyedRecord]], import_id: int
) -> None:
    """Replace the value of stored rows in place (their id, material, source and flag are kept)."""
    for row_id, item in changed:
        record = item.record
        table = Base.metadata.tables[item.table]
        values: dict[str, Any] = {
            "row_number": record.row_number,
            "import_id": import_id,
            "entry": record.entry,
        }
        if isinstance(record, ActivationEnergyRecord):
            values |= ea_columns(record)
        elif isinstance(record, StructureRecord):
            values |= {"cif": record.cif, "provenance": record.provenance}
        else:
            values |= {"conductivity_s_per_cm": float(record.conductivity_s_per_cm), "phase": record.phase}
        conn.execute(update(table).where(table.c.id == row_id).values(values))
