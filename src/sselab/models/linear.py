"""A linear model of Ea on descriptors, Ea = Σ a_i·P_i + b, in the style of a scikit-learn estimator.

Example
-------
>>> from sselab.models import LinearEaModel
>>> model = LinearEaModel(descriptors=("X", "r_atom"), aggregation="sum").fit(table_rows)  # doctest: +SKIP
>>> model.coef_, model.intercept_, model.r2_, model.loo_rmse_  # doctest: +SKIP
>>> model.predict(pd.DataFrame({"formula": ["Mg(BH4)2·6(CH3)2CHNH2"]}))  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from sselab import __version__
from sselab.descriptors import ALL_DESCRIPTORS, COMPOSITION_DESCRIPTORS, composition_descriptor_frame
from sselab.descriptors.composition import check_aggregation
from sselab.descriptors.elements import DescriptorError
from sselab.errors import FitError
from sselab.models.ols import fit_ols

#: Target column of the activation-energy frames (eV).
TARGET = "activation_energy_ev"

#: Columns of a training row kept with a fitted model.
TRAINING_COLUMNS: tuple[str, ...] = ("ea_id", "material_id", "formula", "phase", "method", "doi")


def _clean(value: Any) -> Any:
    """JSON-safe scalar (NaN -> None, numpy -> python)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


