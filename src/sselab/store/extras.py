"""Store methods for what stages write back: model fits, runs, structure-search checkpoints, stage cache."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from sselab.errors import StoreError
from sselab.store.models import ModelFit, Run, SearchIndividual, SearchRun, StageResult

RUN_COLUMNS = ["run_id", "kind", "folder", "parameters", "summary", "created_at"]
SEARCH_INDIVIDUAL_COLUMNS = [
    "individual_id",
    "key",
    "cif",
    "energy_ev_per_atom",
    "generation",
    "parents",
    "operator",
    "relaxed",
    "extra",
    "created_at",
]
STAGE_RESULT_COLUMNS = ["stage_result_id", "stage", "input_hash", "outputs", "provenance", "created_at"]


FLOAT_COLUMNS = frozenset(
    {
        "temperature_k",
        "conductivity_s_per_cm",
        "activation_energy_ev",
        "uncertainty_ev",
        "temperature_min_k",
        "temperature_max_k",
        "neutral_count",
        "energy_ev_per_atom",
    }
)


def new_id(result: Any) -> int:
    """The primary key of the row an ``insert()`` just added."""
    key = result.inserted_primary_key
    if key is None or key[0] is None:
        raise StoreError("the database did not report the id of the new row")
    return int(key[0])


def lock_dataset(conn: Connection, dataset: str) -> None:
    """On PostgreSQL, serialise writers of one dataset for the rest of the transaction (advisory lock).

    SQLite needs nothing: a write transaction (``BEGIN IMMEDIATE``) already holds the database's write lock.
    """
    if conn.dialect.name == "postgresql":
        lock = int(hashlib.sha256(dataset.encode()).hexdigest()[:15], 16)
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({lock})")


def frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    """A DataFrame of rows with the given columns (also when empty); unit columns as float (NaN if null)."""
    df = pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns)
    for name in FLOAT_COLUMNS.intersection(columns):
        df[name] = pd.to_numeric(df[name], errors="coerce").astype(float)
    return df


class StoreExtrasMixin:
    """Model fits, runs, search individuals and stage results (mixed into :class:`sselab.store.Store`)."""

    engine: Engine

    @contextmanager
    def write_transaction(self) -> Iterator[Connection]:
        """A connection in a write transaction, committed at the end of the block (rolled back on error).

        On SQLite the transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock at once, so a
        concurrent writer waits for the busy timeout (30 s) instead of failing with "database is locked"
        when a read-then-write transaction would have to upgrade its lock.
        """
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
            with conn.begin():
                yield conn

    # ------------------------------------------------------------------ model fits
    def save_model_fit(self, name: str, payload: dict[str, Any]) -> int:
        """Save a fitted model's JSON payload as ``name`` (replacing one of the same name); returns its id."""
        with self.write_transaction() as conn:
            conn.execute(delete(ModelFit).where(ModelFit.name == name))
            return new_id(conn.execute(insert(ModelFit).values(name=name, payload=payload)))

    def load_model_fit(self, name: str) -> dict[str, Any]:
        """The payload saved as ``name`` (raises :class:`StoreError` naming the known fits when missing)."""
        with self.engine.connect() as conn:
            payload = conn.execute(select(ModelFit.payload).where(ModelFit.name == name)).scalar()
        if payload is None:
            known = ", ".join(self.list_model_fits()) or "none"
            raise StoreError(f"no model fit named {name!r} in the store (saved fits: {known})")
        return dict(payload)

    def list_model_fits(self) -> list[str]:
        """Names of the saved model fits, sorted."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(ModelFit.name).order_by(ModelFit.name)).scalars())

    # ------------------------------------------------------------------ runs
    def record_run(self, kind: str, folder: str, parameters: dict[str, Any], summary: dict[str, Any]) -> int:
        """Record a finished run (simulation, pipeline ...): folder, parameters, summary; returns its id."""
        with self.write_transaction() as conn:
            stmt = insert(Run).values(kind=kind, folder=str(folder), parameters=parameters, summary=summary)
            return new_id(conn.execute(stmt))

    def runs_frame(self, kind: str | None = None) -> pd.DataFrame:
        """Recorded runs (columns ``run_id, kind, folder, parameters, summary, created_at``)."""
        stmt = select(Run.id, Run.kind, Run.folder, Run.parameters, Run.summary, Run.created_at).order_by(
            Run.id
        )
        if kind is not None:
            stmt = stmt.where(Run.kind == kind)
        with self.engine.connect() as conn:
            return frame(conn.execute(stmt).all(), RUN_COLUMNS)

    # ------------------------------------------------------------------ structure search
    def create_search_run(self, name: str, composition: str, parameters: dict[str, Any]) -> int:
        """Create a search run, or return the id of the existing run of that name (the search continues)."""
        with self.write_transaction() as conn:
            existing = conn.execute(select(SearchRun.id).where(SearchRun.name == name)).scalar()
            if existing is not None:
                return int(existing)
            stmt = insert(SearchRun).values(name=name, composition=composition, parameters=parameters)
            return new_id(conn.execute(stmt))

    def _search_run_id(self, run_name: str) -> int:
        with self.engine.connect() as conn:
            run_id = conn.execute(select(SearchRun.id).where(SearchRun.name == run_name)).scalar()
        if run_id is None:
            raise StoreError(f"no search run named {run_name!r}; create it with create_search_run first")
        return int(run_id)

    def add_search_individual(
        self,
        run_name: str,
        key: str,
        cif: str,
        energy_ev_per_atom: float | None,
        generation: int,
        parents: list[str],
        operator: str,
        relaxed: bool,
        extra: dict[str, Any],
    ) -> bool:
        """Add a candidate of a search; False (nothing written) when ``key`` is already in that run."""
        run_id = self._search_run_id(run_name)
        energy = float(energy_ev_per_atom) if energy_ev_per_atom is not None else None
        values = dict(
            run_id=run_id,
            key=key,
            cif=cif,
            energy_ev_per_atom=energy,
            generation=int(generation),
            parents=list(parents),
            operator=operator,
            relaxed=bool(relaxed),
            extra=extra,
        )
        try:
            with self.write_transaction() as conn:
                where = (SearchIndividual.run_id == run_id, SearchIndividual.key == key)
                if conn.execute(select(SearchIndividual.id).where(*where)).scalar() is not None:
                    return False
                conn.execute(insert(SearchIndividual).values(**values))
        except IntegrityError:  # a concurrent writer added the same key
            return False
        return True

    def search_individuals(self, run_name: str) -> pd.DataFrame:
        """The individuals of a search run in insertion order (see ``SEARCH_INDIVIDUAL_COLUMNS``)."""
        run_id = self._search_run_id(run_name)
        s = SearchIndividual
        stmt = (
            select(
                s.id,
                s.key,
                s.cif,
                s.energy_ev_per_atom,
                s.generation,
                s.parents,
                s.operator,
                s.relaxed,
                s.extra,
                s.created_at,
            )
            .where(s.run_id == run_id)
            .order_by(s.id)
        )
        with self.engine.connect() as conn:
            return frame(conn.execute(stmt).all(), SEARCH_INDIVIDUAL_COLUMNS)

    # ------------------------------------------------------------------ pipeline cache
    def get_stage_result(self, stage: str, input_hash: str) -> dict[str, Any] | None:
        """The cached outputs of ``stage`` for ``input_hash``, or None."""
        with self.engine.connect() as conn:
            stmt = select(StageResult.outputs).where(
                StageResult.stage == stage, StageResult.input_hash == input_hash
            )
            outputs = conn.execute(stmt).scalar()
        return dict(outputs) if outputs is not None else None

    def put_stage_result(
        self, stage: str, input_hash: str, outputs: dict[str, Any], provenance: dict[str, Any]
    ) -> None:
        """Store (or replace) the outputs and provenance of ``stage`` for ``input_hash``."""
        where = (StageResult.stage == stage, StageResult.input_hash == input_hash)
        for _attempt in range(2):
            try:
                with self.write_transaction() as conn:
                    n = conn.execute(
                        update(StageResult).where(*where).values(outputs=outputs, provenance=provenance)
                    )
                    if n.rowcount == 0:
                        conn.execute(
                            insert(StageResult).values(
                                stage=stage, input_hash=input_hash, outputs=outputs, provenance=provenance
                            )
                        )
                return
            except IntegrityError:  # inserted concurrently: the next attempt updates it
                continue
        raise StoreError(f"cannot store the result of stage {stage!r} for {input_hash}")

    def stage_results_frame(self) -> pd.DataFrame:
        """All cached stage results (see ``STAGE_RESULT_COLUMNS``)."""
        r = StageResult
        stmt = select(r.id, r.stage, r.input_hash, r.outputs, r.provenance, r.created_at).order_by(r.id)
        with self.engine.connect() as conn:
            return frame(conn.execute(stmt).all(), STAGE_RESULT_COLUMNS)
