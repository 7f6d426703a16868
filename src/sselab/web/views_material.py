"""``/material/{id}``: a material; ``/structure/{id}.cif``: a CIF download; ``/run/{ea_id}``: a run's figures.

A run page lists the PNG files in the ``figures`` folder of the run folder recorded with a computed Ea
(``fes.png``, ``track.png``, ``barrier_convergence.png``, ``neb_profile.png`` ...). A figure is served only
when its name matches a plain file name *and* it is one of the files listed there: no path from the
request reaches the file system.

Example::

    >>> from sselab.web.views_material import FIGURE_NAME
    >>> bool(FIGURE_NAME.match("fes.png")), bool(FIGURE_NAME.match("../x.png"))
    (True, False)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sselab.store import browse_rows
from sselab.web.analysis import source_fits, source_groups
from sselab.web.common import params_of, path_id, web_of
from sselab.web.export import csv_response, json_response, material_snippet, snippet_response
from sselab.web.figures import arrhenius_figure
from sselab.web.params import MaterialParams, TableParams

FIGURE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}\.png$")
MAX_FIGURE_BYTES = 20_000_000


def _material_or_404(web: Any, material_id: int) -> dict[str, Any]:
    record = browse_rows.material(web.store, material_id)
    if record is None:
        raise HTTPException(404, f"no material with id {material_id}")
    return record


def material(request: Request) -> Response:
    """A material page: composition, σ(T) with fits per source, Ea by method, structures, runs."""
    web = web_of(request)
    material_id = path_id(request, "material_id")
    params: MaterialParams = params_of(request, MaterialParams)
    record = _material_or_404(web, material_id)
    points = browse_rows.conductivity_points(web.store, [material_id])
    fits = source_fits(points.frame, str(record["formula"]))
    ea = browse_rows.activation_energies(web.store, material_id)
    structures = browse_rows.structures(web.store, material_id)
    tables = {
        "sigma": points.frame,
        "fits": fits.table,
        "ea": ea.frame.drop(columns=["parameters"]),
        "structures": structures.frame,
    }
    stem = f"material_{material_id}"
    if params.format == "csv":
        return csv_response(tables[params.table], f"{stem}_{params.table}.csv")
    if params.format == "json":
        extra = {"store": web.display_url, "material": record, "skipped_fits": fits.skipped}
        return json_response(tables, extra, f"{stem}.json")
    if params.format == "py":
        return snippet_response(
            material_snippet(web.display_url, material_id, str(record["formula"])), f"{stem}.py"
        )
    groups = []
    for label, group in source_groups(points.frame):
        sub = source_fits(group, str(record["formula"]))
        groups.append((label, group, sub))
    figure = arrhenius_figure(groups, f"{record['formula']}: σ(T) by source") if groups else None
    return web.render(
        request,
        "material.html",
        material=record,
        points=points,
        fits=fits,
        ea=ea,
        ea_rows=ea_table(ea.frame),
        structures=structures,
        figure=figure,
        n_points=len(points.frame),
    )


def structure_cif(request: Request) -> Response:
    """The CIF text of a structure, as a download."""
    web = web_of(request)
    structure_id = path_id(request, "structure_id")
    params_of(request, TableParams)  # refuse unknown parameters
    found = browse_rows.structure_cif(web.store, structure_id)
    if found is None:
        raise HTTPException(404, f"no structure with id {structure_id}")
    material_id, cif = found
    return Response(
        cif,
        media_type="chemical/x-cif",
        headers={
            "Content-Disposition": f'attachment; filename="material_{material_id}_'
            f'structure_{structure_id}.cif"'
        },
    )


def _run_row(web: Any, ea_id: int) -> dict[str, Any]:
    row = browse_rows.activation_energy(web.store, ea_id)
    if row is None:
        raise HTTPException(404, f"no activation energy with id {ea_id}")
    if not isinstance(row.get("run_folder"), str) or not row["run_folder"]:
        raise HTTPException(404, f"activation energy {ea_id} has no run folder")
    return row


def figure_files(folder: str) -> list[str]:
    """Names of the PNG figures in ``<folder>/figures`` (empty when the folder is gone)."""
    figures = Path(folder) / "figures"
    try:
        return sorted(p.name for p in figures.iterdir() if p.is_file() and FIGURE_NAME.match(p.name))
    except OSError:
        return []


def run(request: Request) -> Response:
    """A computed Ea's run: its parameters, the recorded run summary and its figures (FES, track ...)."""
    web = web_of(request)
    ea_id = path_id(request, "ea_id")
    params_of(request, TableParams)
    row = _run_row(web, ea_id)
    folder = str(row["run_folder"])
    runs = browse_rows.runs_in_folders(web.store, [folder])
    summary = runs.frame["summary"].iloc[-1] if len(runs.frame) else None
    return web.render(
        request,
        "run.html",
        row=row,
        folder=folder,
        figures=figure_files(folder),
        folder_exists=Path(folder).is_dir(),
        summary=summary,
        parameters=row.get("parameters"),
        runs=runs.frame,
    )


def run_figure(request: Request) -> Response:
    """One PNG of a run folder's ``figures`` listing."""
    web = web_of(request)
    ea_id = path_id(request, "ea_id")
    name = str(request.path_params["name"])
    if not FIGURE_NAME.match(name):
        raise HTTPException(404, "a figure name is a plain .png file name")
    folder = str(_run_row(web, ea_id)["run_folder"])
    if name not in figure_files(folder):
        raise HTTPException(404, f"no figure {name!r} in the run folder")
    path = Path(folder) / "figures" / name
    if path.stat().st_size > MAX_FIGURE_BYTES:
        raise HTTPException(413, f"{name} is larger than {MAX_FIGURE_BYTES} bytes")
    return Response(path.read_bytes(), media_type="image/png")


def ea_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Activation energies ordered for display: experiment first, then methods by name."""
    order = frame["method"].ne("experiment")
    return frame.assign(_o=order).sort_values(["_o", "method", "ea_id"]).drop(columns="_o")
