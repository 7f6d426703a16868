"""The ``make_figure`` tool: a validated plot spec over rows of an earlier result or a read-only query -> PNG.

Example::

    >>> spec = PlotSpec(source_result_id="r1", x="temperature_k", y="conductivity_s_per_cm", log_y=True)
    >>> spec.kind
    'scatter'
"""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sselab.assistant.registry import Tool, ToolContext
from sselab.assistant.results import ToolResult, dois_of
from sselab.store.readonly import readonly_query

logger = logging.getLogger(__name__)


class PlotSpec(BaseModel):
    """A figure request; the rows come from ``source_result_id`` (an earlier tool result) or ``sql``."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["scatter", "line"] = Field(
        "scatter", description="scatter: points; line: one line per group."
    )
    source_result_id: str | None = Field(None, description="Id of an earlier tool result (r1, r2, ...).")
    sql: str | None = Field(None, description="Or: one read-only SELECT giving the rows.")
    x: str = Field(..., description="Column for the x axis.")
    y: str = Field(..., description="Column for the y axis.")
    x_transform: Literal["none", "inverse_1000"] = Field(
        "none", description="inverse_1000 plots 1000/x (Arrhenius axis 1000/T from temperature_k)."
    )
    log_x: bool = False
    log_y: bool = False
    color_by: str | None = Field(None, description="Column colouring points (categorical or numeric).")
    size_by: str | None = Field(None, description="Numeric column scaling point size.")
    group_by: str | None = Field(None, description="For kind=line: one line per value of this column.")
    title: str | None = Field(None, max_length=200)
    x_label: str | None = Field(None, max_length=100)
    y_label: str | None = Field(None, max_length=100)

    @model_validator(mode="after")
    def _one_source(self) -> PlotSpec:
        if (self.source_result_id is None) == (self.sql is None):
            raise ValueError("give exactly one of source_result_id or sql")
        return self


def _rows_for(context: ToolContext, spec: PlotSpec) -> tuple[pd.DataFrame, tuple[str, ...], tuple[str, ...]]:
    if spec.source_result_id is not None:
        if spec.source_result_id not in context.results:
            known = ", ".join(context.results) or "none yet"
            raise LookupError(f"no result {spec.source_result_id!r}; results with rows: {known}")
        earlier = context.results[spec.source_result_id]
        if earlier.table is None:
            raise LookupError(f"result {spec.source_result_id!r} ({earlier.tool}) has no rows to plot")
        return earlier.table, earlier.dois, ()

    result = readonly_query(
        context.store_url,
        spec.sql or "",
        max_rows=context.max_rows,
        timeout_s=context.timeout_s,
        max_sql_chars=context.max_sql_chars,
    )
    return result.rows, dois_of(result.rows), (result.sql,)


def _check_columns(frame: pd.DataFrame, spec: PlotSpec) -> None:
    for role in ("x", "y", "color_by", "size_by", "group_by"):
        column = getattr(spec, role)
        if column is not None and column not in frame.columns:
            raise LookupError(
                f"{role}={column!r} is not a column; columns: {', '.join(map(str, frame.columns))}"
            )
    for role in ("x", "y", "size_by"):
        column = getattr(spec, role)
        if column is not None and not pd.api.types.is_numeric_dtype(
            pd.to_numeric(frame[column], errors="coerce")
        ):
            raise ValueError(f"{role}={column!r} is not numeric")


def render_plot(frame: pd.DataFrame, spec: PlotSpec, path: str) -> int:
    """Draw ``frame`` as ``spec`` says into the PNG ``path``; returns the number of points drawn.

    Rows with a missing or non-finite x or y, and non-positive values on a log axis, are left out.
    """
    # lazy: matplotlib takes ~0.5 s to import; only drawing a figure needs it
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = frame.copy()
    data["_x"] = pd.to_numeric(data[spec.x], errors="coerce")
    data["_y"] = pd.to_numeric(data[spec.y], errors="coerce")
    if spec.x_transform == "inverse_1000":
        data["_x"] = 1000.0 / data["_x"]
    keep = np.isfinite(data["_x"]) & np.isfinite(data["_y"])
    if spec.log_x:
        keep &= data["_x"] > 0
    if spec.log_y:
        keep &= data["_y"] > 0
    data = data[keep]
    if data.empty:
        raise ValueError("no plottable rows (x and y missing, or not positive on a log axis)")

    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=120)
    try:
        sizes: np.ndarray | float = 30.0
        if spec.size_by is not None:
            values = pd.to_numeric(data[spec.size_by], errors="coerce").to_numpy(dtype=float)
            finite = np.isfinite(values)
            lo, hi = (np.nanmin(values), np.nanmax(values)) if finite.any() else (0.0, 1.0)
            scaled = (values - lo) / (hi - lo) if hi > lo else np.full_like(values, 0.5)
            sizes = np.where(finite, 15.0 + 135.0 * scaled, 10.0)
        group_col = spec.group_by if spec.kind == "line" else spec.color_by
        if spec.kind == "line":
            groups = data.groupby(group_col, sort=True) if group_col else [(None, data)]
            for label, part in groups:
                part = part.sort_values("_x")
                ax.plot(
                    part["_x"],
                    part["_y"],
                    marker="o",
                    markersize=3,
                    label=None if label is None else str(label),
                )
        elif spec.color_by is not None and pd.api.types.is_numeric_dtype(data[spec.color_by]):
            points = ax.scatter(
                data["_x"], data["_y"], c=data[spec.color_by], s=sizes, cmap="viridis", alpha=0.8
            )
            fig.colorbar(points, ax=ax, label=spec.color_by)
        elif spec.color_by is not None:
            for label, part in data.groupby(spec.color_by, sort=True):
                part_sizes = (
                    sizes if np.isscalar(sizes) else np.asarray(sizes)[data.index.get_indexer(part.index)]
                )
                ax.scatter(part["_x"], part["_y"], s=part_sizes, alpha=0.8, label=str(label))
        else:
            ax.scatter(data["_x"], data["_y"], s=sizes, alpha=0.8)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="best")
        if spec.log_x:
            ax.set_xscale("log")
        if spec.log_y:
            ax.set_yscale("log")
        default_x = f"1000/{spec.x}" if spec.x_transform == "inverse_1000" else spec.x
        ax.set_xlabel(spec.x_label or default_x)
        ax.set_ylabel(spec.y_label or spec.y)
        if spec.title:
            ax.set_title(spec.title)
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)
    return len(data)


def make_figure(context: ToolContext, spec: PlotSpec) -> ToolResult:
    """Validate ``spec`` against the rows and write a PNG into the context's output folder."""
    frame, dois, sql = _rows_for(context, spec)
    _check_columns(frame, spec)
    stem = f"figure-{spec.kind}-{spec.y}-vs-{spec.x}".replace("/", "_")
    path = context.figure_path(stem)
    n_points = render_plot(frame, spec, str(path))
    logger.info("wrote %s (%d points)", path, n_points)
    return ToolResult(
        tool="make_figure",
        ok=True,
        summary=f"wrote {path} with {n_points} points",
        data={"n_points": n_points, "spec": spec.model_dump(exclude_none=True)},
        dois=dois,
        sql=sql,
        figures=(str(path),),
    )


TOOLS = (
    Tool(
        "make_figure",
        "Plot rows of an earlier result (source_result_id) or of one read-only SELECT (sql) as a scatter or "
        "line chart to PNG: x/y columns, optional 1000/T axis, log axes, colour and size by column.",
        PlotSpec,
        make_figure,
    ),
)
