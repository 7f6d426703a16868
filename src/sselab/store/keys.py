"""Natural keys of imported rows: what identifies a measurement across re-imports of an edited file.

A row's natural key is its table, dataset, material as written, source, the source's entry id, and conditions;
its value is what a correction may change:

- ``conductivity_measurements``: conditions T (K, 6 significant digits) and phase; value σ (S/cm);
- ``activation_energies``: conditions method, potential and phase; value Ea, uncertainty, T range, note and
  parameters;
- ``structures``: no conditions; value the CIF text and the provenance.

Re-importing an edited file then adds the rows with new keys, leaves rows with the same key and value alone,
and replaces (in place) those whose value changed.

When one file holds several rows with the same key (and different values), the second is keyed as its second
occurrence, and so on, in file order. The key is stored as the SHA-256 hex digest of its parts joined by the
unit separator U+001F (``natural_key`` column); changing how a key is made orphans the stored keys, so it is
not changed lightly.

Example::

    >>> from sselab.store.records import ConductivityRecord
    >>> rec = ConductivityRecord("LiBH4", temperature_k=390.0, conductivity_s_per_cm=1e-3, source="10.1/x")
    >>> keyed = assign_keys([rec], "demo")
    >>> keyed[0].table, len(keyed[0].key)
    ('conductivity_measurements', 64)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sselab.store.records import (
    ActivationEnergyRecord,
    ConductivityRecord,
    MaterialLike,
    SourceLike,
    SourceRecord,
    StructureRecord,
)

AnyRecord = ConductivityRecord | ActivationEnergyRecord | StructureRecord
_SEPARATOR = "\x1f"
"""Joins the parts of a key before hashing (the unit separator: refused in stored text)."""

TABLE_OF: dict[type, str] = {
    ConductivityRecord: "conductivity_measurements",
    ActivationEnergyRecord: "activation_energies",
    StructureRecord: "structures",
}


@dataclass(frozen=True)
class KeyedRecord:
    """A record with its table, natural key (hex digest), key parts and comparable value."""

    table: str
    record: AnyRecord
    key: str
    parts: tuple[Any, ...]
    value: tuple[Any, ...]

    @property
    def key_text(self) -> str:
        """The key as a reader sees it (:func:`describe_key`)."""
        return describe_key(self.table, self.parts)


def _formula(material: MaterialLike) -> str:
    return (material if isinstance(material, str) else material.formula).strip()


def source_text(source: SourceLike) -> str:
    """The source as it identifies a row: the DOI, else ``citation:<text>``, else an empty string."""
    if source is None:
        return ""
    if isinstance(source, str):
        source = SourceRecord(doi=source)
    if source.doi and source.doi.strip():
        return source.doi.strip()
    if source.citation and source.citation.strip():
        return f"citation:{source.citation.strip()}"
    return ""


def _number(value: float | None) -> float | None:
    return None if value is None else float(value)


def _json(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(dict(value), sort_keys=True, default=str)


def conductivity_value(sigma: float) -> tuple[Any, ...]:
    """Comparable value of a conductivity row."""
    return (float(sigma),)


def activation_energy_value(
    ea_ev: float,
    uncertainty_ev: float | None,
    t_min_k: float | None,
    t_max_k: float | None,
    note: str | None,
    parameters: Mapping[str, Any] | None,
) -> tuple[Any, ...]:
    """Comparable value of an activation-energy row (stored columns or a record give the same tuple)."""
    return (float(ea_ev), _number(uncertainty_ev), _number(t_min_k), _number(t_max_k), note or None,
            _json(parameters))  # fmt: skip


def structure_value(cif: str, provenance: str) -> tuple[Any, ...]:
    """Comparable value of a structure row (a digest of the CIF text and the provenance)."""
    return (hashlib.sha256(cif.encode("utf-8", "surrogatepass")).hexdigest(), provenance)


def _parts(record: AnyRecord, dataset: str) -> tuple[str, list[Any], tuple[Any, ...]]:
    base = [dataset, _formula(record.material), source_text(record.source), record.entry or ""]
    if isinstance(record, ConductivityRecord):
        conditions = [f"{float(record.temperature_k):.6g}", record.phase or ""]
        return (
            TABLE_OF[ConductivityRecord],
            base + conditions,
            conductivity_value(record.conductivity_s_per_cm),
        )
    if isinstance(record, ActivationEnergyRecord):
        conditions = [record.method, record.potential or "", record.phase or ""]
        value = activation_energy_value(
            record.activation_energy_ev,
            record.uncertainty_ev,
            record.temperature_min_k,
            record.temperature_max_k,
            record.note,
            record.parameters,
        )
        return TABLE_OF[ActivationEnergyRecord], base + conditions, value
    return TABLE_OF[StructureRecord], base, structure_value(record.cif, record.provenance)


def identity(record: AnyRecord, dataset: str) -> tuple[Any, ...]:
    """What makes two records the same row: table, key parts (before occurrence numbering) and value."""
    table, parts, value = _parts(record, record.dataset or dataset)
    return (table, json.dumps(parts, ensure_ascii=False), value)


def assign_keys(records: Iterable[AnyRecord], dataset: str) -> list[KeyedRecord]:
    """Natural keys of ``records`` (of a batch of ``dataset``), numbering repeated keys by occurrence.

    Parameters
    ----------
    records
        The batch's records, in file order (a record's own ``dataset`` wins over ``dataset``).
    dataset
        The batch's dataset.
    """
    seen: dict[tuple[str, str], int] = {}
    out: list[KeyedRecord] = []
    for record in records:
        table, parts, value = _parts(record, record.dataset or dataset)
        text = _SEPARATOR.join([table, *parts])  # stored text holds no control character: unambiguous
        occurrence = seen.get((table, text), 0) + 1
        seen[(table, text)] = occurrence
        if occurrence > 1:
            parts = [*parts, f"occurrence {occurrence}"]
            text = _SEPARATOR.join([table, *parts])
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        out.append(KeyedRecord(table, record, digest, tuple(parts), value))
    return out


def describe_key(table: str, parts: Sequence[Any]) -> str:
    """A readable key: ``conductivity of 'LiBH4' (liverpool-ionics, 10.1/x, entry 12) at T=390, phase HT``."""
    dataset, formula, source, entry, *rest = parts
    quantity = {"conductivity_measurements": "conductivity", "activation_energies": "Ea"}.get(
        table, "structure"
    )
    where = ", ".join(x for x in (dataset, source, f"entry {entry}" if entry else "") if x)
    conditions = ", ".join(str(x) for x in rest if x)
    return f"{quantity} of {formula!r} ({where})" + (f" [{conditions}]" if conditions else "")


def value_text(table: str, value: Sequence[Any]) -> str:
    """A value tuple as text for a report (``σ = 2.9e-04 S/cm``, ``Ea = 0.53 eV``, ``CIF sha256 ab12…``)."""
    if table == "conductivity_measurements":
        return f"σ = {value[0]:.4g} S/cm"
    if table == "activation_energies":
        extra = f" ± {value[1]:g}" if value[1] is not None else ""
        return f"Ea = {value[0]:.4g}{extra} eV" + (f", note {value[4]!r}" if value[4] else "")
    return f"CIF sha256 {str(value[0])[:12]}…"
