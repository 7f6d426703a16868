"""Bulk insertion of a validated :class:`~sselab.store.records.ImportBatch` (validation: :mod:`.validation`).

Rows are inserted with one executemany per table and precomputed material/source ids (no ORM object per
row), all on the caller's transaction. Materials are looked up without reading JSON back, the columns derived
from one ParsedFormula object are built and JSON-encoded once per batch, and plain rows go to the SQLite
driver as tuples (see :func:`insert_rows`).
"""

from __future__ import annotations

import dataclasses
import logging
import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Float, Table, insert, select, update

from sselab.errors import FormulaParseError
from sselab.store.engine import json_memo
from sselab.store.models import (
    ActivationEnergy,
    Base,
    ConductivityMeasurement,
    Material,
    Source,
    Structure,
)
from sselab.store.records import (
    ActivationEnergyRecord,
    ImportBatch,
    MaterialLike,
    MaterialRecord,
    SourceLike,
    SourceRecord,
)
from sselab.store.validation import (
    AnyRecord,
    validate_activation_energy,
    validate_batch,
    validate_conductivity,
    validate_structure,
)

__all__ = [
    "as_material",
    "as_source",
    "ea_columns",
    "insert_batch_rows",
    "insert_rows",
    "material_columns",
    "parse_or_none",
    "resolve_materials",
    "resolve_sources",
    "validate_activation_energy",
    "validate_batch",
    "validate_conductivity",
    "validate_structure",
]

if TYPE_CHECKING:
    from sselab.chem import ParsedFormula

logger = logging.getLogger(__name__)

MaterialKey = tuple[str, str | None]
ParseCache = dict[int, tuple["ParsedFormula", dict[str, Any]]]
"""Parse-derived material columns by ``id(parsed)`` (the formula object is kept to pin its id)."""


def as_material(material: MaterialLike, dataset: str | None) -> MaterialRecord:
    """A :class:`MaterialRecord` with its dataset filled in (a bare formula string is stored unparsed)."""
    if isinstance(material, str):
        return MaterialRecord(material, dataset=dataset)
    if material.dataset is None and dataset is not None:
        return dataclasses.replace(material, dataset=dataset)
    return material


def as_source(source: SourceLike) -> SourceRecord | None:
    """A :class:`SourceRecord` from a record, a DOI string, or None (empty DOI and citation -> None)."""
    if source is None:
        return None
    if isinstance(source, str):
        source = SourceRecord(doi=source)
    doi = source.doi.strip() if source.doi else None
    citation = source.citation.strip() if source.citation else None
    if not doi and not citation:
        return None
    return SourceRecord(doi or None, citation or None)


def material_columns(record: MaterialRecord, cache: ParseCache | None = None) -> dict[str, Any]:
    """Column values of a material row from its record (parse columns null when ``parsed`` is None).

    Parameters
    ----------
    record
        The material.
    cache
        Parse-derived columns by ``id(record.parsed)``: records sharing one ParsedFormula object share one
        dict of columns (so :func:`~sselab.store.engine.json_memo` serialises its JSON once).
    """
    values: dict[str, Any] = {
        "formula": record.formula,
        "dataset": record.dataset,
        "family_label": record.family_label,
        "metadata": dict(record.metadata) if record.metadata is not None else None,
    }
    p = record.parsed
    if p is None:
        return values
    hit = cache.get(id(p)) if cache is not None else None
    if hit is not None and hit[0] is p:
        return values | hit[1]
    columns = _parse_columns(p)
    if cache is not None:
        cache[id(p)] = (p, columns)
    return values | columns


def _parse_columns(p: ParsedFormula) -> dict[str, Any]:
    """Material columns derived from a parsed formula."""
    anions = sorted(p.anions, key=lambda c: -abs(float(c.count) * float(c.charge or 1)))
    dominant_anion = next((a for a in anions if a.family == p.anion_family), anions[0] if anions else None)
    neutrals = sorted(p.neutral_molecules, key=lambda c: -float(c.count))
    amounts = {str(k): float(v) for k, v in dict(p.element_amounts).items()}
    try:
        reduced = p.composition.reduced_formula
    except Exception:  # a composition pymatgen cannot reduce (fractions) keeps the plain formula
        reduced = p.composition.formula if p.composition is not None else None
    return {
        "composition": amounts,
        "reduced_formula": reduced,
        "cation": p.cation,
        "valence": int(p.valence) if p.valence is not None else None,
        "anion": dominant_anion.name if dominant_anion is not None else None,
        "anion_family": p.anion_family,
        "neutral_molecule": neutrals[0].name if neutrals else None,
        # never null for a parsed material: resolve_materials tells parsed rows by it without reading JSON
        "neutral_count": float(p.neutral_molecule_count or 0.0),
        "contains_carbon": bool(amounts.get("C", 0.0) > 0),
        "additive": p.additive,
        "phase_label": p.phase_label,
        "parsed": p.as_dict() if hasattr(p, "as_dict") else None,
    }


