"""Store methods for screening results (``screening_runs``, ``screening_predictions``) and the model list.

A screening run is written in one write transaction (``Store.write_transaction``: ``BEGIN IMMEDIATE`` on
SQLite, so concurrent writers wait for the lock), replacing a run of the same name; a reader never sees half a
run. A published candidate list (``wang2025-candidates``) is imported the same way, together with its
``imports`` row (so importing the same file twice adds nothing) and the models recovered from it.

Example
-------
>>> import pandas as pd
>>> from sselab.store import open_store
>>> store = open_store("sqlite://")
>>> rows = pd.DataFrame({"candidate_formula": ["Mg(BH4)2·6NH3"], "route": ["y1"], "model_name": ["m"],
...                      "model_kind": ["given"], "activation_energy_ev": [0.9], "rank": [1]})
>>> store.save_screening("demo", rows, criterion="point")
1
>>> store.screening_frame("demo")[["candidate_formula", "activation_energy_ev", "rank"]].values.tolist()
[['Mg(BH4)2·6NH3', 0.9, 1]]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Connection, Engine, Select, delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from sselab import __version__
from sselab.errors import StoreError
from sselab.store.extras import frame, lock_dataset, new_id
from sselab.store.models import Import, ModelFit, ScreeningPrediction, ScreeningRun, utc_now
from sselab.store.records import ImportResult

#: Columns of :meth:`ScreeningStoreMixin.screening_frame`.
SCREENING_COLUMNS = [
    "run", "candidate_formula", "route", "model_name", "model_kind", "descriptor", "x",
    "activation_energy_ev", "ea_lower_ev", "ea_upper_ev", "extrapolated", "flags", "rank", "criterion",
    "confidence", "row_number", "source", "created_at",
]  # fmt: skip
#: Columns of :meth:`ScreeningStoreMixin.screening_runs_frame`.
SCREENING_RUN_COLUMNS = [
    "run_id", "name", "source", "criterion", "confidence", "counts", "sselab_version", "created_at",
]  # fmt: skip
#: Columns of :meth:`ScreeningStoreMixin.model_fits_frame`.
MODEL_FIT_COLUMNS = ["name", "kind", "origin", "label", "descriptors", "n_train", "r2", "created_at"]

_PREDICTION_FIELDS = (
    "candidate_formula", "route", "model_name", "model_kind", "descriptor", "x", "activation_energy_ev",
    "ea_lower_ev", "ea_upper_ev", "extrapolated", "flags", "rank", "criterion", "row_number",
)  # fmt: skip
_REQUIRED = ("candidate_formula", "route", "model_kind", "activation_energy_ev")


def _value(value: Any) -> Any:
    """SQL-ready scalar: NaN/NA -> None, numpy -> python."""
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _prediction_rows(rows: pd.DataFrame, criterion: str) -> list[dict[str, Any]]:
    missing = [c for c in _REQUIRED if c not in rows.columns]
    if missing:
        raise StoreError(f"screening predictions lack column(s) {missing}")
    present = [c for c in _PREDICTION_FIELDS if c in rows.columns]
    out = []
    for record in rows[present].to_dict(orient="records"):
        row: dict[str, Any] = {str(k): _value(v) for k, v in record.items()}
        if row["activation_energy_ev"] is None:
            raise StoreError(f"prediction of {row['candidate_formula']!r} has no finite Ea")
        row.setdefault("criterion", criterion)
        if row.get("criterion") is None:
            row["criterion"] = criterion
        if row.get("rank") is not None:
            row["rank"] = int(row["rank"])
        if row.get("extrapolated") is not None:
            row["extrapolated"] = bool(row["extrapolated"])
        out.append(row)
    return out


class ScreeningStoreMixin:
    """Screening runs and predictions, and the list of model fits (mixed into :class:`sselab.store.Store`)."""

    engine: Engine

    if TYPE_CHECKING:  # provided by StoreExtrasMixin (BEGIN IMMEDIATE on SQLite)

        def write_transaction(self) -> AbstractContextManager[Connection]: ...

    def _write_run(self, conn: Any, name: str, rows: list[dict[str, Any]], run: dict[str, Any]) -> int:
        old = conn.execute(select(ScreeningRun.id).where(ScreeningRun.name == name)).scalar()
        if old is not None:
            conn.execute(delete(ScreeningPrediction).where(ScreeningPrediction.run_id == old))
            conn.execute(delete(ScreeningRun).where(ScreeningRun.id == old))
        run_id = new_id(conn.execute(insert(ScreeningRun).values(name=name, **run)))
        if rows:
            conn.execute(insert(ScreeningPrediction), [{**row, "run_id": run_id} for row in rows])
        return run_id

    def save_screening(
        self,
        name: str,
        predictions: pd.DataFrame,
        *,
        criterion: str,
        confidence: float | None = None,
        space: Mapping[str, Any] | None = None,
        models: Mapping[str, Any] | None = None,
        counts: Mapping[str, Any] | None = None,
        source: str = "sselab screen",
    ) -> int:
        """Write a screening run and its predictions in one transaction (replacing a run named ``name``).

        Parameters
        ----------
        name
            Run name (e.g. ``"screening:wang2025-figure4a"``).
        predictions
            One row per prediction; columns ``candidate_formula, route, model_kind, activation_energy_ev``
            required, ``model_name, descriptor, x, ea_lower_ev, ea_upper_ev, extrapolated, flags, rank,
            criterion, row_number`` optional (Ea and bounds in eV).
        criterion
            How ``rank`` was assigned: ``point``, ``upper`` or ``published``.

        Returns
        -------
        int
            The run's id.
        """
        rows = _prediction_rows(predictions, criterion)
        run = {
            "source": source, "criterion": criterion, "confidence": confidence,
            "space": dict(space) if space else None, "models": dict(models) if models else None,
            "counts": dict(counts) if counts else None, "sselab_version": __version__,
        }  # fmt: skip
        try:
            with self.write_transaction() as conn:
                return self._write_run(conn, name, rows, run)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot store screening {name!r}: {exc}") from exc

    def import_screening(
        self,
        *,
        dataset: str,
        file_name: str,
        file_sha256: str,
        name: str,
        predictions: pd.DataFrame,
        model_fits: Mapping[str, dict[str, Any]],
        criterion: str = "published",
        counts: Mapping[str, Any] | None = None,
    ) -> ImportResult:
        """Import a published candidate list once per (dataset, file_sha256), with the models it yields.

        Everything (the ``imports`` row, the run, its predictions, the model fits) is written in one
        transaction; a file imported before adds nothing (``already_present=True``) while the run ``name`` in
        the store is still that file's; if another file has replaced the run since (import A, an edited A′,
        then A again), A's run is written again under A's import row.
        """
        rows = _prediction_rows(predictions, criterion)
        try:
            with self.write_transaction() as conn:
                lock_dataset(conn, dataset)
                seen = conn.execute(
                    select(Import.id).where(Import.dataset == dataset, Import.file_sha256 == file_sha256)
                ).scalar()
                current = conn.execute(
                    select(ScreeningRun.import_id).where(ScreeningRun.name == name)
                ).scalar()
                if seen is not None and current == seen:  # the run in the store is this file's
                    return ImportResult(inserted={}, already_present=True, import_id=int(seen))
                if seen is None:
                    values = {"dataset": dataset, "file_name": file_name, "file_sha256": file_sha256}
                    import_id = new_id(conn.execute(insert(Import).values(**values)))
                else:  # imported before, then replaced by another file's run: apply it again
                    import_id = int(seen)
                    refreshed = {"file_name": file_name, "imported_at": utc_now()}
                    conn.execute(update(Import).where(Import.id == import_id).values(**refreshed))
                run = {
                    "source": f"dataset {dataset}", "criterion": criterion, "confidence": None, "space": None,
                    "models": {k: {**v, "training_rows": []} for k, v in model_fits.items()},
                    "counts": dict(counts) if counts else None, "sselab_version": __version__,
                    "import_id": import_id,
                }  # fmt: skip
                self._write_run(conn, name, rows, run)
                for fit_name, payload in model_fits.items():
                    conn.execute(delete(ModelFit).where(ModelFit.name == fit_name))
                    conn.execute(insert(ModelFit).values(name=fit_name, payload=payload))
                inserted = {"screening_predictions": len(rows), "model_fits": len(model_fits)}
                conn.execute(update(Import).where(Import.id == import_id).values(counts=inserted))
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot import {dataset} ({file_name}): {exc}") from exc
        return ImportResult(inserted=inserted, already_present=False, import_id=import_id)

    def screening_frame(
        self, run: str | None = None, model_name: str | None = None, route: str | None = None
    ) -> pd.DataFrame:
        """Stored predictions (columns :data:`SCREENING_COLUMNS`), ranked ones first within each run/route.

        ``run``, ``model_name`` and ``route`` keep only the predictions of that run, model or route.
        """
        with self.engine.connect() as conn:
            rows = conn.execute(screening_select(run, model_name, route)).all()
        return typed_screening(frame(rows, SCREENING_COLUMNS))

    def screening_runs_frame(self) -> pd.DataFrame:
        """Stored screening runs (columns :data:`SCREENING_RUN_COLUMNS`)."""
        with self.engine.connect() as conn:
            return frame(conn.execute(screening_runs_select()).all(), SCREENING_RUN_COLUMNS)

    def model_fits_frame(self) -> pd.DataFrame:
        """Every saved model fit with its kind and origin (``fitted``, ``published``, ``given``; columns
        :data:`MODEL_FIT_COLUMNS`). Payloads saved before origins existed read as ``fitted`` when they hold
        training rows (see :func:`model_fit_record`)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ModelFit.name, ModelFit.payload, ModelFit.created_at).order_by(ModelFit.name)
            ).all()
        return frame([model_fit_record(n, p, c) for n, p, c in rows], MODEL_FIT_COLUMNS)


