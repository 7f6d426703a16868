"""Analysis tools: Arrhenius fit of a material's σ(T), the method benchmark, Ea from a saved model."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from sselab.assistant.methods_insight import methods_vs_experiment
from sselab.assistant.models_adapter import load_saved_model, predict_formulas, training_dois
from sselab.assistant.registry import Tool, ToolContext
from sselab.assistant.results import ToolResult, dois_of, merge_dois
from sselab.transport import fit_arrhenius


class FitArrheniusArgs(BaseModel):
    """Arguments of ``fit_arrhenius_for_material``."""

    model_config = ConfigDict(extra="forbid")
    formula: str | None = Field(None, description="Formula as stored (see filter_materials), e.g. 'Li3PS4'.")
    material_id: int | None = Field(None, description="Or the material_id from an earlier result.")
    dataset: str | None = Field(None, description="Restrict to this dataset when the formula is in several.")
    temperature_min_k: float | None = Field(None, gt=0, description="Use points at or above this T, K.")
    temperature_max_k: float | None = Field(None, gt=0, description="Use points at or below this T, K.")
    form: Literal["sigma_t", "sigma"] = Field("sigma_t", description="Fit ln(σT) (sigma_t) or ln(σ) vs 1/T.")


def _normalise(formula: str) -> str:
    return "".join(formula.split()).lower()


def _select_material(frame: pd.DataFrame, args: FitArrheniusArgs) -> pd.DataFrame:
    if args.material_id is not None:
        rows = frame[frame["material_id"] == args.material_id]
        if rows.empty:
            raise LookupError(f"material_id {args.material_id} has no conductivity points")
        return rows
    if not args.formula:
        raise ValueError("give formula or material_id")
    rows = frame[frame["formula"] == args.formula]
    if rows.empty:
        rows = frame[frame["formula"].astype(str).map(_normalise) == _normalise(args.formula)]
    if args.dataset is not None:
        rows = rows[rows["dataset"] == args.dataset]
    if rows.empty:
        raise LookupError(
            f"no conductivity points for formula {args.formula!r}; find names with filter_materials"
        )
    ids = sorted(set(rows["material_id"]))
    if len(ids) > 1:
        choices = rows.drop_duplicates("material_id")[["material_id", "dataset"]].to_dict("records")
        raise LookupError(
            f"formula {args.formula!r} is several materials {choices}; give material_id or dataset"
        )
    return rows


def fit_arrhenius_for_material(context: ToolContext, args: FitArrheniusArgs) -> ToolResult:
    """Fit Ea (eV) to a material's stored σ(T) points and compare it with its stored experimental Ea."""
    store = context.store
    points = _select_material(store.conductivity_frame(), args)
    if args.temperature_min_k is not None:
        points = points[points["temperature_k"] >= args.temperature_min_k]
    if args.temperature_max_k is not None:
        points = points[points["temperature_k"] <= args.temperature_max_k]
    points = points.sort_values("temperature_k")
    fit = fit_arrhenius(
        points["temperature_k"].to_numpy(dtype=float),
        points["conductivity_s_per_cm"].to_numpy(dtype=float),
        form=args.form,
    )
    material_id = int(points["material_id"].iloc[0])
    formula = str(points["formula"].iloc[0])
    stored = store.activation_energy_frame(method="experiment")
    stored = stored[stored["formula"].astype(str).map(_normalise) == _normalise(formula)]
    data: dict[str, Any] = {
        "material_id": material_id,
        "formula": formula,
        "activation_energy_ev": fit.activation_energy_ev,
        "stderr_ev": fit.stderr_ev,
        "ci95_ev": list(fit.ci95_ev),
        "prefactor": fit.prefactor,
        "r_squared": fit.r_squared,
        "n_points": fit.n_points,
        "form": fit.form,
        "temperature_range_k": [float(points["temperature_k"].min()), float(points["temperature_k"].max())],
        "stored_experimental_ea_ev": [float(v) for v in stored["activation_energy_ev"]],
    }
    summary = (
        f"{formula}: Ea = {fit.activation_energy_ev:.3f} ± {fit.stderr_ev:.3f} eV from {fit.n_points} points "
        f"({data['temperature_range_k'][0]:.0f}-{data['temperature_range_k'][1]:.0f} K, "
        f"R² = {fit.r_squared:.3f})"
    )
    if len(stored):
        summary += (
            f"; stored experimental Ea: {', '.join(f'{v:.3f}' for v in stored['activation_energy_ev'])} eV"
        )
    table = points[["temperature_k", "conductivity_s_per_cm", "phase", "doi", "dataset"]].reset_index(
        drop=True
    )
    return ToolResult(
        tool="fit_arrhenius_for_material",
        ok=True,
        summary=summary,
        data=data,
        table=table,
        dois=merge_dois(dois_of(points), dois_of(stored)),
    )