def resolve_sources(conn: Connection, sources: Iterable[SourceRecord]) -> tuple[dict[SourceRecord, int], int]:
    """Ids of ``sources`` (by DOI, else by citation), inserting the missing ones; and the number inserted."""
    wanted = set(sources)
    if not wanted:
        return {}, 0
    dois = {s.doi for s in wanted if s.doi}
    citations = {s.citation for s in wanted if not s.doi}

    def lookup() -> tuple[dict[str, int], dict[str, int]]:
        by_doi: dict[str, int] = {}
        by_cit: dict[str, int] = {}
        for chunk in chunks(sorted(dois)):
            for sid, doi in conn.execute(select(Source.id, Source.doi).where(Source.doi.in_(chunk))):
                by_doi[str(doi)] = sid
        for chunk in chunks(sorted(c for c in citations if c)):
            rows = conn.execute(
                select(Source.id, Source.citation).where(Source.doi.is_(None), Source.citation.in_(chunk))
            )
            for sid, cit in rows:
                by_cit.setdefault(str(cit), sid)
        return by_doi, by_cit

    by_doi, by_cit = lookup()
    new: dict[str, dict[str, Any]] = {}
    for s in wanted:
        key = s.doi or f"citation:{s.citation}"
        if (s.doi and s.doi not in by_doi) or (not s.doi and s.citation not in by_cit):
            new.setdefault(key, {"doi": s.doi, "citation": s.citation})
    if new:
        conn.execute(insert(Source), list(new.values()))
        by_doi, by_cit = lookup()
    return {s: by_doi[s.doi] if s.doi else by_cit[s.citation or ""] for s in wanted}, len(new)


def resolve_materials(
    conn: Connection, materials: Iterable[MaterialRecord]
) -> tuple[dict[MaterialKey, int], int]:
    """Ids of ``materials`` keyed by (formula, dataset), inserting the missing ones (one executemany).

    An existing unparsed material is given the parse (and metadata) of a new record that carries one; an
    existing material without metadata is given the metadata of a new record that carries some.
    Returns the id map and the number of materials inserted.
    """
    first: dict[MaterialKey, MaterialRecord] = {}
    for m in materials:
        key = (m.formula, m.dataset)
        if key not in first or (first[key].parsed is None and m.parsed is not None):
            first[key] = m
    if not first:
        return {}, 0
    table = Base.metadata.tables["materials"]
    # a parsed material always has neutral_count (see _parse_columns); no JSON is read back here
    has_parse = Material.neutral_count.is_not(None)
    has_metadata = Material.metadata_.is_not(None)

    def lookup(formulas: list[str], flags: bool) -> dict[MaterialKey, tuple[int, bool, bool]]:
        found: dict[MaterialKey, tuple[int, bool, bool]] = {}
        columns = [Material.id, Material.formula, Material.dataset]
        for chunk in chunks(formulas):
            stmt = select(*columns, *((has_parse, has_metadata) if flags else ()))
            for row in conn.execute(stmt.where(Material.formula.in_(chunk))):
                mid: Any = row[0]
                dataset: Any = row[2]
                parsed, meta = (bool(row[3]), bool(row[4])) if flags else (True, True)
                found.setdefault((str(row[1]), dataset), (int(mid), parsed, meta))
        return found

    found = lookup(sorted({k[0] for k in first}), flags=True)
    cache: ParseCache = {}
    missing = [material_columns(m, cache) for k, m in first.items() if k not in found]
    with json_memo():
        if missing:
            conn.execute(insert(table), _uniform(missing))
            new_formulas = sorted({str(values["formula"]) for values in missing})
            # the new rows have their parse and metadata as given: no flags to read
            for key, value in lookup(new_formulas, flags=False).items():
                found.setdefault(key, value)
        for key, m in first.items():
            mid, parsed, meta = found[key]
            if not parsed and m.parsed is not None:
                values = material_columns(m, cache)
                if m.metadata is None:
                    values.pop("metadata")
                conn.execute(update(table).where(table.c.id == mid).values(values))
            elif not meta and m.metadata is not None:
                values = {"metadata": dict(m.metadata)}
                conn.execute(update(table).where(table.c.id == mid).values(values))
    return {k: found[k][0] for k in first}, len(missing)


