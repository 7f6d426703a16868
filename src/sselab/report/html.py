"""A self-contained HTML report: figures embedded as base64 PNG, tables, provenance.

Example::

    >>> from sselab.report.html import ReportSection, write_html_report
    >>> section = ReportSection("Data", text="Rows imported per dataset.", figures=[], tables={})
    >>> write_html_report("out/report.html", "sselab report", [section], provenance={})  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
color:#222;line-height:1.45;padding:0 1em}
h1{border-bottom:2px solid #345;padding-bottom:.2em}h2{color:#345;margin-top:2em;border-bottom:1px solid #ccd}
figure{margin:1em 0;text-align:center}figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.9em;color:#555}table{border-collapse:collapse;font-size:.85em;margin:1em 0}
th,td{border:1px solid #ccd;padding:.25em .5em;text-align:right}th{background:#eef}
td:first-child,th:first-child{text-align:left}pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:.8em}
.note{color:#a33}
"""


@dataclass(frozen=True)
class ReportSection:
    """One section of the report.

    Attributes
    ----------
    title
        Section heading.
    text
        Paragraph text (plain; escaped).
    figures
        PNG files to embed, with captions: ``[(path, caption), ...]``; missing files are noted, not fatal.
    tables
        Tables to show, by caption.
    notes
        Warnings shown in the section (e.g. a stage that produced nothing and why).
    """

    title: str
    text: str = ""
    figures: Sequence[tuple[str | Path, str]] = field(default_factory=tuple)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    notes: Sequence[str] = field(default_factory=tuple)


def _figure_html(path: str | Path, caption: str) -> str:
    path = Path(path)
    if not path.is_file():
        return f'<p class="note">Figure missing: {html.escape(str(path))}</p>'
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _table_html(caption: str, frame: pd.DataFrame, max_rows: int = 50) -> str:
    shown = frame.head(max_rows)
    more = f"<p>({len(frame) - max_rows} more rows not shown)</p>" if len(frame) > max_rows else ""
    table = shown.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0, escape=True)
    return f"<h3>{html.escape(caption)}</h3>{table}{more}"


def render_html_report(title: str, sections: Sequence[ReportSection], provenance: Mapping[str, Any]) -> str:
    """Return the report as one HTML string (no external resources)."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Generated {datetime.now(UTC).isoformat(timespec='seconds')} by sselab.</p>",
        "<nav><ol>"
        + "".join(f"<li><a href='#s{i}'>{html.escape(s.title)}</a></li>" for i, s in enumerate(sections))
        + "<li><a href='#provenance'>Provenance</a></li></ol></nav>",
    ]
    for i, section in enumerate(sections):
        parts.append(f"<section id='s{i}'><h2>{html.escape(section.title)}</h2>")
        if section.text:
            parts.extend(f"<p>{html.escape(p)}</p>" for p in section.text.split("\n\n"))
        parts.extend(f'<p class="note">{html.escape(n)}</p>' for n in section.notes)
        parts.extend(_figure_html(path, caption) for path, caption in section.figures)
        parts.extend(_table_html(caption, frame) for caption, frame in section.tables.items())
        parts.append("</section>")
    parts.append("<section id='provenance'><h2>Provenance</h2><pre>")
    parts.append(html.escape(json.dumps(provenance, indent=2, sort_keys=True, default=str)))
    parts.append("</pre></section></body></html>")
    return "\n".join(parts)


def write_html_report(
    path: str | Path, title: str, sections: Sequence[ReportSection], provenance: Mapping[str, Any]
) -> Path:
    """Write the self-contained report to ``path`` and return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html_report(title, sections, provenance), encoding="utf-8")
    return path
