"""``/materials``: the filtered, sorted, paged table of materials, and its exports.

Example::

    >>> from sselab.web.views_materials import COLUMN_LABELS
    >>> COLUMN_LABELS["ea_experiment_ev"]
    'Ea exp. (eV)'
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from sselab.store import browse
from sselab.web.common import params_of, web_of, with_query
from sselab.web.export import csv_response, json_response, materials_snippet, snippet_response
from sselab.web.params import HYDRIDE_GROUP, MaterialsParams

COLUMN_LABELS = {
    "formula": "formula",
    "dataset": "dataset",
    "cation": "cation",
    "valence": "valence",
    "anion_family": "anion family",
    "neutral_molecule": "neutral molecule",
    "neutral_count": "n neutral",
    "n_sigma": "σ points",
    "temperature_min_k": "T min (K)",
    "temperature_max_k": "T max (K)",
    "sigma_max_s_per_cm": "σ max (S/cm)",
    "ea_experiment_ev": "Ea exp. (eV)",
    "n_ea_computed": "Ea computed",
    "n_structures": "structures",
}
"""Columns shown in the HTML table (units in the headers), in order."""


def materials(request: Request) -> Response:
    """The materials table (``format=csv|json|py`` exports exactly the rows of this page)."""
    web = web_of(request)
    params: MaterialsParams = params_of(request, MaterialsParams)
    query = params.to_query()
    page = browse.materials_page(web.store, query)
    if params.format == "csv":
        return csv_response(page.rows, "materials.csv")
    if params.format == "json":
        return json_response(
            {"materials": page.rows},
            {
                "store": web.display_url,
                "total": page.total,
                "page": page.query.page,
                "pages": page.pages,
                "query": {k: v for k, v in params.model_dump().items() if k != "format"},
            },
            "materials.json",
        )
    if params.format == "py":
        return snippet_response(materials_snippet(web.display_url, repr(query)), "materials.py")
    return web.render(
        request,
        "materials.html",
        page=page,
        params=params,
        facets=web.facets(),
        labels=COLUMN_LABELS,
        hydride_group=HYDRIDE_GROUP,
        with_query=lambda **kw: with_query(request, **kw),
    )