def insert_batch_rows(
    conn: Connection,
    batch: ImportBatch,
    import_id: int | None,
    keys: Mapping[int, str] | None = None,
) -> dict[str, int]:
    """Insert all rows of a validated batch on ``conn``; returns rows inserted per table.

    ``keys`` maps ``id(record)`` to the record's natural key (:mod:`sselab.store.keys`), stored with the row.
    """
    ds = batch.dataset
    keys = keys or {}
    materials = [as_material(m, ds) for m in batch.materials]
    records: list[AnyRecord] = [*batch.conductivities, *batch.activation_energies, *batch.structures]
    rec_materials = [as_material(r.material, r.dataset or ds) for r in records]
    rec_sources = [as_source(r.source) for r in records]
    source_ids, n_new_sources = resolve_sources(conn, (s for s in rec_sources if s is not None))
    material_ids, n_new_materials = resolve_materials(conn, [*materials, *rec_materials])

    def common(i: int, r: AnyRecord) -> dict[str, Any]:
        m, s = rec_materials[i], rec_sources[i]
        return {
            "material_id": material_ids[(m.formula, m.dataset)],
            "source_id": source_ids[s] if s is not None else None,
            "dataset": r.dataset or ds,
            "row_number": r.row_number,
            "import_id": import_id,
            "natural_key": keys.get(id(r)),
            "entry": r.entry,
        }

    n_c, n_a = len(batch.conductivities), len(batch.activation_energies)
    cond_rows = [
        {
            **common(i, r),
            "temperature_k": float(r.temperature_k),
            "conductivity_s_per_cm": float(r.conductivity_s_per_cm),
            "phase": r.phase,
        }
        for i, r in enumerate(batch.conductivities)
    ]
    ea_rows = [ea_columns(r) | common(n_c + i, r) for i, r in enumerate(batch.activation_energies)]
    st_rows = [
        {**common(n_c + n_a + i, r), "cif": r.cif, "provenance": r.provenance}
        for i, r in enumerate(batch.structures)
    ]
    for table, rows in (
        (ConductivityMeasurement, cond_rows),
        (ActivationEnergy, ea_rows),
        (Structure, st_rows),
    ):
        if rows:
            insert_rows(conn, Base.metadata.tables[table.__tablename__], rows)
    return {
        "sources": n_new_sources,
        "materials": n_new_materials,
        "conductivity_measurements": len(cond_rows),
        "activation_energies": len(ea_rows),
        "structures": len(st_rows),
    }


def ea_columns(r: ActivationEnergyRecord) -> dict[str, Any]:
    """Own columns of an activation-energy row (without material/source/dataset ids)."""

    def opt(x: float | None) -> float | None:
        return float(x) if x is not None else None

    return {
        "activation_energy_ev": float(r.activation_energy_ev),
        "uncertainty_ev": opt(r.uncertainty_ev),
        "method": r.method,
        "potential": r.potential,
        "parameters": dict(r.parameters) if r.parameters is not None else None,
        "phase": r.phase,
        "temperature_min_k": opt(r.temperature_min_k),
        "temperature_max_k": opt(r.temperature_max_k),
        "run_folder": r.run_folder,
        "note": r.note,
        "protocol": r.protocol,
        "converged": r.converged,
        "convergence_reason": r.convergence_reason,
        "device": r.device,
        "structure_provenance": r.structure_provenance,
    }


def parse_or_none(formula: str, dataset: str | None) -> MaterialRecord:
    """A material parsed by :func:`sselab.chem.parse_formula`, or unparsed when the formula is unreadable."""
    try:
        return MaterialRecord.from_formula(formula, dataset=dataset)
    except (FormulaParseError, ImportError) as exc:
        logger.info("storing %r unparsed: %s", formula, exc)
        return MaterialRecord(formula, dataset=dataset)


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` with one executemany.

    On SQLite, when no column needs a bind processor (plain integers and text; Float columns whose
    values are all Python floats or None, as in conductivity rows), the statement compiled by SQLAlchemy
    is run by the driver directly with tuples: this skips SQLAlchemy's per-row parameter processing, the
    bulk of the time for 10^4 rows. Anything else (JSON columns, other databases) goes through
    ``insert(table)``.
    """
    keys = list(rows[0])
    dialect = conn.dialect

    def plain(key: str) -> bool:
        column_type = table.c[key].type
        if column_type.bind_processor(dialect) is None:
            return True
        return isinstance(column_type, Float) and all(
            row[key] is None or type(row[key]) is float for row in rows
        )

    if dialect.name == "sqlite" and all(plain(k) for k in keys):
        compiled = insert(table).compile(dialect=dialect, column_keys=keys)
        order = compiled.positiontup
        if order is not None and len(order) > 1 and set(order) == set(keys):
            values = operator.itemgetter(*order)
            conn.exec_driver_sql(compiled.string, [values(row) for row in rows])
            return
    conn.execute(insert(table), rows)


def _uniform(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every row the same keys (executemany needs one parameter set)."""
    keys = {k for r in rows for k in r}
    return [{k: r.get(k) for k in keys} for r in rows]


def chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
