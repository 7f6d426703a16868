"""Results of assistant tools: what a tool hands back to the model, the transcript and the user.

A tool never raises into the agent loop: it returns a :class:`ToolResult` whose ``ok`` is False and whose
``error`` names the bad argument or the refused statement, so the model can correct itself.

Example::

    >>> r = ToolResult.failure("run_sql", "UnsafeQueryError", "only SELECT is allowed")
    >>> r.ok, r.error_type
    (False, 'UnsafeQueryError')
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: Rows of a table result sent to the model (the full table stays in the tool context for figures).
MODEL_ROW_PREVIEW = 50
#: Longest text of one cell (or error) sent to the model, in characters; longer text is cut and marked.
MODEL_CELL_CHARS = 500
#: Longest tool message sent to the model, in characters of JSON (rows are dropped, then text cut, to fit).
MODEL_MESSAGE_CHARS = 20_000


def clip_text(value: Any, limit: int = MODEL_CELL_CHARS) -> Any:
    """``value`` with every string longer than ``limit`` cut and marked ``…[cut: N characters]``."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]}…[cut: {len(value)} characters]"
    if isinstance(value, dict):
        return {k: clip_text(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [clip_text(v, limit) for v in value]
    return value


def json_safe(value: Any) -> Any:
    """Convert numpy/pandas scalars, NaN and containers to plain JSON values (NaN -> None)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT or (
        not isinstance(value, str | bytes | bool | int | float) and pd.isna(value) is True
    ):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, str | bool | int | float) or value is None:
        return value
    return str(value)


def frame_records(frame: pd.DataFrame, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of ``frame`` as JSON-safe dictionaries (the first ``limit`` rows when given)."""
    part = frame if limit is None else frame.head(limit)
    return [json_safe(dict(zip(part.columns, row, strict=True))) for row in part.itertuples(index=False)]


def dois_of(frame: pd.DataFrame | None, column: str = "doi") -> tuple[str, ...]:
    """Distinct, sorted, non-empty DOIs in ``frame[column]`` (empty when the column is absent)."""
    if frame is None or column not in frame.columns:
        return ()
    values = {str(v).strip() for v in frame[column].dropna() if str(v).strip()}
    return tuple(sorted(values))


def merge_dois(*groups: Iterable[str]) -> tuple[str, ...]:
    """Union of DOI groups, sorted."""
    return tuple(sorted({d for group in groups for d in group}))


def digest(value: Any) -> str:
    """sha256 of the canonical JSON of ``value`` (floats rounded to 12 significant digits)."""

    def _round(v: Any) -> Any:
        if isinstance(v, float):
            return float(f"{v:.12g}")
        if isinstance(v, dict):
            return {k: _round(x) for k, x in v.items()}
        if isinstance(v, list):
            return [_round(x) for x in v]
        return v

    text = json.dumps(_round(json_safe(value)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ToolResult:
    """Outcome of one tool call.

    Attributes
    ----------
    tool
        Tool name.
    ok
        False when the call was refused or failed; ``error_type`` and ``error`` then say why.
    summary
        One or two sentences for the model and the transcript.
    data
        JSON-safe numbers behind the summary (fits, statistics, counts).
    table
        Rows the tool produced or used (kept whole here; the model sees a preview).
    dois
        DOIs of the rows the result is based on.
    sql
        SQL statements run on the store (free SQL only; structured tools list none).
    figures
        Paths of PNG files written.
    files
        Other files written (CSV tables).
    """

    tool: str
    ok: bool
    summary: str
    data: dict[str, Any] = field(default_factory=dict)
    table: pd.DataFrame | None = None
    dois: tuple[str, ...] = ()
    sql: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    error_type: str | None = None
    error: str | None = None

    @classmethod
    def failure(cls, tool: str, error_type: str, message: str) -> ToolResult:
        """A refused or failed call; ``message`` is shown to the model so it can retry."""
        return cls(
            tool=tool, ok=False, summary=f"{error_type}: {message}", error_type=error_type, error=message
        )

    def result_digest(self) -> str:
        """sha256 over the result's numbers, rows and DOIs (not file paths): equal results, equal digests."""
        rows = frame_records(self.table) if self.table is not None else None
        return digest(
            {
                "ok": self.ok,
                "error_type": self.error_type,
                "data": self.data,
                "rows": rows,
                "dois": list(self.dois),
            }
        )

    def for_model(self, result_id: str | None = None, row_limit: int = MODEL_ROW_PREVIEW) -> dict[str, Any]:
        """The JSON object sent back to the model as the tool message (strings clipped, see
        :data:`MODEL_CELL_CHARS`; use :meth:`model_message` for the size-bounded text)."""
        if not self.ok:
            return {
                "ok": False,
                "error_type": self.error_type,
                "error": clip_text(self.error),
                "hint": "The call was refused or failed; fix the arguments and call again.",
            }
        out: dict[str, Any] = {"ok": True, "summary": self.summary}
        if result_id is not None:
            out["result_id"] = result_id
        if self.data:
            out["data"] = json_safe(self.data)
        if self.table is not None:
            out["columns"] = [str(c) for c in self.table.columns]
            out["n_rows"] = len(self.table)
            out["rows"] = clip_text(frame_records(self.table, row_limit))
            if len(self.table) > row_limit:
                out["rows_note"] = f"first {row_limit} of {len(self.table)} rows shown"
        out["dois"] = list(self.dois)
        if self.sql:
            out["sql"] = list(self.sql)
        if self.figures:
            out["figures"] = list(self.figures)
        if self.files:
            out["files"] = list(self.files)
        return out

    def model_message(self, result_id: str | None = None, max_chars: int = MODEL_MESSAGE_CHARS) -> str:
        """The tool message as JSON text of at most ``max_chars`` characters (the model never gets more).

        Rows are dropped from the preview until the message fits (``rows_note`` says how many are shown);
        if it still does not fit, the text is cut and the message says so.
        """
        limit = MODEL_ROW_PREVIEW
        while True:
            payload = self.for_model(result_id, row_limit=limit)
            if self.table is not None and limit < min(MODEL_ROW_PREVIEW, len(self.table)):
                payload["rows_note"] = (
                    f"first {limit} of {len(self.table)} rows shown (tool messages are cut to {max_chars} "
                    "characters)"
                )
            text = json.dumps(payload, ensure_ascii=False, default=str)
            if len(text) <= max_chars or self.table is None or limit == 0:
                break
            limit //= 2
        if len(text) > max_chars:
            note = f"…[message cut to {max_chars} characters of {len(text)}]"
            text = text[: max(0, max_chars - len(note))] + note
        return text

    def audit_record(self) -> dict[str, Any]:
        """What the transcript keeps of this result (no full table: a digest and the row count)."""
        return {
            "ok": self.ok,
            "summary": self.summary,
            "error_type": self.error_type,
            "error": self.error,
            "data": json_safe(self.data),
            "n_rows": None if self.table is None else len(self.table),
            "dois": list(self.dois),
            "sql": list(self.sql),
            "figures": list(self.figures),
            "files": list(self.files),
            "digest": self.result_digest(),
        }