def screening_select(
    run: str | None = None, model_name: str | None = None, route: str | None = None
) -> Select:
    """The statement behind :meth:`ScreeningStoreMixin.screening_frame` (columns :data:`SCREENING_COLUMNS`):
    predictions joined to their run, by run, route, rank (unranked last), Ea; values as bound parameters.

    The web app runs the same statement through the read-only guard (:mod:`sselab.store.browse_screening`).
    """
    p, r = ScreeningPrediction, ScreeningRun
    stmt = (
        select(r.name, *(getattr(p, c) for c in SCREENING_COLUMNS[1:14]), r.confidence, p.row_number,
               r.source, r.created_at)
        .join(r, p.run_id == r.id)
        .order_by(r.id, p.route, p.rank.is_(None), p.rank, p.activation_energy_ev, p.id)
    )  # fmt: skip
    if run is not None:
        stmt = stmt.where(r.name == run)
    if model_name is not None:
        stmt = stmt.where(p.model_name == model_name)
    if route is not None:
        stmt = stmt.where(p.route == route)
    return stmt


def typed_screening(out: pd.DataFrame) -> pd.DataFrame:
    """Predictions read by :func:`screening_select` with their types: floats (NaN when absent) for x, Ea, its
    bounds (eV) and the confidence, a nullable integer rank, ``extrapolated`` as True/False/None."""
    for column in ("x", "activation_energy_ev", "ea_lower_ev", "ea_upper_ev", "confidence"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    out["rank"] = pd.to_numeric(out["rank"], errors="coerce").astype("Int64")
    out["row_number"] = pd.to_numeric(out["row_number"], errors="coerce").astype("Int64")
    out["extrapolated"] = pd.Series(
        [None if v is None or v is pd.NA or v != v else bool(v) for v in out["extrapolated"]],
        index=out.index,
        dtype=object,
    )
    return out


def screening_runs_select() -> Select:
    """The statement behind :meth:`ScreeningStoreMixin.screening_runs_frame` (columns
    :data:`SCREENING_RUN_COLUMNS`)."""
    r = ScreeningRun
    return select(
        r.id, r.name, r.source, r.criterion, r.confidence, r.counts, r.sselab_version, r.created_at
    ).order_by(r.id)


def model_origin(payload: Mapping[str, Any]) -> str | None:
    """Where a saved model comes from: its stored ``origin``; a :class:`LinearEaModel` payload without one
    (saved before origins existed) is ``fitted`` when it holds training rows, else ``given``; None for other
    kinds without an origin (descriptor scans)."""
    origin = payload.get("origin")
    if payload.get("kind") == "LinearEaModel" and origin is None:
        origin = "fitted" if payload.get("training_rows") else "given"
    return None if origin is None else str(origin)


def model_fit_record(name: str, payload: Mapping[str, Any] | None, created: Any) -> tuple[Any, ...]:
    """One row of :meth:`ScreeningStoreMixin.model_fits_frame` (columns :data:`MODEL_FIT_COLUMNS`)."""
    data = dict(payload or {})
    metrics = data.get("metrics") or {}
    return (
        name, data.get("kind"), model_origin(data), data.get("label"),
        ",".join(data.get("descriptors") or []) or None, metrics.get("n_train"), metrics.get("r2"), created,
    )  # fmt: skip
