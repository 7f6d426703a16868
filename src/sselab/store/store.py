"""The :class:`Store`: imports, single records and data frames over the SQL database.

Example::

    >>> from sselab.store import open_store
    >>> store = open_store("sqlite://")           # in memory; open_store() uses the configured default
    >>> store.stats()["materials"]
    0
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from sselab.errors import DataImportError, SselabError, StoreError
from sselab.store import importer, rowmatch
from sselab.store.export import ExportMixin, origin_column
from sselab.store.extras import StoreExtrasMixin, frame, lock_dataset, new_id
from sselab.store.keys import assign_keys, value_text
from sselab.store.models import (
    TABLES,
    ActivationEnergy,
    Base,
    ConductivityMeasurement,
    Import,
    Material,
    Source,
    utc_now,
)
from sselab.store.models import Structure as StructureRow
from sselab.store.readonly import readonly_query
from sselab.store.records import (
    ActivationEnergyRecord,
    ImportBatch,
    ImportResult,
    RowChange,
    StructureRecord,
)
from sselab.store.screening import ScreeningStoreMixin

logger = logging.getLogger(__name__)

CONDUCTIVITY_COLUMNS = [
    "measurement_id", "material_id", "formula", "cation", "valence", "anion_family", "neutral_molecule",
    "neutral_count", "temperature_k", "conductivity_s_per_cm", "phase", "doi", "dataset", "source_id",
    "citation",
]  # fmt: skip
"""Columns of :meth:`Store.conductivity_frame` (``source_id``, ``citation``: a source without DOI too)."""
ACTIVATION_ENERGY_COLUMNS = [
    "ea_id", "material_id", "formula", "cation", "valence", "anion", "anion_family", "neutral_molecule",
    "neutral_count", "contains_carbon", "activation_energy_ev", "uncertainty_ev", "method", "potential",
    "phase", "temperature_min_k", "temperature_max_k", "doi", "dataset", "run_folder", "note", "flag",
    "protocol", "converged", "convergence_reason", "device", "structure_provenance",
    "origin",
]  # fmt: skip
MATERIAL_COLUMNS = [
    "material_id", "formula", "dataset", "reduced_formula", "cation", "valence", "anion", "anion_family",
    "neutral_molecule", "neutral_count", "contains_carbon", "additive", "phase_label", "family_label",
    "composition", "metadata",
]  # fmt: skip
STRUCTURE_COLUMNS = [
    "structure_id", "material_id", "formula", "cif", "provenance", "doi", "dataset", "row_number",
]  # fmt: skip


def _count(tables: Iterable[str]) -> dict[str, int]:
    return dict(Counter(tables))


def _import_row(conn: Connection, batch: ImportBatch, sha: str, seen: int | None) -> int:
    """The id of the ``imports`` row of this file: a new one, or ``seen`` (the same file imported before,
    unique per dataset and hash) with its name and time brought up to date."""
    if seen is None:
        values = {"dataset": batch.dataset, "file_name": batch.file_name, "file_sha256": sha}
        return new_id(conn.execute(insert(Import).values(**values)))
    refreshed = {"file_name": batch.file_name, "imported_at": utc_now()}
    conn.execute(update(Import).where(Import.id == seen).values(**refreshed))
    return int(seen)


class Store(StoreExtrasMixin, ScreeningStoreMixin, ExportMixin):
    """The sselab database (SQLite file or any SQLAlchemy URL); open it with :func:`sselab.store.open_store`.

    Parameters
    ----------
    engine
        A SQLAlchemy engine whose database is migrated to the current schema.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        """The database URL (password hidden)."""
        return self.engine.url.render_as_string(hide_password=True)

    def session(self) -> Session:
        """A new ORM session (use as a context manager)."""
        return self._sessions()

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    # ------------------------------------------------------------------ imports
    def import_batch(self, batch: ImportBatch) -> ImportResult:
        """Import everything read from one file in one transaction.

        Every record is validated first; any error rolls the whole batch back. Each record's natural key
        (:mod:`sselab.store.keys`) is looked up among the dataset's rows: a new key is inserted, a stored key
        with the same value is left alone (``unchanged``), a stored key with another value is updated in
        place (``replaced``, each listed in ``changes``). The file hash does not short-circuit this: a file
        imported before (same ``(dataset, file_sha256)``) whose rows all match the store adds nothing and
        returns ``already_present=True``, but if another file has changed its rows since (import A, then an
        edited A′, then A again) A's values are restored, under A's import row (its counts and time become
        those of this import). On SQLite the
        transaction takes the write lock at once (``BEGIN IMMEDIATE``: a concurrent import waits for the busy
        timeout instead of failing); on PostgreSQL imports of one dataset are serialised by an advisory lock.

        Raises
        ------
        DataImportError
            Naming the file, row and field of the first invalid record, or the database error.
        """
        importer.validate_batch(batch)
        records = [*batch.conductivities, *batch.activation_energies, *batch.structures]
        keyed = assign_keys(records, batch.dataset)
        sha = batch.file_sha256.lower()
        try:
            with self.write_transaction() as conn:
                lock_dataset(conn, batch.dataset)
                seen = conn.execute(
                    select(Import.id).where(
                        Import.dataset == batch.dataset, func.lower(Import.file_sha256) == sha
                    )
                ).scalar()
                stored = rowmatch.existing_rows(conn, keyed, batch.dataset)
                new, changed, same = rowmatch.classify(keyed, stored)
                if seen is not None and not new and not changed:
                    logger.info(
                        "%s (%s) was imported before (import %s)", batch.file_name, batch.dataset, seen
                    )
                    unchanged = _count(item.table for item in same)
                    return ImportResult(
                        inserted={}, already_present=True, import_id=int(seen), unchanged=unchanged
                    )
                import_id = _import_row(conn, batch, sha, seen)
                fresh = {id(item.record) for item in new}
                subset = dataclasses.replace(
                    batch,
                    conductivities=[r for r in batch.conductivities if id(r) in fresh],
                    activation_energies=[r for r in batch.activation_energies if id(r) in fresh],
                    structures=[r for r in batch.structures if id(r) in fresh],
                )
                inserted = importer.insert_batch_rows(
                    conn, subset, import_id, {id(item.record): item.key for item in new}
                )
                rowmatch.update_rows(conn, [(row_id, item) for row_id, item, _ in changed], import_id)
                replaced = _count(item.table for _, item, _ in changed)
                unchanged = _count(item.table for item in same)
                counts = {**inserted, "replaced": replaced, "unchanged": unchanged}
                conn.execute(update(Import).where(Import.id == import_id).values(counts=counts))
        except SselabError:
            raise
        except SQLAlchemyError as exc:
            raise DataImportError(
                f"database refused the batch: {exc.__class__.__name__}: {exc}", file=batch.file_name
            ) from exc
        changes = tuple(
            RowChange(
                item.table,
                row_id,
                item.record.row_number,
                item.key_text,
                value_text(item.table, old),
                value_text(item.table, item.value),
            )
            for row_id, item, old in changed
        )
        logger.info(
            "imported %s into %s: inserted %s, replaced %s, unchanged %s",
            batch.file_name, batch.dataset, inserted, replaced, unchanged,
        )  # fmt: skip
        return ImportResult(
            inserted=inserted,
            already_present=False,
            import_id=import_id,
            replaced=replaced,
            unchanged=unchanged,
            changes=changes,
        )

    def add_activation_energy(self, record: ActivationEnergyRecord) -> int:
        """Add one activation energy (e.g. from a simulation run); returns its id."""
        importer.validate_activation_energy(record, None, record.row_number or 0)
        return self._add_single(record, ActivationEnergy, importer.ea_columns(record))

    def add_structure(self, record: StructureRecord) -> int:
        """Add one structure (CIF text); returns its id."""
        importer.validate_structure(record, None, record.row_number or 0)
        return self._add_single(record, StructureRow, {"cif": record.cif, "provenance": record.provenance})

    def _add_single(self, record: Any, table: type[Base], values: dict[str, Any]) -> int:
        material = importer.as_material(record.material, record.dataset)
        source = importer.as_source(record.source)
        try:
            with self.write_transaction() as conn:
                mids, _ = importer.resolve_materials(conn, [material])
                sids, _ = importer.resolve_sources(conn, [source] if source else [])
                row = {
                    **values,
                    "material_id": mids[(material.formula, material.dataset)],
                    "source_id": sids[source] if source else None,
                    "dataset": record.dataset,
                    "row_number": record.row_number,
                }
                return new_id(conn.execute(insert(table).values(**row)))
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot add {type(record).__name__}: {exc}") from exc

    def flag_activation_energy(self, ea_id: int, reason: str | None) -> None:
        """Flag an activation-energy row as doubtful with a reason (``None`` clears the flag)."""
        with self.write_transaction() as conn:
            n = conn.execute(
                update(ActivationEnergy).where(ActivationEnergy.id == ea_id).values(flag=reason)
            ).rowcount
        if n == 0:
            raise StoreError(f"no activation energy with id {ea_id}")

    # ------------------------------------------------------------------ frames
    def _frame(self, stmt: Any, columns: list[str]) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return frame(conn.execute(stmt).all(), columns)

    def conductivity_frame(
        self, cation: str | None = None, valence: int | None = None, dataset: str | None = None
    ) -> pd.DataFrame:
        """Conductivity measurements with their material chemistry (columns :data:`CONDUCTIVITY_COLUMNS`).

        ``temperature_k`` in K, ``conductivity_s_per_cm`` in S/cm; filters are exact matches.
        """
        c, m = ConductivityMeasurement, Material
        stmt = (
            select(
                c.id,
                c.material_id,
                m.formula,
                m.cation,
                m.valence,
                m.anion_family,
                m.neutral_molecule,
                m.neutral_count,
                c.temperature_k,
                c.conductivity_s_per_cm,
                c.phase,
                Source.doi,
                c.dataset,
                c.source_id,
                Source.citation,
            )
            .join(m, c.material_id == m.id)
            .outerjoin(Source, c.source_id == Source.id)
            .order_by(c.id)
        )
        if cation is not None:
            stmt = stmt.where(m.cation == cation)
        if valence is not None:
            stmt = stmt.where(m.valence == valence)
        if dataset is not None:
            stmt = stmt.where(c.dataset == dataset)
        return self._frame(stmt, CONDUCTIVITY_COLUMNS)

    def activation_energy_frame(self, method: str | None = None, dataset: str | None = None) -> pd.DataFrame:
        """Activation energies (eV) with chemistry, method and source (:data:`ACTIVATION_ENERGY_COLUMNS`).

        ``origin`` is ``"sselab"`` (a run of sselab) or ``"literature"`` (imported or entered from a source):
        :func:`sselab.store.export.origin_column`.
        """
        a, m = ActivationEnergy, Material
        stmt = (
            select(
                a.id,
                a.material_id,
                m.formula,
                m.cation,
                m.valence,
                m.anion,
                m.anion_family,
                m.neutral_molecule,
                m.neutral_count,
                m.contains_carbon,
                a.activation_energy_ev,
                a.uncertainty_ev,
                a.method,
                a.potential,
                a.phase,
                a.temperature_min_k,
                a.temperature_max_k,
                Source.doi,
                a.dataset,
                a.run_folder,
                a.note,
                a.flag,
                a.protocol,
                a.converged,
                a.convergence_reason,
                a.device,
                a.structure_provenance,
                origin_column(a),
            )
            .join(m, a.material_id == m.id)
            .outerjoin(Source, a.source_id == Source.id)
            .order_by(a.id)
        )
        if method is not None:
            stmt = stmt.where(a.method == method)
        if dataset is not None:
            stmt = stmt.where(a.dataset == dataset)
        return self._frame(stmt, ACTIVATION_ENERGY_COLUMNS)

    def materials_frame(self) -> pd.DataFrame:
        """All materials with their parsed chemistry (:data:`MATERIAL_COLUMNS`).

        ``composition`` is a dict of element amounts; ``metadata`` the source's facts as a dict (or None).
        """
        m = Material
        stmt = select(
            m.id,
            m.formula,
            m.dataset,
            m.reduced_formula,
            m.cation,
            m.valence,
            m.anion,
            m.anion_family,
            m.neutral_molecule,
            m.neutral_count,
            m.contains_carbon,
            m.additive,
            m.phase_label,
            m.family_label,
            m.composition,
            m.metadata_,
        ).order_by(m.id)
        return self._frame(stmt, MATERIAL_COLUMNS)

    def structures_frame(self, material_id: int | None = None) -> pd.DataFrame:
        """Structures with CIF text (columns :data:`STRUCTURE_COLUMNS`)."""
        s, m = StructureRow, Material
        stmt = (
            select(s.id, s.material_id, m.formula, s.cif, s.provenance, Source.doi, s.dataset, s.row_number)
            .join(m, s.material_id == m.id)
            .outerjoin(Source, s.source_id == Source.id)
            .order_by(s.id)
        )
        if material_id is not None:
            stmt = stmt.where(s.material_id == material_id)
        return self._frame(stmt, STRUCTURE_COLUMNS)

    def stats(self) -> dict[str, int]:
        """Number of rows in each table."""
        with self.engine.connect() as conn:
            return {
                name: int(
                    conn.execute(select(func.count()).select_from(Base.metadata.tables[name])).scalar_one()
                )
                for name in TABLES
            }

    def query(self, sql: str, max_rows: int = 1000, timeout_s: float = 10.0) -> pd.DataFrame:
        """Run one read-only SELECT/WITH statement through the guard of :mod:`sselab.store.readonly`.

        The frame's ``attrs["truncated"]`` tells whether more than ``max_rows`` rows matched.

        Raises
        ------
        UnsafeQueryError
            When the statement could write, is not a single SELECT/WITH, or breaks a limit.
        """
        result = readonly_query(self, sql, max_rows=max_rows, timeout_s=timeout_s)
        rows = result.rows.copy()
        rows.attrs["truncated"] = result.truncated
        return rows
