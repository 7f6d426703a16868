"""Exports of what a page shows: CSV (one table), JSON (every table of the page) and a Python snippet.

The snippets call sselab's library (``open_store``, the frame methods, :func:`sselab.transport.frames.
fit_material`, :func:`sselab.models.method_benchmark.benchmark_methods`) and write the page's plot with
matplotlib (the models and screening snippets print the tables), so a reader can rerun the page's numbers
without the web app. Values placed in a snippet are validated ids and names and the store URL, written with
``repr``.

Example::

    >>> from sselab.web.export import material_snippet
    >>> "fit_material" in material_snippet("sqlite:////tmp/store.sqlite", 7, "Mg(BH4)2")
    True
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from starlette.responses import Response

from sselab.assistant.results import frame_records, json_safe

_FILENAME = re.compile(r"[^A-Za-z0-9_.-]+")


def _disposition(filename: str) -> dict[str, str]:
    safe = _FILENAME.sub("_", filename)[:100] or "export"
    return {"Content-Disposition": f'attachment; filename="{safe}"'}


def csv_response(frame: pd.DataFrame, filename: str) -> Response:
    """The rows of ``frame`` as a CSV download (UTF-8, header row, no index)."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=_disposition(filename))


def json_response(tables: Mapping[str, pd.DataFrame], extra: Mapping[str, Any], filename: str) -> Response:
    """Every table of a page (as lists of records, NaN as null) plus ``extra`` facts, as a JSON download."""
    payload = {**json_safe(dict(extra)), "tables": {name: frame_records(df) for name, df in tables.items()}}
    text = json.dumps(payload, indent=1, ensure_ascii=False, allow_nan=False)
    return Response(text, media_type="application/json", headers=_disposition(filename))


def snippet_response(code: str, filename: str) -> Response:
    """A Python snippet as a text download."""
    return Response(code, media_type="text/x-python; charset=utf-8", headers=_disposition(filename))


def material_snippet(store_url: str, material_id: int, formula: str) -> str:
    """Python that refits and redraws the Arrhenius plot of one material page."""
    return f'''"""The Arrhenius fits of the sselab web page of material {int(material_id)} ({formula})."""
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from sselab.store import open_store
from sselab.transport.frames import fit_material

store = open_store({store_url!r})
points = store.conductivity_frame()
points = points[points["material_id"] == {int(material_id)}]
fits, skipped = fit_material(points, {formula!r})  # one fit per source (DOI or citation)
fig, ax = plt.subplots(figsize=(6, 4.5))
for item in fits:
    fit = item.fit
    print(item.source_label, f"Ea = {{fit.activation_energy_ev:.3f}} ± {{fit.stderr_ev:.3f}} eV",
          f"95% CI {{fit.ci95_ev[0]:.3f}}..{{fit.ci95_ev[1]:.3f}} eV, R2 = {{fit.r_squared:.3f}}")
    grid = np.linspace(fit.temperature_min_k, fit.temperature_max_k, 40)
    ax.plot(1000 / item.temperature_k, np.log10(item.conductivity_s_per_cm), "o", label=item.source_label)
    ax.plot(1000 / grid, np.log10(fit.predict(grid)), "-")
ax.set_xlabel("1000/T (1/K)")
ax.set_ylabel("log10 σ (S/cm)")
ax.legend(fontsize=7)
fig.savefig("arrhenius_material_{int(material_id)}.png", dpi=150)
'''


