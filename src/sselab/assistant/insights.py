"""Insight recipes: the paper's two LLM insights as named analyses that run without any LLM.

``neutral-molecules`` (LLM insight 1): hydrides of one valence with against without neutral molecules in the
lattice; Ea distributions (medians, counts, Mann–Whitney U) and, where σ(T) points exist, conductivities.
``methods-vs-experiment`` (LLM insight 2): each simulation method's Ea against experiment (R², MAE, N).

Each recipe returns a :class:`~sselab.assistant.results.ToolResult` with the numbers, the rows used, their
DOIs, a PNG figure and a CSV of the rows; the conclusion is computed from the data, never assumed.

Example::

    >>> [r.name for r in RECIPES]
    ['neutral-molecules', 'methods-vs-experiment']
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from sselab.assistant.methods_insight import methods_vs_experiment
from sselab.assistant.registry import Tool, ToolContext
from sselab.assistant.results import ToolResult, dois_of

logger = logging.getLogger(__name__)

#: Temperature window (K) for "near room temperature" conductivities.
ROOM_WINDOW_K = (290.0, 320.0)


def _has_neutral(frame: pd.DataFrame) -> pd.Series:
    count = pd.to_numeric(frame["neutral_count"], errors="coerce").fillna(0.0)
    named = frame["neutral_molecule"].fillna("").astype(str).str.strip().str.len() > 0
    return (count > 0) | named


def _describe(values: pd.Series) -> dict[str, Any]:
    arr = values.dropna().to_numpy(dtype=float)
    if arr.size == 0:
        return {"n": 0}
    return {
        "n": int(arr.size),
        "median": float(np.median(arr)),
        "mean": float(arr.mean()),
        "q25": float(np.quantile(arr, 0.25)),
        "q75": float(np.quantile(arr, 0.75)),
        "min": float(arr.min()),
        "max": float(arr.max()),
    }


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g} S/cm"


def _mann_whitney(a: pd.Series, b: pd.Series) -> dict[str, Any] | None:
    # lazy: scipy.stats takes ~0.5 s to import; only this statistic needs it
    from scipy.stats import mannwhitneyu

    x, y = a.dropna().to_numpy(dtype=float), b.dropna().to_numpy(dtype=float)
    if x.size < 2 or y.size < 2:
        return None
    test = mannwhitneyu(x, y, alternative="two-sided")
    return {"u": float(test.statistic), "p_value": float(test.pvalue), "alternative": "two-sided"}


def _ea_verdict(
    with_stats: dict[str, Any], without_stats: dict[str, Any], test: dict[str, Any] | None
) -> str:
    if with_stats["n"] == 0 or without_stats["n"] == 0:
        return "cannot compare Ea: one group has no values"
    lower = with_stats["median"] < without_stats["median"]
    p_text = "no test (too few values)" if test is None else f"Mann–Whitney p = {test['p_value']:.3g}"
    direction = "lower" if lower else "not lower"
    verdict = (
        f"median Ea with neutral molecules {with_stats['median']:.3f} eV (n={with_stats['n']}) "
        f"is {direction} than without {without_stats['median']:.3f} eV (n={without_stats['n']}); {p_text}"
    )
    if lower and test is not None and test["p_value"] < 0.05:
        return verdict + ": supports the paper's finding that neutral molecules lower the barrier"
    if lower:
        return verdict + ": same direction as the paper's finding, but not statistically significant"
    return verdict + ": the stored Ea values do NOT show lower barriers with neutral molecules"


def neutral_molecules(
    context: ToolContext,
    valence: int = 2,
    dataset: str | None = "wang2025-ea",
    figure: bool = True,
    tool: str = "insight_neutral_molecules",
) -> ToolResult:
    """LLM insight 1: materials of ``valence`` with against without neutral molecules.

    Parameters
    ----------
    context
        Tool context (store and output folder).
    valence
        Cation valence compared (2: divalent hydrides, as in the paper).
    dataset
        Dataset of the experimental Ea (``None``: all experimental Ea in the store).
    figure
        Write the figure (Ea distributions; σ vs 1000/T when σ(T) points exist).
    """
    store = context.store
    ea = store.activation_energy_frame(method="experiment", dataset=dataset)
    ea = ea[pd.to_numeric(ea["valence"], errors="coerce") == valence].copy()
    ea["with_neutral"] = _has_neutral(ea)
    sigma = store.conductivity_frame(valence=valence)
    sigma = sigma.copy()
    sigma["with_neutral"] = _has_neutral(sigma)

    with_ea, without_ea = (
        ea.loc[ea["with_neutral"], "activation_energy_ev"],
        ea.loc[~ea["with_neutral"], "activation_energy_ev"],
    )
    stats_with, stats_without = _describe(with_ea), _describe(without_ea)
    test = _mann_whitney(with_ea, without_ea)
    findings = [
        f"{valence}-valent materials with experimental Ea: {stats_with['n']} with neutral molecules, "
        f"{stats_without['n']} without"
        + (
            " (materials without neutral molecules are the rarer group, as the paper says)"
            if stats_without["n"] < stats_with["n"]
            else ""
        ),
        _ea_verdict(stats_with, stats_without, test),
    ]
    if stats_with["n"] and stats_without["n"]:
        low_with = ea.loc[with_ea.idxmin()]
        low_without = ea.loc[without_ea.idxmin()]
        findings.append(
            f"lowest Ea with neutral molecules {low_with['activation_energy_ev']:.3f} eV "
            f"({low_with['formula']}, {low_with['phase']}); "
            f"without {low_without['activation_energy_ev']:.3f} eV "
            f"({low_without['formula']}, {low_without['phase']})"
        )
    sigma_data: dict[str, Any] = {"n_points": len(sigma)}
    if len(sigma):
        room = sigma[sigma["temperature_k"].between(*ROOM_WINDOW_K)]
        for label, mask in (("with", sigma["with_neutral"]), ("without", ~sigma["with_neutral"])):
            sigma_data[label] = {
                "n_points": int(mask.sum()),
                "n_materials": int(sigma.loc[mask, "material_id"].nunique()),
                "room_temperature": _describe(
                    room.loc[room["with_neutral"] == bool(label == "with"), "conductivity_s_per_cm"]
                ),
                "max_s_per_cm": float(sigma.loc[mask, "conductivity_s_per_cm"].max()) if mask.any() else None,
            }
        findings.append(
            f"σ(T): {sigma_data['with']['n_materials']} materials with and "
            f"{sigma_data['without']['n_materials']} without neutral molecules have σ(T) points; "
            f"median σ at {ROOM_WINDOW_K[0]:.0f}-{ROOM_WINDOW_K[1]:.0f} K: "
            f"{_fmt(sigma_data['with']['room_temperature'].get('median'))} with vs "
            f"{_fmt(sigma_data['without']['room_temperature'].get('median'))} without"
        )
    else:
        findings.append(
            f"no σ(T) points stored for {valence}-valent materials: conductivities cannot be compared"
        )

    used = pd.concat(
        [ea.assign(kind="activation_energy"), sigma.assign(kind="conductivity")], ignore_index=True
    )
    columns = [
        c
        for c in (
            "kind",
            "formula",
            "cation",
            "valence",
            "anion_family",
            "neutral_molecule",
            "neutral_count",
            "with_neutral",
            "activation_energy_ev",
            "phase",
            "temperature_k",
            "conductivity_s_per_cm",
            "doi",
            "dataset",
        )
        if c in used.columns
    ]
    table = used[columns].reset_index(drop=True)
    figures: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    if figure and len(ea):
        figures = (str(_neutral_figure(context, ea, sigma, valence)),)
    if len(table):
        csv = context.figure_path("insight-neutral-molecules").with_suffix(".csv")
        table.to_csv(csv, index=False)
        files = (str(csv),)
    data = {
        "valence": valence,
        "dataset": dataset,
        "ea_with_neutral_ev": stats_with,
        "ea_without_neutral_ev": stats_without,
        "mann_whitney": test,
        "conductivity": sigma_data,
        "findings": findings,
    }
    return ToolResult(
        tool=tool,
        ok=True,
        summary=" | ".join(findings),
        data=data,
        table=table,
        dois=dois_of(table),
        figures=figures,
        files=files,
    )


def _neutral_figure(context: ToolContext, ea: pd.DataFrame, sigma: pd.DataFrame, valence: int) -> Any:
    # lazy: matplotlib takes ~0.5 s to import; only drawing a figure needs it
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = 2 if len(sigma) else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.0 * panels, 4.2), dpi=120, squeeze=False)
    try:
        ax = axes[0][0]
        groups = [
            ea.loc[~ea["with_neutral"], "activation_energy_ev"],
            ea.loc[ea["with_neutral"], "activation_energy_ev"],
        ]
        labels = [f"without\n(n={len(groups[0])})", f"with neutral molecules\n(n={len(groups[1])})"]
        ax.boxplot([g.to_numpy() for g in groups], tick_labels=labels, showfliers=False)
        rng = np.random.default_rng(0)
        for i, g in enumerate(groups, start=1):
            ax.scatter(i + rng.uniform(-0.12, 0.12, len(g)), g, s=14, alpha=0.7)
        ax.set_ylabel("experimental Ea (eV)")
        ax.set_title(f"valence {valence}: Ea with/without neutral molecules")
        if panels == 2:
            ax2 = axes[0][1]
            for flag, label in ((False, "without"), (True, "with neutral molecules")):
                part = sigma[sigma["with_neutral"] == flag]
                if len(part):
                    ax2.scatter(
                        1000.0 / part["temperature_k"], part["conductivity_s_per_cm"], s=10, label=label
                    )
            ax2.set_yscale("log")
            ax2.set_xlabel("1000/T (1/K)")
            ax2.set_ylabel("σ (S/cm)")
            ax2.legend(fontsize=8)
        fig.tight_layout()
        path = context.figure_path(f"insight-neutral-molecules-valence{valence}")
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path


class NeutralMoleculesArgs(BaseModel):
    """Parameters of the ``neutral-molecules`` recipe."""

    model_config = ConfigDict(extra="forbid")
    valence: int = Field(2, ge=1, le=4, description="Cation valence compared (2: divalent hydrides).")
    dataset: str | None = Field("wang2025-ea", description="Dataset of the experimental Ea (null: all).")
    figure: bool = Field(True, description="Write the figure.")


class MethodsVsExperimentArgs(BaseModel):
    """Parameters of the ``methods-vs-experiment`` recipe."""

    model_config = ConfigDict(extra="forbid")
    methods: list[str] | None = Field(None, description="Only these methods (default: all computed methods).")
    figure: bool = Field(True, description="Write the parity plot.")


def _run_neutral(context: ToolContext, args: NeutralMoleculesArgs) -> ToolResult:
    return neutral_molecules(context, valence=args.valence, dataset=args.dataset, figure=args.figure)


def _run_methods(context: ToolContext, args: MethodsVsExperimentArgs) -> ToolResult:
    return methods_vs_experiment(context, methods=args.methods, figure=args.figure)


@dataclass(frozen=True)
class Recipe:
    """A named insight: its tool name, description (used for matching questions), parameters and runner."""

    name: str
    tool_name: str
    title: str
    description: str
    args_model: type[BaseModel]
    run: Callable[[ToolContext, Any], ToolResult]

    def as_tool(self) -> Tool:
        """The recipe as an assistant tool."""
        return Tool(self.tool_name, f"{self.title}. {self.description}", self.args_model, self.run)


RECIPES = (
    Recipe(
        "neutral-molecules",
        "insight_neutral_molecules",
        "LLM insight 1: hydride electrolytes with and without neutral molecules",
        "Do neutral molecules (NH3, H2O, CH3NH2, en, THF, diglyme) in the lattice of divalent Mg, Ca, Zn "
        "hydride solid electrolytes lower the activation energy and raise the ionic conductivity? Compares "
        "Ea distributions (median, count, Mann-Whitney test) and conductivities of materials with and "
        "without neutral molecules, for one cation valence, with a figure.",
        NeutralMoleculesArgs,
        _run_neutral,
    ),
    Recipe(
        "methods-vs-experiment",
        "insight_methods_vs_experiment",
        "LLM insight 2: simulation methods against experiment",
        "How far are computed activation energies from experiment for each simulation method (MetaD "
        "metadynamics, CI-NEB nudged elastic band, AIMD, MLMD machine-learning molecular dynamics, BVSE)? "
        "Benchmark table with R2, MAE, RMSE and N per method and a parity plot of computed versus "
        "experimental Ea.",
        MethodsVsExperimentArgs,
        _run_methods,
    ),
)


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name`` (its recipe name or tool name)."""
    for recipe in RECIPES:
        if name in (recipe.name, recipe.tool_name):
            return recipe
    raise LookupError(f"no insight recipe {name!r}; recipes: {', '.join(r.name for r in RECIPES)}")


def run_recipe(name: str, context: ToolContext, **parameters: Any) -> ToolResult:
    """Run recipe ``name`` with validated ``parameters`` (pydantic errors name the bad parameter)."""
    recipe = get_recipe(name)
    return recipe.run(context, recipe.args_model.model_validate(parameters))


def rank_recipes(question: str, top: int | None = None) -> list[tuple[Recipe, float]]:
    """Recipes ranked by TF-IDF cosine similarity of ``question`` to their titles and descriptions."""
    # lazy: scikit-learn takes ~1.5 s to import; only ranking recipes needs it
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    documents = [f"{r.name.replace('-', ' ')} {r.title} {r.description}" for r in RECIPES]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True)
    matrix = vectorizer.fit_transform([*documents, question])
    scores = cosine_similarity(matrix[len(documents)], matrix[: len(documents)]).ravel()
    ranked = sorted(zip(RECIPES, (float(s) for s in scores), strict=True), key=lambda rs: -rs[1])
    return ranked[:top] if top is not None else ranked


TOOLS = tuple(recipe.as_tool() for recipe in RECIPES)
