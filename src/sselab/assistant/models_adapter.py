"""The assistant's bridge to :mod:`sselab.models`: the method benchmark and saved Ea models.

Kept in one place so that the tools see one stable shape: metrics with ``method, n, r2, pearson_r2, mae_ev,
rmse_ev, mean_error_ev``, pairs with ``computed_ea_ev``, ``experimental_ea_ev`` and the DOIs of both sides.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sselab.models import LinearEaModel
from sselab.models.method_benchmark import EXPERIMENT, benchmark_methods, composition_key


def _dois(values: pd.Series) -> str | None:
    found = sorted({str(v).strip() for v in values.dropna() if str(v).strip()})
    return "; ".join(found) or None


def method_benchmark_table(
    ea: pd.DataFrame, methods: list[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per-method metrics, matched pairs (with DOIs) and unmatched computed rows.

    Parameters
    ----------
    ea
        ``Store.activation_energy_frame()``.
    methods
        Only these computed methods (default all).

    Returns
    -------
    metrics, pairs, unmatched
        See :class:`sselab.models.method_benchmark.MethodBenchmark`; pairs get ``doi_computed`` and
        ``doi_experimental`` columns.
    """
    bench = benchmark_methods(ea, tuple(methods) if methods else None)
    pairs = bench.pairs.rename(
        columns={"computed_ev": "computed_ea_ev", "experiment_ev": "experimental_ea_ev"}
    )
    doi_by_id = dict(zip(ea["ea_id"], ea["doi"], strict=False)) if "ea_id" in ea.columns else {}
    experiment = ea[ea["method"] == EXPERIMENT]
    exp_keys = pd.Series([composition_key(str(f)) for f in experiment["formula"]], index=experiment.index)
    pairs["doi_computed"] = [doi_by_id.get(i) for i in pairs["ea_id"]]
    doi_experimental = []
    for row in pairs.itertuples(index=False):
        same = experiment[exp_keys == row.composition_key]
        if row.phase is not None and "phase" in same.columns and (same["phase"] == row.phase).any():
            same = same[same["phase"] == row.phase]
        doi_experimental.append(_dois(same["doi"]))
    pairs["doi_experimental"] = doi_experimental
    return bench.metrics, pairs, bench.unmatched


def load_saved_model(store: Any, name: str) -> tuple[Any, dict[str, Any]]:
    """Load the saved Ea model ``name``; returns (model with ``predict(frame with formula)``, payload)."""
    payload = store.load_model_fit(name)
    return LinearEaModel.from_dict(payload), payload


def predict_formulas(model: Any, formulas: list[str]) -> list[float]:
    """Predicted Ea (eV) of ``formulas`` (composition descriptors computed from each formula)."""
    predictions = model.predict(pd.DataFrame({"formula": formulas}))
    return [float(v) for v in predictions]


def training_dois(payload: dict[str, Any]) -> tuple[str, ...]:
    """DOIs of the rows a saved model was trained on (when its training rows carry them)."""
    rows = payload.get("training_rows") or []
    return tuple(sorted({str(r["doi"]).strip() for r in rows if isinstance(r, dict) and r.get("doi")}))
