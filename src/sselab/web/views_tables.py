"""``/models`` (saved Ea models: published, fitted, given, with their statistics) and ``/screening`` (the
stored screening runs and their predictions with intervals, flags and ranks).

Both read the store through :mod:`sselab.store.browse_screening`: the statements of
``Store.model_fits_frame()``, ``Store.screening_runs_frame()`` and ``Store.screening_frame()`` run on the
read-only guard, so the pages show what those readers return. A model's origin, label and citation are the
ones stored with it (:mod:`sselab.models.payload`): the lines recovered from Wang et al. 2025 read
"published by Wang et al. 2025" and are listed apart from the models fitted in the store.

Example::

    >>> from sselab.web.views_tables import model_summary
    >>> payload = {"kind": "LinearEaModel", "origin": "given", "descriptors": ["x"], "coef": [1.5],
    ...            "intercept": 0.2, "metrics": {}}
    >>> model_summary(("m", "LinearEaModel", "given", None, "x", None, None, None), payload)["equation"]
    'Ea = 1.5·x + 0.2 eV'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from starlette.requests import Request
from starlette.responses import Response

from sselab.store.browse_screening import model_fit_rows, screening_page, screening_routes, screening_runs
from sselab.store.screening import MODEL_FIT_COLUMNS
from sselab.web.common import params_of, web_of
from sselab.web.export import (
    csv_response,
    json_response,
    models_snippet,
    screening_snippet,
    snippet_response,
)
from sselab.web.params import BadRequest, ModelsParams, ScreeningParams

MODEL_COLUMNS: tuple[str, ...] = (
    "name", "kind", "origin", "label", "citation", "equation", "descriptors", "slope", "intercept_ev",
    "coefficients", "coefficient_ci95", "r2", "adj_r2", "rmse_ev", "loo_rmse_ev", "n_train", "interval",
    "descriptor_range", "recovered_from_n", "recovery_max_abs_residual", "created_at",
)  # fmt: skip
"""Columns of the models table (and its CSV): ``slope`` (single-descriptor lines) and ``intercept_ev`` as
stored, ``coefficients`` at full precision, ``recovered_from_n`` / ``recovery_max_abs_residual`` for models
recovered from published numbers (residual in eV for a line, descriptor units for a descriptor)."""
ORIGIN_SECTIONS: tuple[tuple[str | None, str], ...] = (
    ("published", "Published models"),
    ("fitted", "Fitted in this store"),
    ("given", "Given coefficients"),
    (None, "Other saved fits"),
)
"""Sections of the models page, in order (origin, heading)."""
PREDICTION_COLUMNS: tuple[str, ...] = (
    "run", "candidate_formula", "route", "model_name", "model_kind", "descriptor", "x",
    "activation_energy_ev", "ea_lower_ev", "ea_upper_ev", "confidence", "extrapolated", "flags", "rank",
    "criterion",
)  # fmt: skip
"""Columns of the predictions table (columns of ``Store.screening_frame()``): Ea and its prediction
interval in eV, ``confidence`` the interval's coverage, ``rank`` 1 = best (empty: not ranked)."""
RUN_TABLE_COLUMNS: tuple[str, ...] = (
    "name", "source", "criterion", "confidence", "n_predictions", "n_ranked", "routes", "sselab_version",
    "created_at",
)  # fmt: skip
"""Columns of the runs table (``Store.screening_runs_frame()`` with the prediction counts per route)."""
CRITERIA = {
    "point": "ranked by the predicted Ea",
    "upper": "ranked by the upper end of the prediction interval",
    "published": "ranked by the published Ea",
}


def _number(value: Any, digits: int = 6) -> str:
    return f"{float(value):.{digits}g}"


def _equation(names: Sequence[str], coef: Sequence[float], intercept: Any) -> str:
    if not names or len(names) != len(coef) or intercept is None:
        return ""
    text = "Ea = " + " ".join(
        f"{'−' if float(c) < 0 else '+'} {_number(abs(float(c)))}·{n}" if i else f"{_number(c)}·{n}"
        for i, (n, c) in enumerate(zip(names, coef, strict=True))
    )
    sign = "−" if float(intercept) < 0 else "+"
    return f"{text} {sign} {_number(abs(float(intercept)))} eV"


def _interval(origin: str | None, payload: Mapping[str, Any]) -> str:
    if payload.get("kind") != "LinearEaModel":
        return ""
    if payload.get("interval"):
        dof = payload["interval"].get("df_resid")
        return f"prediction intervals from the OLS fit ({dof} residual degrees of freedom)"
    if origin == "published":
        return "none: the rows the published line was fitted on are not published"
    if origin == "given":
        return "none: coefficients given, not fitted"
    return "none stored"


def _linear(payload: Mapping[str, Any]) -> dict[str, Any]:
    names = [str(n) for n in payload.get("descriptors") or []]
    coef = [float(c) for c in payload.get("coef") or []]
    intercept = payload.get("intercept")
    ci = payload.get("coef_ci95") or []
    parts = [f"{n}: [{_number(lo, 4)}, {_number(hi, 4)}]" for n, (lo, hi) in zip(names, ci, strict=False)]
    if payload.get("intercept_ci95"):
        lo, hi = payload["intercept_ci95"]
        parts.append(f"intercept: [{_number(lo, 4)}, {_number(hi, 4)}] eV")
    ranges = payload.get("descriptor_range") or {}
    recovery = payload.get("recovery") or {}
    return {
        "equation": _equation(names, coef, intercept),
        "slope": coef[0] if len(coef) == 1 else None,
        "intercept_ev": None if intercept is None else float(intercept),
        "coefficients": "; ".join(f"{n}={c!r}" for n, c in zip(names, coef, strict=False)),
        "coefficient_ci95": "; ".join(parts),
        "descriptor_range": "; ".join(
            f"{d}: [{_number(a, 4)}, {_number(b, 4)}]" for d, (a, b) in ranges.items()
        ),
        "recovered_from_n": recovery.get("n"),
        "recovery_max_abs_residual": recovery.get("max_abs_residual_ev"),
    }


