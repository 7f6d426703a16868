"""Helpers of stage functions: parameter checks, JSON-safe tables, errors for missing dependencies."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sselab.errors import PipelineError

if TYPE_CHECKING:
    import pandas as pd

    from sselab.pipeline.runner import StageContext


def records(frame: pd.DataFrame, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of ``frame`` as JSON-safe dicts (NaN -> None), the first ``limit`` when given."""
    part = frame if limit is None else frame.head(limit)
    return list(json.loads(part.to_json(orient="records", date_format="iso", default_handler=str)))


def checked_params(ctx: StageContext, defaults: dict[str, Any]) -> dict[str, Any]:
    """The stage's parameters over ``defaults``; an unknown key is a :class:`PipelineError` naming it."""
    unknown = sorted(set(ctx.params) - set(defaults))
    if unknown:
        raise PipelineError(
            f"[stages.{ctx.name}]: unknown parameter(s) {unknown}; known: {', '.join(sorted(defaults))}"
        )
    return {**defaults, **ctx.params}


def require_api(what: str, exc: Exception) -> PipelineError:
    """The error of a stage whose package function is missing or broken (names what is missing)."""
    return PipelineError(f"missing or broken dependency {what}: {type(exc).__name__}: {exc}")
