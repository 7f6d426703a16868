"""A linear model of Ea on descriptors, Ea = Σ a_i·P_i + b, in the style of a scikit-learn estimator.

Example
-------
>>> from sselab.models import LinearEaModel
>>> model = LinearEaModel(descriptors=("X", "r_atom"), aggregation="sum").fit(table_rows)  # doctest: +SKIP
>>> model.coef_, model.intercept_, model.r2_, model.loo_rmse_  # doctest: +SKIP
>>> model.predict(pd.DataFrame({"formula": ["Mg(BH4)2·6(CH3)2CHNH2"]}))  # doctest: +SKIP
>>> model.predict_interval(pd.DataFrame({"formula": ["Mg(BH4)2·6(CH3)2CHNH2"]}))  # doctest: +SKIP

Every model says where it comes from (:attr:`LinearEaModel.origin`): ``fitted`` (by :meth:`fit`, with fit
statistics, prediction intervals and a training range), ``published`` (a published line recovered from the
publication's own data, see :mod:`sselab.models.published`; no interval, no training range) or ``given``
(coefficients typed in by a user).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from sselab.descriptors import ALL_DESCRIPTORS, COMPOSITION_DESCRIPTORS, composition_descriptor_frame
from sselab.descriptors.additive import AdditiveDescriptor
from sselab.descriptors.composition import check_aggregation
from sselab.descriptors.elements import DescriptorError
from sselab.errors import FitError
from sselab.models.intervals import outside_range, prediction_flags, prediction_interval
from sselab.models.ols import fit_ols
from sselab.models.payload import ORIGINS, TARGET, model_payload, restore_state

#: Columns of a training row kept with a fitted model.
TRAINING_COLUMNS: tuple[str, ...] = ("ea_id", "material_id", "formula", "phase", "method", "doi")

#: Columns of :meth:`LinearEaModel.predict_interval`.
INTERVAL_COLUMNS: tuple[str, ...] = (
    "predicted_ea_ev", "ea_lower_ev", "ea_upper_ev", "extrapolated", "flags",
)  # fmt: skip


__all__ = ["INTERVAL_COLUMNS", "ORIGINS", "TARGET", "TRAINING_COLUMNS", "LinearEaModel"]


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
    definitions
        Additive descriptors the model may use besides :data:`~sselab.descriptors.ALL_DESCRIPTORS` (e.g. the
        ``x_wang2025_ds2`` table derived from Dataset 2); stored with the model.

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
    cov_params_, scale_, df_resid_ : numpy.ndarray, float, int
        Covariance of (intercept, coef) (eV² per unit²), residual variance σ² (eV²) and residual degrees of
        freedom: what the prediction intervals need.
    descriptor_min_, descriptor_max_ : numpy.ndarray
        Range of each descriptor over the training rows (the extrapolation test).
    origin_ : str
        One of :data:`ORIGINS`; ``citation_`` and ``recovery_`` describe a published model.
    """

    def __init__(
        self,
        descriptors: Sequence[str] = ("X", "r_atom"),
        aggregation: str = "sum",
        name: str | None = None,
        definitions: Sequence[AdditiveDescriptor] = (),
    ) -> None:
        self.descriptors = descriptors
        self.aggregation = aggregation
        self.name = name
        self.definitions = definitions

    @property
    def origin(self) -> str:
        """``fitted``, ``published`` or ``given`` (see :data:`ORIGINS`)."""
        return str(getattr(self, "origin_", "given"))

    @property
    def label(self) -> str:
        """Where the model comes from, in words (e.g. "published by Wang et al. 2025")."""
        if hasattr(self, "label_"):
            return str(self.label_)
        if self.origin == "fitted":
            return f"fitted by sselab on {getattr(self, 'n_train_', '?')} rows"
        return "coefficients given by the user"

    @property
    def has_interval(self) -> bool:
        """True when the model has the fit statistics of a prediction interval."""
        return hasattr(self, "cov_params_") and int(getattr(self, "df_resid_", 0)) > 0

    @property
    def has_range(self) -> bool:
        """True when the training range of the descriptors is known."""
        return hasattr(self, "descriptor_min_")

    # ------------------------------------------------------------------ design matrix
    def _definitions(self) -> dict[str, AdditiveDescriptor]:
        return {d.name: d for d in self.definitions}

    def _check_params(self) -> tuple[str, ...]:
        names = tuple(self.descriptors)
        known = (*ALL_DESCRIPTORS, *self._definitions())
        unknown = [d for d in names if d not in known]
        if not names or unknown:
            raise DescriptorError(f"unknown descriptor(s) {unknown or '(none given)'}; choose from {known}")
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
        definitions = self._definitions()
        need = [d for d in names if d not in frame.columns]
        from_formula = [d for d in need if d in COMPOSITION_DESCRIPTORS or d in definitions]
        if need:
            if len(from_formula) < len(need) or "formula" not in frame.columns:
                raise DescriptorError(
                    f"frame lacks descriptor column(s) {need} (and they cannot come from a formula)"
                )
            formulas = list(frame["formula"])
            computed = pd.DataFrame(index=frame.index)
            if any(d in COMPOSITION_DESCRIPTORS for d in need):
                composition = composition_descriptor_frame(formulas, aggregation=self.aggregation)
                composition.index = frame.index
                computed = composition
            for d in need:
                if d in definitions:
                    computed[d] = definitions[d].evaluate_formulas(formulas)
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
        self.rmse_, self.loo_rmse_, self.loo_r2_ = result.rmse, result.loo_rmse, result.loo_r2
        self.n_train_ = result.n
        self.cov_params_ = np.array(result.cov_params, dtype=float)
        self.scale_, self.df_resid_ = result.scale, result.df_resid
        self.descriptor_min_ = x.min().to_numpy(dtype=float)
        self.descriptor_max_ = x.max().to_numpy(dtype=float)
        self.origin_ = "fitted"
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

    def predict_interval_arrays(
        self, descriptors: dict[str, np.ndarray], confidence: float = 0.95
    ) -> dict[str, np.ndarray]:
        """Point estimate, prediction interval, extrapolation and flags from descriptor arrays.

        Returns
        -------
        dict[str, numpy.ndarray]
            ``predicted_ea_ev``, ``ea_lower_ev``, ``ea_upper_ev`` (eV; NaN without fit statistics),
            ``extrapolated`` (bool; False when the range is unknown, then flagged ``range-unknown``) and
            ``flags`` (see :mod:`sselab.models.intervals`).
        """
        point = self.predict_arrays(descriptors)
        names = tuple(self.descriptors)
        if self.has_interval:
            design = np.column_stack([np.ones(point.shape)] + [np.asarray(descriptors[d]) for d in names])
            half, _ = prediction_interval(design, self.cov_params_, self.scale_, self.df_resid_, confidence)
        else:
            half = np.full(point.shape, np.nan)
        if self.has_range:
            low = dict(zip(names, self.descriptor_min_, strict=True))
            high = dict(zip(names, self.descriptor_max_, strict=True))
            extrapolated = outside_range(descriptors, low, high)
        else:
            extrapolated = np.zeros(point.shape, dtype=bool)
        lower, upper = point - half, point + half
        return {
            "predicted_ea_ev": point,
            "ea_lower_ev": lower,
            "ea_upper_ev": upper,
            "extrapolated": extrapolated,
            "flags": prediction_flags(point, lower, extrapolated, self.has_interval, self.has_range),
        }

    def predict_interval(self, frame: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
        """:meth:`predict_interval_arrays` for the rows of ``frame`` (columns :data:`INTERVAL_COLUMNS`)."""
        self._check_fitted()
        design = self.design(frame)
        arrays = {d: design[d].to_numpy(dtype=float) for d in design.columns}
        return pd.DataFrame(self.predict_interval_arrays(arrays, confidence), index=frame.index)

    # ------------------------------------------------------------------ persistence
    @classmethod
    def from_coefficients(
        cls,
        descriptors: Sequence[str],
        coef: Sequence[float],
        intercept: float,
        aggregation: str = "sum",
        name: str | None = None,
        definitions: Sequence[AdditiveDescriptor] = (),
    ) -> LinearEaModel:
        """A model from given coefficients (origin ``given``; no fit statistics, no interval, no range).

        :func:`sselab.models.published.recover_published_line` builds published models on top of it.
        """
        model = cls(
            descriptors=tuple(descriptors), aggregation=aggregation, name=name, definitions=tuple(definitions)
        )
        model._check_params()
        if len(coef) != len(model.descriptors):
            raise FitError(f"{len(coef)} coefficients for {len(model.descriptors)} descriptors")
        model.coef_ = np.asarray(coef, dtype=float)
        model.intercept_ = float(intercept)
        model.feature_names_in_ = np.array(model.descriptors, dtype=object)
        model.origin_ = "given"
        return model

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready payload: origin, parameters, coefficients with intervals, metrics, training rows."""
        self._check_fitted()
        return model_payload(self)

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> LinearEaModel:
        """Rebuild a model from :meth:`to_dict` output (older payloads without ``origin`` read as fitted)."""
        if payload.get("kind") != "LinearEaModel":
            raise FitError(f"payload is a {payload.get('kind')!r}, not a LinearEaModel")
        model = cls.from_coefficients(
            payload["descriptors"],
            payload["coef"],
            payload["intercept"],
            payload["aggregation"],
            payload.get("name"),
            tuple(AdditiveDescriptor.from_dict(d) for d in payload.get("definitions") or ()),
        )
        return restore_state(model, payload)

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