class CompareMethodsArgs(BaseModel):
    """Arguments of ``compare_methods``."""

    model_config = ConfigDict(extra="forbid")
    methods: list[str] | None = Field(
        None, description="Only these methods (default: every computed method)."
    )
    figure: bool = Field(True, description="Also write the parity plot (computed vs experimental Ea).")


def compare_methods(context: ToolContext, args: CompareMethodsArgs) -> ToolResult:
    """The method benchmark: computed Ea of each method against experimental Ea of the same material."""
    return methods_vs_experiment(context, methods=args.methods, figure=args.figure, tool="compare_methods")


class PredictEaArgs(BaseModel):
    """Arguments of ``predict_ea``."""

    model_config = ConfigDict(extra="forbid")
    model_name: str | None = Field(None, description="Name of a saved model (omit to list the saved models).")
    formulas: list[str] = Field(default_factory=list, max_length=1000, description="Formulas to predict.")


def predict_ea(context: ToolContext, args: PredictEaArgs) -> ToolResult:
    """Predict Ea (eV) of formulas with a model saved in the store (lists the saved models without a name).

    The DOIs listed are those of the model's training rows.
    """
    store = context.store
    names = sorted(store.list_model_fits())
    if args.model_name is None or not args.formulas:
        return ToolResult(
            tool="predict_ea",
            ok=True,
            summary=f"saved models: {', '.join(names) or 'none (fit one with sselab fit)'}",
            data={"models": names},
        )
    if args.model_name not in names:
        raise LookupError(f"no saved model {args.model_name!r}; saved models: {', '.join(names) or 'none'}")
    model, payload = load_saved_model(store, args.model_name)
    predictions = predict_formulas(model, list(args.formulas))
    table = pd.DataFrame({"formula": list(args.formulas), "predicted_ea_ev": predictions})
    summary = "; ".join(
        f"{f}: {v:.3f} eV" for f, v in zip(table["formula"], table["predicted_ea_ev"], strict=True)
    )
    return ToolResult(
        tool="predict_ea",
        ok=True,
        summary=f"model {args.model_name}: {summary}",
        data={"model": args.model_name, "metrics": payload.get("metrics", {})},
        table=table,
        dois=training_dois(payload),
    )


TOOLS = (
    Tool(
        "fit_arrhenius_for_material",
        "Fit the activation energy Ea (eV) to a material's stored conductivity points σ(T) (ln σT vs 1/T), "
        "optionally in a temperature window (K), and compare with its stored experimental Ea.",
        FitArrheniusArgs,
        fit_arrhenius_for_material,
    ),
    Tool(
        "compare_methods",
        "Benchmark simulation methods (MetaD, CI-NEB, AIMD, MLMD, BVSE, regression) against experiment: "
        "R², MAE, RMSE and N per method over materials with both values, and a parity plot.",
        CompareMethodsArgs,
        compare_methods,
    ),
    Tool(
        "predict_ea",
        "Predict Ea (eV) of formulas with a regression model saved in the store; without model_name, "
        "lists the saved models.",
        PredictEaArgs,
        predict_ea,
    ),
)