def _derivation(payload: Mapping[str, Any]) -> dict[str, Any]:
    descriptor = payload.get("descriptor") or {}
    coefficients = descriptor.get("coefficients") or {}
    residual = payload.get("residual") or {}
    return {
        "equation": f"{descriptor.get('name', 'x')} = Σ c_el·n_el over the formula's atoms "
        f"(normalisation {descriptor.get('normalisation', 'sum')})",
        "descriptors": descriptor.get("name"),
        "coefficients": "; ".join(f"{el}={float(c)!r}" for el, c in coefficients.items()),
        "recovered_from_n": residual.get("n"),
        "recovery_max_abs_residual": residual.get("max_abs"),
    }


def _for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with missing values (NaN, ``pd.NA``) as None, for the templates."""
    return frame.astype(object).where(frame.notna(), None)


def model_summary(listing: Sequence[Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """One row of the models table from a ``Store.model_fits_frame()`` row and the fit's stored payload."""
    row = dict(zip(MODEL_FIT_COLUMNS, listing, strict=True))
    metrics = payload.get("metrics") or {}
    out: dict[str, Any] = dict.fromkeys(MODEL_COLUMNS)
    out.update({k: row[k] for k in ("name", "kind", "origin", "label", "descriptors", "n_train", "r2")})
    out.update(
        citation=payload.get("citation"),
        adj_r2=metrics.get("adj_r2"),
        rmse_ev=metrics.get("rmse"),
        loo_rmse_ev=metrics.get("loo_rmse"),
        interval=_interval(row["origin"], payload),
        created_at=None if row["created_at"] is None else str(row["created_at"]),
    )
    if payload.get("kind") == "LinearEaModel":
        out.update(_linear(payload))
    elif payload.get("kind") == "XDerivation":
        out.update(_derivation(payload))
    elif out["n_train"] is None and payload.get("n_rows") is not None:
        out["n_train"] = payload["n_rows"]  # a descriptor scan: the rows it scanned
    return out


def models_table(store: Any) -> pd.DataFrame:
    """The models table (columns :data:`MODEL_COLUMNS`): published first, then fitted, given, other."""
    listing, payloads = model_fit_rows(store)
    rows = [model_summary(r, p) for r, p in zip(listing.itertuples(index=False), payloads, strict=True)]
    table = pd.DataFrame(rows, columns=list(MODEL_COLUMNS))
    order = {origin: i for i, (origin, _) in enumerate(ORIGIN_SECTIONS)}
    keys = [order.get(o if isinstance(o, str) else None, len(order) - 1) for o in table["origin"]]
    return table.assign(_order=keys).sort_values(["_order", "name"], kind="stable").drop(columns="_order")


def models(request: Request) -> Response:
    """The saved models, by origin (``format=csv|json`` exports the table, ``py`` a snippet)."""
    web = web_of(request)
    params: ModelsParams = params_of(request, ModelsParams)
    table = models_table(web.store).reset_index(drop=True)
    if params.format == "csv":
        return csv_response(table, "models.csv")
    if params.format == "py":
        return snippet_response(models_snippet(web.display_url), "models.py")
    if params.format == "json":
        return json_response({"models": table}, {"store": web.display_url}, "models.json")
    known = {o for o, _ in ORIGIN_SECTIONS if o}
    sections = []
    for origin, heading in ORIGIN_SECTIONS:
        mask = table["origin"].isin([origin]) if origin else ~table["origin"].isin(known)
        if mask.any():
            sections.append((origin or "other", heading, _for_display(table[mask])))
    return web.render(request, "models.html", table=table, sections=sections)


def screening(request: Request) -> Response:
    """The stored screening runs and one page of their predictions, filtered by run and route."""
    web = web_of(request)
    params: ScreeningParams = params_of(request, ScreeningParams)
    runs = screening_runs(web.store).frame
    names = [str(n) for n in runs["name"]]
    if params.run is not None and params.run not in names:
        stored = ", ".join(names[:20]) or "none"
        raise BadRequest(f"run: no screening run named {params.run!r} is stored; stored runs: {stored}")
    routes = screening_routes(web.store, params.run)
    if params.route is not None and params.route not in routes:
        where = f"run {params.run!r}" if params.run else "the stored runs"
        raise BadRequest(
            f"route: {params.route!r} is not a route of {where}; routes: {', '.join(routes) or 'none'}"
        )
    page = screening_page(web.store, params.run, params.route, params.page, params.per_page)
    predictions = page.rows[list(PREDICTION_COLUMNS)].reset_index(drop=True)
    run_table = runs[list(RUN_TABLE_COLUMNS)]
    if params.format == "csv":
        if params.table == "runs":
            return csv_response(run_table, "screening_runs.csv")
        return csv_response(predictions, "screening.csv")
    if params.format == "py":
        return snippet_response(screening_snippet(web.display_url, params.run, params.route), "screening.py")
    if params.format == "json":
        facts = {
            "store": web.display_url, "run": params.run, "route": params.route, "total": page.total,
            "page": page.page, "pages": page.pages, "per_page": page.per_page,
        }  # fmt: skip
        return json_response({"runs": run_table, "predictions": predictions}, facts, "screening.json")
    return web.render(
        request,
        "screening.html",
        runs=_for_display(run_table),
        routes=routes,
        params=params,
        predictions=_for_display(predictions),
        page=page,
        criteria=CRITERIA,
    )
