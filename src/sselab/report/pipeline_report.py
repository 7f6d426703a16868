"""The pipeline's HTML report: one section per stage with its figures and tables, and the provenance.

Sections follow the paper: data (Figure 1b), insights, method benchmark (1c/2b), metadynamics (FES and track,
as in Figure 2), descriptors and fits (3a, 3b), screening (4a), structure search (4b), validation. A stage
that did not run, or failed, gets a note instead of figures.

Example
-------
>>> write_pipeline_report("out/report/report.html", "sselab", upstream, {}, store)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from sselab.report.html import ReportSection, write_html_report
from sselab.simulate.metad.result import MetaDResult
from sselab.structures.recipe import SearchSummary

_TITLES = {
    "data": "Data: the public datasets (Figure 1b)",
    "insights": "LLM insights as recipes",
    "method_benchmark": "Simulation methods against experiment (Figures 1c, 2b)",
    "metad": "Metadynamics of given structures (Figure 2: FES and cation track)",
    "fit": "Descriptors and Ea regression (Figures 3a, 3b)",
    "screening": "Screening of candidates (Figure 4a)",
    "search": "Structure search of the top candidates (Figure 4b)",
    "validation": "Metadynamics validation of the searched structures",
}


def _frame(rows: Any) -> pd.DataFrame:
    return pd.DataFrame(list(rows or []))


def _figures(outputs: Mapping[str, Any], captions: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(str(path), captions.get(key, key)) for key, path in (outputs.get("figures") or {}).items()]


def _metad_row(run: Mapping[str, Any], result: MetaDResult) -> dict[str, Any]:
    b = result.barriers
    return {
        "name": run["name"],
        "material": run.get("material"),
        "protocol": result.protocol,
        "potential": result.potential,
        "temperature_k": result.settings.temperature_k,
        "n_atoms": None if result.structure is None else result.structure.n_atoms,
        "steps_done": result.steps_done,
        "kind": None if b is None else b.kind,
        "barrier_ev": result.reported_ev,
        "ea1_ev": None if b is None else b.ea1_ev,
        "ea2_ev": None if b is None else b.ea2_ev,
        "uncertainty_ev": None if b is None else b.uncertainty_ev,
        "barrier_error": result.barrier_error,
        "converged": result.converged,
        "stored": run.get("stored"),
        "wall_time_s": result.wall_time_s,
        "run_folder": str(result.run_dir),
    }


def _metad_section(outputs: Mapping[str, Any]) -> tuple[list[tuple[str, str]], dict[str, pd.DataFrame]]:
    figures, rows = [], []
    for run in outputs.get("runs", []):
        result = MetaDResult.from_dict(run["result"])
        description = result.structure.description if result.structure is not None else ""
        for key, caption in (("fes", "free-energy surface"), ("track", "cation track (projected CV)"),
                             ("barrier_convergence", "barrier against simulated time")):  # fmt: skip
            path = result.run_dir / "figures" / f"{key}.png"
            if path.is_file():
                figures.append((str(path), f"{run['name']}: {caption} ({description})"))
        rows.append(_metad_row(run, result))
    return figures, {"MetaD runs (barriers in eV)": _frame(rows)}


def _section(name: str, outputs: Mapping[str, Any]) -> ReportSection:
    title, summary = _TITLES.get(name, name), str(outputs.get("summary", ""))
    tables: dict[str, pd.DataFrame] = {}
    figures: list[tuple[str, str]] = []
    if name == "data":
        figures = _figures(
            outputs, {"figure1b": "log σ vs 1000/T of hydrides, coloured by cation (Figure 1b)"}
        )
        tables = {
            "Imports": _frame(outputs.get("imports")),
            "Per dataset": _frame(outputs.get("per_dataset")),
            "Per cation": _frame(outputs.get("per_cation")),
        }
    elif name == "insights":
        for recipe in outputs.get("recipes", []):
            figures += [(f, f"insight {recipe['recipe']}") for f in recipe.get("figures", [])]
        recipes = _frame(outputs.get("recipes"))
        tables = {"Recipes": recipes[[c for c in ("recipe", "ok", "summary") if c in recipes.columns]]}
    elif name == "method_benchmark":
        captions = {"parity": "computed vs experimental Ea per method × potential (Figure 2b style)"}
        figures = _figures(outputs, captions)
        tables = {"Metrics per method × potential, converged values (eV)": _frame(outputs.get("metrics"))}
    elif name in ("metad", "validation"):
        figures, tables = _metad_section(outputs)
    elif name == "fit":
        captions = {
            "figure3a": "R² of single descriptors and best pairs (Figure 3a)",
            "figure3b": "Ea against the fitted combination, lines y1/y2 (Figure 3b)",
        }
        figures = _figures(outputs, captions)
        tables = {
            "Models": _frame(outputs.get("models")),
            "Single descriptors": _frame(outputs.get("singles")),
            "Best pairs": _frame(outputs.get("best_pairs")),
        }
    elif name == "screening":
        figures = _figures(outputs, {"figure4a": "predicted Ea of every candidate (Figure 4a)"})
        tables = {"Lowest predicted Ea per model": _frame(outputs.get("top"))}
    elif name == "search":
        figures = [
            (p, f"{k}: best energy vs individuals sampled") for k, p in (outputs.get("figures") or {}).items()
        ]
        summaries = [SearchSummary.from_dict(s["summary"]) for s in outputs.get("searches", [])]
        best = [{"formula": s.formula, **asdict(b)} for s in summaries for b in s.best]
        tables = {"Best structures": _frame(best)}
    return ReportSection(title, text=summary, figures=figures, tables=tables)


def build_sections(
    upstream: Mapping[str, Mapping[str, Any]], failed: Mapping[str, str]
) -> list[ReportSection]:
    """Report sections for the stages in ``upstream`` (in the paper's order) and notes for ``failed`` ones."""
    sections = []
    for name in _TITLES:
        if name in upstream:
            sections.append(_section(name, upstream[name]))
        elif name in failed:
            sections.append(
                ReportSection(_TITLES[name], notes=(f"stage {name} did not finish: {failed[name]}",))
            )
    return sections


def write_pipeline_report(
    path: str | Path,
    title: str,
    upstream: Mapping[str, Mapping[str, Any]],
    failed: Mapping[str, str],
    store: Any,
    extra_provenance: Mapping[str, Any] | None = None,
    input_hashes: Mapping[str, str] | None = None,
) -> Path:
    """Write the report to ``path``: sections of every stage, store contents and the stages' provenance.

    ``input_hashes`` (stage -> cache key) picks this run's provenance among the cached results of each stage.
    """
    sections = build_sections(upstream, failed)
    stats = pd.DataFrame(sorted(store.stats().items()), columns=["table", "rows"])
    sections.append(ReportSection("Store", text=f"Store {store.url}.", tables={"Rows per table": stats}))
    frame = store.stage_results_frame()
    provenance: dict[str, Any] = dict(extra_provenance or {})
    if not frame.empty:
        stages = frame[~frame["stage"].str.contains("/", regex=False)]
        provenance["stages"] = {
            row.stage: {"input_hash": row.input_hash, "provenance": row.provenance}
            for row in stages.itertuples()
            if row.stage in upstream
            and (input_hashes is None or input_hashes.get(row.stage) == row.input_hash)
        }
        provenance["jobs"] = int(frame["stage"].str.contains("/", regex=False).sum())
    return write_html_report(path, title, sections, provenance)
