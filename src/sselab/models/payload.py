"""The JSON payload of a :class:`~sselab.models.linear.LinearEaModel`: what is stored and read back.

Kept apart from the estimator so that the payload's fields (origin, label, citation, definitions of additive
descriptors, fit statistics for prediction intervals, training range, training rows) are in one place.

Example
-------
>>> from sselab.models import LinearEaModel
>>> line = LinearEaModel.from_coefficients(("X",), (0.01,), 0.3, name="typed")
>>> LinearEaModel.from_dict(line.to_dict()).origin
'given'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sselab import __version__
from sselab.errors import FitError

#: Target column of the activation-energy frames (eV).
TARGET = "activation_energy_ev"

#: Where a model comes from: fitted here, published (recovered from a publication's data), typed in.
ORIGINS: tuple[str, ...] = ("fitted", "published", "given")

_METRICS = ("r2", "adj_r2", "rmse", "loo_rmse", "loo_r2", "n_train")


def clean(value: Any) -> Any:
    """JSON-safe scalar (NaN -> None, numpy -> python)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def model_payload(model: Any) -> dict[str, Any]:
    """The JSON-ready payload of a fitted or given model."""
    training = getattr(model, "training_rows_", None)
    payload: dict[str, Any] = {
        "kind": "LinearEaModel",
        "sselab_version": __version__,
        "name": model.name,
        "origin": model.origin,
        "label": model.label,
        "descriptors": list(model.descriptors),
        "aggregation": model.aggregation,
        "definitions": [d.as_dict() for d in model.definitions],
        "target": TARGET,
        "coef": [float(c) for c in model.coef_],
        "intercept": float(model.intercept_),
        "coef_ci95": [[float(a), float(b)] for a, b in getattr(model, "coef_ci95_", [])],
        "intercept_ci95": [float(v) for v in getattr(model, "intercept_ci95_", [])],
        "metrics": {key: clean(getattr(model, f"{key}_", None)) for key in _METRICS},
        "training_rows": []
        if training is None
        else [{k: clean(v) for k, v in row.items()} for row in training.to_dict(orient="records")],
    }
    if model.has_interval:
        payload["interval"] = {
            "cov_params": [[float(v) for v in row] for row in model.cov_params_],
            "scale": float(model.scale_),
            "df_resid": int(model.df_resid_),
        }
    if model.has_range:
        payload["descriptor_range"] = {
            d: [float(lo), float(hi)]
            for d, lo, hi in zip(model.descriptors, model.descriptor_min_, model.descriptor_max_, strict=True)
        }
    for key in ("citation", "recovery"):
        if hasattr(model, f"{key}_"):
            payload[key] = getattr(model, f"{key}_")
    return payload


def restore_state(model: Any, payload: dict[str, Any]) -> Any:
    """Set the fitted state of ``model`` (built from the payload's coefficients) from ``payload``."""
    origin = payload.get("origin") or ("fitted" if payload.get("training_rows") else "given")
    if origin not in ORIGINS:
        raise FitError(f"model {payload.get('name')!r}: unknown origin {origin!r}; known: {ORIGINS}")
    model.origin_ = origin
    if payload.get("label"):
        model.label_ = str(payload["label"])
    if payload.get("coef_ci95"):
        model.coef_ci95_ = np.array(payload["coef_ci95"], dtype=float)
        model.intercept_ci95_ = np.array(payload["intercept_ci95"], dtype=float)
    for key, value in payload.get("metrics", {}).items():
        if value is not None:
            setattr(model, f"{key}_", value)
    if payload.get("interval"):
        model.cov_params_ = np.array(payload["interval"]["cov_params"], dtype=float)
        model.scale_ = float(payload["interval"]["scale"])
        model.df_resid_ = int(payload["interval"]["df_resid"])
    if payload.get("descriptor_range"):
        ranges = payload["descriptor_range"]
        model.descriptor_min_ = np.array([ranges[d][0] for d in model.descriptors], dtype=float)
        model.descriptor_max_ = np.array([ranges[d][1] for d in model.descriptors], dtype=float)
    for key in ("citation", "recovery"):
        if key in payload:
            setattr(model, f"{key}_", payload[key])
    if payload.get("training_rows"):
        model.training_rows_ = pd.DataFrame(payload["training_rows"])
    return model
