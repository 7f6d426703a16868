"""Validation and bulk insertion of an :class:`~sselab.store.records.ImportBatch`.

Every record is validated before anything is written; rows are then inserted with Core ``insert()``
executemany and precomputed material/source ids (no ORM object per row), all on the caller's transaction.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, update

from sselab.errors import DataImportError, FormulaParseError
from sselab.store.models import ActivationEnergy, ConductivityMeasurement, Material, Source, Structure
from sselab.store.records import (
    METHODS,
    ActivationEnergyRecord,
    ConductivityRecord,
    ImportBatch,
    MaterialLike,
    MaterialRecord,
    SourceLike,
    SourceRecord,
    StructureRecord,
)

logger = logging.getLogger(__name__)

MaterialKey = tuple[str, str | None]
AnyRecord = ConductivityRecord | ActivationEnergyRecord | StructureRecord


def as_material(material: MaterialLike, dataset: str | None) -> MaterialRecord:
    """A :class:`MaterialRecord` with its dataset filled in (a bare formula string is stored unparsed)."""
    if isinstance(material, str):
        return MaterialRecord(material, dataset=dataset)
    if material.dataset is None and dataset is not None:
        return MaterialRecord(material.formula, material.parsed, material.family_label, dataset)
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


def _fail(message: str, file: str | None, row: int | None, field: str) -> DataImportError:
    return DataImportError(message, file=file, row=row, field=field)


def _finite(value: Any) -> bool:
    try:
        return value is not None and not isinstance(value, bool) and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _row(record: AnyRecord, index: int) -> int:
    return record.row_number if record.row_number is not None else index + 1


def _check_material(material: Any, file: str | None, row: int) -> None:
    formula = material if isinstance(material, str) else getattr(material, "formula", None)
    if not isinstance(material, str | MaterialRecord) or not isinstance(formula, str) or not formula.strip():
        raise _fail(f"material must be a non-empty formula, got {material!r}", file, row, "material")


def validate_conductivity(record: ConductivityRecord, file: str | None, row: int) -> None:
    """Raise :class:`DataImportError` unless T (K) is finite and positive and σ (S/cm) finite and positive."""
    _check_material(record.material, file, row)
    t, s = record.temperature_k, record.conductivity_s_per_cm
    if not _finite(t) or float(t) <= 0:
        raise _fail(
            f"temperature must be a finite positive number of kelvin, got {t!r}", file, row, "temperature_k"
        )
    if not _finite(s) or float(s) <= 0:
        raise _fail(
            f"conductivity must be finite and > 0 S/cm, got {s!r}", file, row, "conductivity_s_per_cm"
        )


def validate_activation_energy(record: ActivationEnergyRecord, file: str | None, row: int) -> None:
    """Raise :class:`DataImportError` for a non-finite Ea, an unknown method or a bad temperature range."""
    _check_material(record.material, file, row)
    if not _finite(record.activation_energy_ev):
        raise _fail(
            f"activation energy must be a finite number of eV, got {record.activation_energy_ev!r}",
            file,
            row,
            "activation_energy_ev",
        )
    if record.method not in METHODS:
        raise _fail(
            f"unknown method {record.method!r}; expected one of {', '.join(METHODS)}", file, row, "method"
        )
    if record.uncertainty_ev is not None and (
        not _finite(record.uncertainty_ev) or record.uncertainty_ev < 0
    ):
        raise _fail(
            f"uncertainty must be finite and >= 0 eV, got {record.uncertainty_ev!r}",
            file,
            row,
            "uncertainty_ev",
        )
    for name in ("temperature_min_k", "temperature_max_k"):
        value = getattr(record, name)
        if value is not None and (not _finite(value) or float(value) <= 0):
            raise _fail(f"{name} must be a finite positive number of kelvin, got {value!r}", file, row, name)
    t_min, t_max = record.temperature_min_k, record.temperature_max_k
    if t_min is not None and t_max is not None and t_min > t_max:
        raise _fail(f"temperature range is reversed ({t_min} K > {t_max} K)", file, row, "temperature_min_k")
    if record.parameters is not None and not hasattr(record.parameters, "items"):
        raise _fail(
            f"parameters must be a mapping, got {type(record.parameters).__name__}", file, row, "parameters"
        )


def validate_structure(record: StructureRecord, file: str | None, row: int) -> None:
    """Raise :class:`DataImportError` for empty CIF text or provenance."""
    _check_material(record.material, file, row)
    if not isinstance(record.cif, str) or not record.cif.strip():
        raise _fail("CIF text is empty", file, row, "cif")
    if not isinstance(record.provenance, str) or not record.provenance.strip():
        raise _fail("provenance is empty", file, row, "provenance")


def validate_batch(batch: ImportBatch) -> None:
    """Validate every record of ``batch`` (raises :class:`DataImportError` naming the first bad row)."""
    file = batch.file_name
    if not batch.dataset or not isinstance(batch.dataset, str):
        raise _fail("dataset name is empty", file, None, "dataset")
    sha = batch.file_sha256
    if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdefABCDEF" for c in sha):
        raise _fail(f"file_sha256 must be 64 hex digits, got {sha!r}", file, None, "file_sha256")
    for i, c in enumerate(batch.conductivities):
        validate_conductivity(c, file, _row(c, i))
    for i, a in enumerate(batch.activation_energies):
        validate_activation_energy(a, file, _row(a, i))
    for i, s in enumerate(batch.structures):
        validate_structure(s, file, _row(s, i))
    for i, m in enumerate(batch.materials):
        _check_material(m, file, i + 1)


def material_columns(record: MaterialRecord) -> dict[str, Any]:
    """Column values of a material row from its record (parse columns null when ``parsed`` is None)."""
    values: dict[str, Any] = {
        "formula": record.formula,
        "dataset": record.dataset,
        "family_label": record.family_label,
    }
    p = record.parsed
    if p is None:
        return values
    anions = sorted(p.anions, key=lambda c: -abs(float(c.count) * float(c.charge or 1)))
    dominant_anion = next((a for a in anions if a.family == p.anion_family), anions[0] if anions else None)
    neutrals = sorted(p.neutral_molecules, key=lambda c: -float(c.count))
    amounts = {str(k): float(v) for k, v in dict(p.element_amounts).items()}
    try:
        reduced = p.composition.reduced_formula
    except Exception:  # a composition pymatgen cannot reduce (fractions) keeps the plain formula
        reduced = p.composition.formula if p.composition is not None else None
    as_dict = p.as_dict() if hasattr(p, "as_dict") else None
    values.update(
        composition=amounts,
        reduced_formula=reduced,
        cation=p.cation,
        valence=int(p.valence) if p.valence is not None else None,
        anion=dominant_anion.name if dominant_anion is not None else None,
        anion_family=p.anion_family,
        neutral_molecule=neutrals[0].name if neutrals else None,
        neutral_count=float(p.neutral_molecule_count or 0.0),
        contains_carbon=bool(amounts.get("C", 0.0) > 0),
        additive=p.additive,
        phase_label=p.phase_label,
        parsed=as_dict,
    )
    return values


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
        for chunk in _chunks(sorted(dois)):
            for sid, doi in conn.execute(select(Source.id, Source.doi).where(Source.doi.in_(chunk))):
                by_doi[str(doi)] = sid
        for chunk in _chunks(sorted(c for c in citations if c)):
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
    """Ids of ``materials`` keyed by (formula, dataset), inserting the missing ones.

    An existing unparsed material is given the parse of a new record that carries one.
    Returns the id map and the number of materials inserted.
    """
    first: dict[MaterialKey, MaterialRecord] = {}
    for m in materials:
        key = (m.formula, m.dataset)
        if key not in first or (first[key].parsed is None and m.parsed is not None):
            first[key] = m
    if not first:
        return {}, 0
    formulas = sorted({k[0] for k in first})

    def lookup() -> dict[MaterialKey, tuple[int, bool]]:
        found: dict[MaterialKey, tuple[int, bool]] = {}
        for chunk in _chunks(formulas):
            stmt = select(Material.id, Material.formula, Material.dataset, Material.cation, Material.parsed)
            for mid, formula, dataset, cation, parsed in conn.execute(
                stmt.where(Material.formula.in_(chunk))
            ):
                found.setdefault((formula, dataset), (mid, cation is not None or parsed is not None))
        return found

    found = lookup()
    missing = [material_columns(m) for k, m in first.items() if k not in found]
    if missing:
        conn.execute(insert(Material), _uniform(missing))
        found = lookup()
    for key, m in first.items():
        mid, has_parse = found[key]
        if not has_parse and m.parsed is not None:
            conn.execute(update(Material).where(Material.id == mid).values(**material_columns(m)))
    return {k: found[k][0] for k in first}, len(missing)


def insert_batch_rows(conn: Connection, batch: ImportBatch, import_id: int | None) -> dict[str, int]:
    """Insert all rows of a validated batch on ``conn``; returns rows inserted per table."""
    ds = batch.dataset
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
            conn.execute(insert(table), rows)
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
    }


def parse_or_none(formula: str, dataset: str | None) -> MaterialRecord:
    """A material parsed by :func:`sselab.chem.parse_formula`, or unparsed when the formula is unreadable."""
    try:
        return MaterialRecord.from_formula(formula, dataset=dataset)
    except (FormulaParseError, ImportError) as exc:
        logger.info("storing %r unparsed: %s", formula, exc)
        return MaterialRecord(formula, dataset=dataset)


def _uniform(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every row the same keys (executemany needs one parameter set)."""
    keys = {k for r in rows for k in r}
    return [{k: r.get(k) for k in keys} for r in rows]


def _chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
