"""The rows behind the web's screening and models pages (read-only, bound parameters, bounded).

The statements are the store's own (:func:`sselab.store.screening.screening_select`,
:func:`~sselab.store.screening.screening_runs_select`, the ``model_fits`` rows read by
:meth:`Store.model_fits_frame <sselab.store.screening.ScreeningStoreMixin.model_fits_frame>`), run through
:func:`sselab.store.browse.run_select`, so a page shows the same rows as ``Store.screening_frame()`` /
``Store.screening_runs_frame()`` / ``Store.model_fits_frame()`` under the read-only guard, with a time and a
row limit, and with paging done by the database.

Example::

    >>> from sselab.store import open_store
    >>> from sselab.store.browse_screening import screening_page, screening_runs
    >>> store = open_store("sqlite://")
    >>> screening_runs(store).frame.empty, screening_page(store).total
    (True, 0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from sselab.store.browse import MAX_PAGE_SIZE, Rows, json_value, run_select, select_frame
from sselab.store.models import ModelFit, ScreeningPrediction, ScreeningRun
from sselab.store.screening import (
    MODEL_FIT_COLUMNS,
    SCREENING_COLUMNS,
    SCREENING_RUN_COLUMNS,
    model_fit_record,
    screening_runs_select,
    screening_select,
    typed_screening,
)

#: Columns of :func:`screening_runs`: the stored run and what it holds.
RUN_COLUMNS: tuple[str, ...] = (*SCREENING_RUN_COLUMNS, "n_predictions", "n_ranked", "routes")


@dataclass(frozen=True)
class ScreeningPage:
    """One page of stored predictions (columns :data:`sselab.store.screening.SCREENING_COLUMNS`)."""

    rows: pd.DataFrame
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, math.ceil(self.total / self.per_page))


def screening_runs(store: Any) -> Rows:
    """The stored screening runs (``Store.screening_runs_frame`` columns, ``counts`` as a dict) with the
    number of predictions, of ranked predictions and their routes (``"y1 (270), y2 (288)"``)."""
    runs = select_frame(store, screening_runs_select(), SCREENING_RUN_COLUMNS, max_rows=1000)
    p = ScreeningPrediction
    per_route = (
        select(p.run_id, p.route, func.count(), func.count(p.rank))
        .group_by(p.run_id, p.route)
        .order_by(p.run_id, p.route)
    )
    _, counts, _ = run_select(store, per_route, max_rows=10_000)
    table = runs.frame
    table["counts"] = [json_value(c) for c in table["counts"]]
    table["confidence"] = pd.to_numeric(table["confidence"], errors="coerce").astype(float)
    total: dict[int, int] = {}
    ranked: dict[int, int] = {}
    routes: dict[int, list[str]] = {}
    for run_id, route, n, n_ranked in counts.itertuples(index=False, name=None):
        key = int(run_id)
        total[key] = total.get(key, 0) + int(n)
        ranked[key] = ranked.get(key, 0) + int(n_ranked)
        routes.setdefault(key, []).append(f"{route} ({int(n)})")
    ids = [int(i) for i in table["run_id"]]
    table["n_predictions"] = [total.get(i, 0) for i in ids]
    table["n_ranked"] = [ranked.get(i, 0) for i in ids]
    table["routes"] = [", ".join(routes.get(i, [])) for i in ids]
    return Rows(table[list(RUN_COLUMNS)], runs.truncated)


def screening_routes(store: Any, run: str | None = None) -> list[str]:
    """The distinct routes of the stored predictions (of run ``run`` when given), sorted."""
    p, r = ScreeningPrediction, ScreeningRun
    stmt = select(p.route).distinct().join(r, p.run_id == r.id).order_by(p.route)
    if run is not None:
        stmt = stmt.where(r.name == run)
    _, rows, _ = run_select(store, stmt, max_rows=1000)
    return [str(v) for v in rows.iloc[:, 0].tolist()]


def screening_page(
    store: Any, run: str | None = None, route: str | None = None, page: int = 1, per_page: int = MAX_PAGE_SIZE
) -> ScreeningPage:
    """One page of ``Store.screening_frame(run, route=route)``: the same rows, order and types.

    Parameters
    ----------
    run, route
        Keep only this run's / this route's predictions (None: all).
    page, per_page
        1-based page and its size (1 to :data:`sselab.store.browse.MAX_PAGE_SIZE` rows).
    """
    per_page = max(1, min(int(per_page), MAX_PAGE_SIZE))
    stmt = screening_select(run, route=route)
    count = select(func.count()).select_from(stmt.order_by(None).subquery("matching"))
    _, total_rows, _ = run_select(store, count, max_rows=1)
    total = int(total_rows.to_numpy()[0, 0]) if len(total_rows) else 0
    paged = stmt.limit(per_page).offset((max(1, int(page)) - 1) * per_page)
    rows = typed_screening(select_frame(store, paged, SCREENING_COLUMNS, max_rows=MAX_PAGE_SIZE).frame)
    return ScreeningPage(rows=rows, total=total, page=max(1, int(page)), per_page=per_page)


def model_fit_rows(store: Any) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """``Store.model_fits_frame()`` read through the guard, and each fit's payload (same order, by name)."""
    stmt = select(ModelFit.name, ModelFit.payload, ModelFit.created_at).order_by(ModelFit.name)
    rows = select_frame(store, stmt, ["name", "payload", "created_at"], max_rows=1000).frame
    payloads = [p if isinstance(p, dict) else {} for p in (json_value(v) for v in rows["payload"])]
    records = [
        model_fit_record(str(name), payload, created)
        for name, payload, created in zip(rows["name"], payloads, rows["created_at"], strict=True)
    ]
    return pd.DataFrame.from_records(records, columns=MODEL_FIT_COLUMNS), payloads