class LinearEaModel(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Ea (eV) = Σ coef_i · descriptor_i + intercept, fitted by OLS (statsmodels).

    Parameters
    ----------
    descriptors
        Descriptor names from :data:`sselab.descriptors.ALL_DESCRIPTORS`, e.g. ``("X", "r_atom")`` (a plane
        with both weights free) or ``("x_wang2025",)`` (a line Ea = slope·x + b on the paper's Figure 3b
        axis x = −0.059·X + 0.0029·r_atom; only slope and b are fitted).
    aggregation
        Aggregation of the composition descriptors (``sum``, ``mean``, ``per_cation``, ``cation``).
    name
        Label of the model (e.g. ``"y1"``), used when saved.

    Attributes
    ----------
    coef_ : numpy.ndarray
        eV per unit of each descriptor.
    intercept_ : float
        eV.
    coef_ci95_ : numpy.ndarray
        95 % intervals of the coefficients, shape (k, 2); ``intercept_ci95_`` likewise (2,).
    r2_, adj_r2_, rmse_, loo_rmse_ : float
        Fit statistics (RMSEs in eV); ``loo_rmse_`` is the leave-one-out prediction error.
    n_train_ : int
        Rows used. ``training_rows_`` holds them (formula, target, descriptors, ids where given).
    feature_names_in_ : numpy.ndarray
        The descriptors, in order.
    """

    def __init__(
        self, descriptors: Sequence[str] = ("X", "r_atom"), aggregation: str = "sum", name: str | None = None
    ) -> None:
        self.descriptors = descriptors
        self.aggregation = aggregation
        self.name = name

    # ------------------------------------------------------------------ design matrix
    def _check_params(self) -> tuple[str, ...]:
        names = tuple(self.descriptors)
        unknown = [d for d in names if d not in ALL_DESCRIPTORS]
        if not names or unknown:
            raise DescriptorError(
                f"unknown descriptor(s) {unknown or '(none given)'}; choose from {ALL_DESCRIPTORS}"
            )
        check_aggregation(self.aggregation)
        return names

    def design(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The descriptor columns of ``frame``; missing composition descriptors are computed from ``formula``.

        Raises
        ------
        DescriptorError
            A structure descriptor is missing, or the frame's descriptors were aggregated differently.
        """
        names = self._check_params()
        have = [d for d in names if d in frame.columns]
        frame_aggregation = frame.attrs.get("aggregation")
        if have and frame_aggregation is not None and frame_aggregation != self.aggregation:
            raise DescriptorError(
                f"the frame's descriptors use aggregation {frame_aggregation!r}, "
                f"the model {self.aggregation!r}"
            )
        out = pd.DataFrame(index=frame.index)
        need = [d for d in names if d not in frame.columns]
        if need:
            not_composition = [d for d in need if d not in COMPOSITION_DESCRIPTORS]
            if not_composition or "formula" not in frame.columns:
                raise DescriptorError(
                    f"frame lacks descriptor column(s) {need} (and they cannot come from a formula)"
                )
            computed = composition_descriptor_frame(list(frame["formula"]), aggregation=self.aggregation)
            computed.index = frame.index
        for d in names:
            out[d] = frame[d].astype(float) if d in frame.columns else computed[d]
        return out

    # ------------------------------------------------------------------ estimator API
    def fit(self, frame: pd.DataFrame, y: Sequence[float] | np.ndarray | None = None) -> LinearEaModel:
        """Fit on ``frame`` (target ``y``, default the column ``activation_energy_ev``, eV).

        Raises
        ------
        FitError
            Missing target, non-finite values (the rows are named), too few rows or collinear descriptors.
        """
        x = self.design(frame)
        if y is None:
            if TARGET not in frame.columns:
                raise FitError(f"no target given and no {TARGET!r} column")
            y = frame[TARGET].to_numpy(dtype=float)
        target = np.asarray(y, dtype=float)
        bad = ~np.isfinite(x.to_numpy()).all(axis=1) | ~np.isfinite(target)
        if bad.any():
            where = (
                frame["formula"][bad].tolist() if "formula" in frame.columns else np.flatnonzero(bad).tolist()
            )
            raise FitError(f"non-finite descriptor or Ea in rows {where}; select complete rows first")
        result = fit_ols(x.to_numpy(), target)
        self.coef_ = np.array(result.coef)
        self.intercept_ = result.intercept
        self.coef_ci95_ = np.array(result.coef_ci95)
        self.intercept_ci95_ = np.array(result.intercept_ci95)
        self.r2_, self.adj_r2_ = result.r2, result.adj_r2
        self.rmse_, self.loo_rmse_ = result.rmse, result.loo_rmse
        self.n_train_ = result.n
        self.feature_names_in_ = np.array(x.columns, dtype=object)
        kept = [c for c in TRAINING_COLUMNS if c in frame.columns]
        training = frame[kept].copy().reset_index(drop=True)
        training[TARGET] = target
        for d in x.columns:
            training[d] = x[d].to_numpy()
        self.training_rows_ = training
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise FitError(f"model {self.name or ''} is not fitted; call fit() or load a saved fit")

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted Ea (eV) for each row (descriptor columns, or ``formula`` for composition descriptors)."""
        self._check_fitted()
        return np.asarray(self.design(frame).to_numpy() @ self.coef_ + self.intercept_, dtype=float)

    def predict_arrays(self, descriptors: dict[str, np.ndarray]) -> np.ndarray:
        """Predicted Ea (eV) from descriptor arrays (the vectorised path of screening)."""
        self._check_fitted()
        names = tuple(self.descriptors)
        missing = [d for d in names if d not in descriptors]
        if missing:
            raise DescriptorError(f"descriptor arrays lack {missing}")
        out = np.full(np.shape(descriptors[names[0]]), self.intercept_, dtype=float)
        for coef, d in zip(self.coef_, names, strict=True):
            out += coef * np.asarray(descriptors[d], dtype=float)
        return out

    # ------------------------------------------------------------------ persistence
    @classmethod
    def from_coefficients(
        cls,
        descriptors: Sequence[str],
        coef: Sequence[float],
        intercept: float,
        aggregation: str = "sum",
        name: str | None = None,
    ) -> LinearEaModel:
        """A model from given coefficients (a published line, or one typed by the user); no fit statistics."""
        model = cls(descriptors=tuple(descriptors), aggregation=aggregation, name=name)
        model._check_params()
        if len(coef) != len(model.descriptors):
            raise FitError(f"{len(coef)} coefficients for {len(model.descriptors)} descriptors")
        model.coef_ = np.asarray(coef, dtype=float)
        model.intercept_ = float(intercept)
        model.feature_names_in_ = np.array(model.descriptors, dtype=object)
        return model

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready payload: parameters, coefficients with intervals, metrics and training rows."""
        self._check_fitted()
        training = getattr(self, "training_rows_", None)
        return {
            "kind": "LinearEaModel",
            "sselab_version": __version__,
            "name": self.name,
            "descriptors": list(self.descriptors),
            "aggregation": self.aggregation,
            "target": TARGET,
            "coef": [float(c) for c in self.coef_],
            "intercept": float(self.intercept_),
            "coef_ci95": [[float(a), float(b)] for a, b in getattr(self, "coef_ci95_", [])],
            "intercept_ci95": [float(v) for v in getattr(self, "intercept_ci95_", [])],
            "metrics": {
                key: _clean(getattr(self, f"{key}_", None))
                for key in ("r2", "adj_r2", "rmse", "loo_rmse", "n_train")
            },
            "training_rows": []
            if training is None
            else [{k: _clean(v) for k, v in row.items()} for row in training.to_dict(orient="records")],
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> LinearEaModel:
        """Rebuild a fitted model from :meth:`to_dict` output."""
        if payload.get("kind") != "LinearEaModel":
            raise FitError(f"payload is a {payload.get('kind')!r}, not a LinearEaModel")
        model = cls.from_coefficients(
            payload["descriptors"],
            payload["coef"],
            payload["intercept"],
            payload["aggregation"],
            payload.get("name"),
        )
        if payload.get("coef_ci95"):
            model.coef_ci95_ = np.array(payload["coef_ci95"], dtype=float)
            model.intercept_ci95_ = np.array(payload["intercept_ci95"], dtype=float)
        for key, value in payload.get("metrics", {}).items():
            if value is not None:
                setattr(model, f"{key}_", value)
        if payload.get("training_rows"):
            model.training_rows_ = pd.DataFrame(payload["training_rows"])
        return model

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` as JSON to ``path``."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        return target

    @classmethod
    def load(cls, path: str | Path) -> LinearEaModel:
        """Read a model written by :meth:`save`."""
        try:
            payload = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise FitError(f"cannot read model file {path}: {exc}") from exc
        return cls.from_dict(payload)

    def save_to_store(self, store: Any, name: str | None = None) -> int:
        """Save through ``store.save_model_fit`` under ``name`` (default the model's name)."""
        label = name or self.name
        if not label:
            raise FitError("a model saved to the store needs a name")
        return int(store.save_model_fit(label, self.to_dict()))

    @classmethod
    def load_from_store(cls, store: Any, name: str) -> LinearEaModel:
        """Load a model saved with :meth:`save_to_store`."""
        return cls.from_dict(store.load_model_fit(name))
