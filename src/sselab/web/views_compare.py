"""``/compare/arrhenius`` (Figure 1b style overlay) and ``/compare/benchmark`` (Figures 1c/2b parity plot).

Example::

    >>> from sselab.web.views_compare import benchmark_rows
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"cation": ["Mg", "Li"], "valence": [2, 1], "neutral_molecule": ["NH3", None],
    ...                      "anion_family": ["nido-borane", "oxide"]})
    >>> len(benchmark_rows(rows, cation=None, valence=2, neutral="any", hydrides_only=False))
    1
"""

from __future__ import annotations

import pandas as pd
from starlette.requests import Request
from starlette.responses import Response

from sselab.models.method_benchmark import benchmark_methods
from sselab.report.conductivity import HYDRIDE_FAMILIES
from sselab.store import METHODS, browse_rows
from sselab.web.analysis import FIT_COLUMNS, source_fits
from sselab.web.common import params_of, web_of
from sselab.web.export import (
    benchmark_snippet,
    compare_snippet,
    csv_response,
    json_response,
    snippet_response,
)
from sselab.web.figures import arrhenius_figure, parity_figure
from sselab.web.params import MAX_COMPARE, BenchmarkParams, CompareParams


def arrhenius(request: Request) -> Response:
    """Overlay of the σ(T) points and pooled Arrhenius fits of the chosen materials (``id`` repeated)."""
    web = web_of(request)
    params: CompareParams = params_of(request, CompareParams)
    ids = list(dict.fromkeys(params.id))
    points = (
        browse_rows.conductivity_points(web.store, ids).frame
        if ids
        else pd.DataFrame(columns=["material_id", "formula", "temperature_k", "conductivity_s_per_cm", "doi"])
    )
    groups, fit_rows, missing = [], [], []
    for material_id in ids:
        mine = points[points["material_id"] == material_id]
        if mine.empty:
            missing.append(material_id)
            continue
        formula = str(mine["formula"].iloc[0])
        fits = source_fits(mine, formula, pool=True)
        groups.append((f"{formula} (#{material_id})", mine, fits))
        fit_rows.append(fits.table.assign(material_id=material_id))
    fit_table = (
        pd.concat(fit_rows, ignore_index=True)
        if fit_rows
        else pd.DataFrame(columns=[*FIT_COLUMNS, "material_id"])
    )
    tables = {"points": points, "fits": fit_table}
    if params.format == "csv":
        return csv_response(tables[params.table], f"arrhenius_overlay_{params.table}.csv")
    if params.format == "json":
        return json_response(
            tables,
            {"store": web.display_url, "material_ids": ids, "without_points": missing},
            "arrhenius_overlay.json",
        )
    if params.format == "py":
        return snippet_response(compare_snippet(web.display_url, ids), "arrhenius_overlay.py")
    figure = (
        arrhenius_figure(groups, "Arrhenius overlay (style of Wang et al. 2025, Fig. 1b)") if groups else None
    )
    return web.render(
        request,
        "compare.html",
        ids=ids,
        figure=figure,
        fits=fit_table,
        missing=missing,
        groups=groups,
        max_compare=MAX_COMPARE,
    )


def benchmark_rows(
    frame: pd.DataFrame, cation: str | None, valence: int | None, neutral: str, hydrides_only: bool
) -> pd.DataFrame:
    """Activation-energy rows of the materials with the given chemistry."""
    keep = pd.Series(True, index=frame.index)
    if cation is not None:
        keep &= frame["cation"] == cation
    if valence is not None:
        keep &= pd.to_numeric(frame["valence"], errors="coerce") == valence
    if neutral == "with":
        keep &= frame["neutral_molecule"].notna()
    elif neutral == "without":
        keep &= frame["neutral_molecule"].isna()
    if hydrides_only:
        keep &= frame["anion_family"].isin(HYDRIDE_FAMILIES)
    return frame[keep]


def benchmark(request: Request) -> Response:
    """Computed against experimental Ea per method, with metrics (R², MAE, RMSE, N) and the parity plot."""
    web = web_of(request)
    params: BenchmarkParams = params_of(request, BenchmarkParams)
    rows = browse_rows.activation_energies(web.store)
    frame = benchmark_rows(rows.frame, params.cation, params.valence, params.neutral, params.hydrides_only)
    methods = tuple(m for m in params.method if m != "experiment")
    result = benchmark_methods(frame, methods=methods or None)
    metrics = result.metrics
    tables = {"pairs": result.pairs, "metrics": metrics, "unmatched": result.unmatched}
    filtered = any((params.cation, params.valence, params.neutral != "any", params.hydrides_only))
    material_ids = sorted({int(i) for i in frame["material_id"]}) if filtered else None
    if params.format == "csv":
        return csv_response(tables[params.table], f"method_benchmark_{params.table}.csv")
    if params.format == "json":
        extra = {
            "store": web.display_url,
            "filters": params.model_dump(exclude={"format", "table"}),
            "truncated": rows.truncated,
        }
        return json_response(tables, extra, "method_benchmark.json")
    if params.format == "py":
        return snippet_response(
            benchmark_snippet(web.display_url, methods, material_ids), "method_benchmark.py"
        )
    n_computed = int((frame["method"] != "experiment").sum())
    return web.render(
        request,
        "benchmark.html",
        params=params,
        pairs=result.pairs,
        metrics=metrics,
        unmatched=result.unmatched,
        figure=parity_figure(result.pairs),
        methods=METHODS[1:],
        n_computed=n_computed,
        n_experiment=int((frame["method"] == "experiment").sum()),
        truncated=rows.truncated,
    )