def compare_snippet(store_url: str, material_ids: Sequence[int]) -> str:
    """Python that redraws the Arrhenius overlay of the compare page (pooled fit per material)."""
    ids = [int(i) for i in material_ids]
    return f'''"""The Arrhenius overlay of the sselab compare page (materials {ids})."""
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from sselab.errors import FitError
from sselab.store import open_store
from sselab.transport.frames import fit_material

store = open_store({store_url!r})
frame = store.conductivity_frame()
fig, ax = plt.subplots(figsize=(6.5, 5))
for material_id in {ids!r}:
    points = frame[frame["material_id"] == material_id]
    if points.empty:
        continue
    formula = points["formula"].iloc[0]
    line = ax.plot(1000 / points["temperature_k"], np.log10(points["conductivity_s_per_cm"]), "o",
                   label=formula)[0]
    try:
        fits, _ = fit_material(points, formula, pool=True)
    except FitError as error:
        print(formula, error)
        continue
    fit = fits[0].fit
    grid = np.linspace(fit.temperature_min_k, fit.temperature_max_k, 40)
    ax.plot(1000 / grid, np.log10(fit.predict(grid)), "-", color=line.get_color())
    print(formula, f"Ea = {{fit.activation_energy_ev:.3f}} ± {{fit.stderr_ev:.3f}} eV")
ax.set_xlabel("1000/T (1/K)")
ax.set_ylabel("log10 σ (S/cm)")
ax.legend(fontsize=7)
fig.savefig("arrhenius_overlay.png", dpi=150)
'''


def benchmark_snippet(store_url: str, methods: Sequence[str], material_ids: Sequence[int] | None) -> str:
    """Python that recomputes the method benchmark and draws the parity plot."""
    keep = (
        ""
        if material_ids is None
        else (f'\nframe = frame[frame["material_id"].isin({sorted(int(i) for i in material_ids)!r})]')
    )
    methods_arg = tuple(methods) or None
    return f'''"""The method benchmark of the sselab compare page (Figures 1c/2b of Wang et al. 2025)."""
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

from sselab.models.method_benchmark import benchmark_methods
from sselab.store import open_store

store = open_store({store_url!r})
frame = store.activation_energy_frame(){keep}
result = benchmark_methods(frame, methods={methods_arg!r})
print(result.metrics.to_string(index=False))
fig, ax = plt.subplots(figsize=(5, 5))
for method, group in result.pairs.groupby("method"):
    ax.plot(group["experiment_ev"], group["computed_ev"], "o", label=method)
top = max(result.pairs[["experiment_ev", "computed_ev"]].max().max() * 1.1, 0.1) if len(result.pairs) else 1.5
ax.plot([0, top], [0, top], ":", color="grey")
ax.set_xlabel("experimental Ea (eV)")
ax.set_ylabel("computed Ea (eV)")
ax.legend()
fig.savefig("method_benchmark.png", dpi=150)
'''


def materials_snippet(store_url: str, query_repr: str) -> str:
    """Python that runs the materials table's query with the store's browse functions."""
    return f'''"""The table of the sselab materials page, from the store."""
from sselab.store import open_store
from sselab.store.browse import MaterialQuery, materials_page

store = open_store({store_url!r})
page = materials_page(store, {query_repr})
print(page.total, "materials match")
print(page.rows.to_string(index=False))
'''


def models_snippet(store_url: str) -> str:
    """Python that lists the store's models as the models page does (origin, label, statistics)."""
    return f'''"""The models of the sselab models page: origin (published, fitted, given), label, quality."""
from sselab.store import open_store

store = open_store({store_url!r})
print(store.model_fits_frame().to_string(index=False))
for name in store.list_model_fits():
    payload = store.load_model_fit(name)
    if payload.get("kind") == "LinearEaModel":
        print(name, payload.get("origin"), payload.get("label"), "coef", payload["coef"],
              "intercept", payload["intercept"], "eV", payload.get("citation") or "")
'''


def screening_snippet(store_url: str, run: str | None, route: str | None) -> str:
    """Python that reads the predictions of the screening page (same run and route filters)."""
    return f'''"""The predictions of the sselab screening page (run {run!r}, route {route!r})."""
from sselab.store import open_store

store = open_store({store_url!r})
print(store.screening_runs_frame().to_string(index=False))
predictions = store.screening_frame(run={run!r}, route={route!r})
print(len(predictions), "predictions")
print(predictions[["run", "candidate_formula", "route", "model_name", "activation_energy_ev",
                   "ea_lower_ev", "ea_upper_ev", "flags", "rank"]].head(20).to_string(index=False))
'''
