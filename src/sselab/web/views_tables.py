"""``/models`` (fitted and published Ea models with their statistics) and ``/screening`` (stored screening
results with their intervals and flags).

The screening page reads ``Store.screening_frame()`` when the store has that reader (the screening results
table); without it, or with no rows, the page says that no screening results are stored.

Example::

    >>> from sselab.web.views_tables import model_summary
    >>> model_summary("y1", {"kind": "LinearEaModel", "descriptors": ["x"], "coef": [1.5], "intercept": 0.2,
    ...                      "metrics": {"r2": 0.9, "n_train": 12}})["label"]
    'fitted'
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from starlette.requests import Request
from starlette.responses import Response

from sselab.store import browse_rows
from sselab.web.common import params_of, web_of
from sselab.web.export import csv_response, json_response
from sselab.web.params import BadRequest, TableParams

MODEL_COLUMNS = (
    "name",
    "kind",
    "label",
    "citation",
    "descriptors",
    "coefficients",
    "intercept",
    "r2",
    "adj_r2",
    "rmse_ev",
    "loo_rmse_ev",
    "n_train",
    "created_at",
)
SCREENING_PAGE_SIZE = 200


def _label(payload: dict[str, Any]) -> str:
    for key in ("label", "provenance"):
        if isinstance(payload.get(key), str) and payload[key]:
            return str(payload[key])
    published = payload.get("published")
    if published:
        return published if isinstance(published, str) else "published"
    return "fitted"


def _coefficients(payload: dict[str, Any]) -> str:
    coef, names = payload.get("coef") or [], payload.get("descriptors") or []
    intervals = payload.get("coef_ci95") or []
    parts = []
    for index, (name, value) in enumerate(zip(names, coef, strict=False)):
        text = f"{name}: {float(value):.4g}"
        if index < len(intervals) and intervals[index]:
            low, high = intervals[index]
            text += f" [{float(low):.3g}, {float(high):.3g}]"
        parts.append(text)
    return "; ".join(parts)


def model_summary(name: str, payload: dict[str, Any], created_at: Any = None) -> dict[str, Any]:
    """One row of the models table: what the model is, where it comes from and how good it is."""
    metrics = payload.get("metrics") or {}
    return {
        "name": name,
        "kind": payload.get("kind"),
        "label": _label(payload),
        "citation": payload.get("citation") or payload.get("source"),
        "descriptors": ", ".join(map(str, payload.get("descriptors") or [])),
        "coefficients": _coefficients(payload),
        "intercept": payload.get("intercept"),
        "r2": metrics.get("r2"),
        "adj_r2": metrics.get("adj_r2"),
        "rmse_ev": metrics.get("rmse"),
        "loo_rmse_ev": metrics.get("loo_rmse"),
        "n_train": metrics.get("n_train", payload.get("n_rows")),
        "created_at": None if created_at is None else str(created_at),
    }


def models(request: Request) -> Response:
    """The saved models of the store (``Store.save_model_fit``), published ones labelled as such."""
    web = web_of(request)
    params: TableParams = params_of(request, TableParams)
    fits = browse_rows.model_fits(web.store).frame
    rows = [
        model_summary(str(r.name), r.payload if isinstance(r.payload, dict) else {}, r.created_at)
        for r in fits.itertuples(index=False)
    ]
    table = pd.DataFrame(rows, columns=list(MODEL_COLUMNS))
    if params.format == "csv":
        return csv_response(table, "models.csv")
    if params.format == "py":
        raise BadRequest("format: this page has no plot to reproduce; use csv or json")
    if params.format == "json":
        return json_response({"models": table}, {"store": web.display_url}, "models.json")
    return web.render(request, "models.html", table=table)


def screening_frame(store: Any) -> pd.DataFrame | None:
    """The stored screening results, or None when the store has no screening reader or no rows."""
    reader = getattr(store, "screening_frame", None)
    if reader is None:
        return None
    frame = reader()
    return frame if isinstance(frame, pd.DataFrame) and not frame.empty else None


def screening(request: Request) -> Response:
    """Stored screening predictions (intervals, flags), :data:`SCREENING_PAGE_SIZE` rows a page."""
    web = web_of(request)
    params: TableParams = params_of(request, TableParams)
    frame = screening_frame(web.store)
    total = 0 if frame is None else len(frame)
    start = (params.page - 1) * SCREENING_PAGE_SIZE
    page = pd.DataFrame() if frame is None else frame.iloc[start : start + SCREENING_PAGE_SIZE]
    if params.format == "csv":
        return csv_response(page, "screening.csv")
    if params.format == "py":
        raise BadRequest("format: this page has no plot to reproduce; use csv or json")
    if params.format == "json":
        return json_response(
            {"screening": page},
            {"store": web.display_url, "total": total, "page": params.page},
            "screening.json",
        )
    pages = max(1, -(-total // SCREENING_PAGE_SIZE))
    return web.render(request, "screening.html", page=page, total=total, page_number=params.page, pages=pages)
