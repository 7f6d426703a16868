"""Prediction intervals of a linear Ea model, the extrapolation test, and the flags a prediction carries.

The interval of a new prediction x₀ (with its leading 1 for the intercept) is statsmodels' observation
interval of an OLS fit, ŷ ± t_{(1+c)/2, n−k−1} · √(σ² + x₀ᵀ C x₀), with C the fit's ``cov_params()`` and σ²
its ``scale``; it is evaluated here in closed form, so 10⁶ candidates need one ``einsum`` (a test checks it
against ``OLSResults.get_prediction().summary_frame()``).

Flags (``;``-joined in a ``flags`` column):

``ea<=0``
    the point estimate is zero or negative: no activation energy, so the model has left its validity.
``interval<0``
    the lower end of the prediction interval is below 0 eV.
``extrapolated``
    a descriptor lies outside the range of the model's training rows.
``no-interval``
    the model carries no fit statistics (a published or typed-in line), so no interval can be given.
``range-unknown``
    the training range of the model is not known (a published line whose training rows are not published).

A prediction flagged ``ea<=0`` is not an activation energy and is never ranked; one flagged ``interval<0``
is ranked but always shown with its flag (see :mod:`sselab.screening.screen`).

Example
-------
>>> import numpy as np
>>> from sselab.models.intervals import prediction_flags
>>> ea, lower, outside = np.array([0.5, -0.1]), np.array([0.2, -0.4]), np.array([False, True])
>>> prediction_flags(ea, lower, outside, True, True).tolist()
['', 'ea<=0;interval<0;extrapolated']
"""

from __future__ import annotations

import numpy as np

FLAG_NON_POSITIVE = "ea<=0"
FLAG_INTERVAL_BELOW_ZERO = "interval<0"
FLAG_EXTRAPOLATED = "extrapolated"
FLAG_NO_INTERVAL = "no-interval"
FLAG_RANGE_UNKNOWN = "range-unknown"

#: Flags that keep a prediction out of the ranking (a barrier of zero or less is no barrier).
UNRANKABLE_FLAGS: frozenset[str] = frozenset({FLAG_NON_POSITIVE})


def prediction_interval(
    design: np.ndarray, cov_params: np.ndarray, scale: float, df_resid: int, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Half-width and standard error of the observation interval for each row of ``design``.

    Parameters
    ----------
    design
        Shape (N, k + 1): a column of ones, then the descriptors.
    cov_params
        Shape (k + 1, k + 1): covariance of (intercept, coefficients) of the fit, eV² per unit².
    scale
        Residual variance σ² of the fit, eV².
    df_resid
        Residual degrees of freedom of the fit.
    confidence
        Coverage of the interval (0 < c < 1).

    Returns
    -------
    tuple of numpy.ndarray
        Half-width (eV) and standard error of prediction (eV), each shape (N,); NaN when the fit has no
        residual degrees of freedom.
    """
    # lazy: scipy.stats takes ~0.5 s to import; only this statistic needs it
    from scipy.stats import t

    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence {confidence} is not between 0 and 1")
    rows = np.asarray(design, dtype=float)
    if df_resid <= 0 or not np.isfinite(scale):
        nan = np.full(rows.shape[0], np.nan)
        return nan, nan
    cov = np.asarray(cov_params, dtype=float)
    se = np.sqrt(scale + np.einsum("ij,jk,ik->i", rows, cov, rows))
    return float(t.ppf(0.5 + confidence / 2.0, df_resid)) * se, se


def outside_range(values: dict[str, np.ndarray], low: dict[str, float], high: dict[str, float]) -> np.ndarray:
    """True where any descriptor lies outside [low, high] of the training rows (a small tolerance kept)."""
    names = list(low)
    if not names:
        raise ValueError("no training range given")
    first = np.asarray(values[names[0]], dtype=float)
    out = np.zeros(first.shape, dtype=bool)
    for name in names:
        v = np.asarray(values[name], dtype=float)
        tol = 1e-9 * max(1.0, abs(high[name] - low[name]))
        out |= (v < low[name] - tol) | (v > high[name] + tol)
    return out


def prediction_flags(
    ea_ev: np.ndarray,
    lower_ev: np.ndarray,
    extrapolated: np.ndarray | None,
    has_interval: bool,
    has_range: bool,
) -> np.ndarray:
    """The ``;``-joined flags of each prediction (see the module docstring), an object array of shape (N,)."""
    ea = np.asarray(ea_ev, dtype=float)
    columns: list[tuple[str, np.ndarray]] = [(FLAG_NON_POSITIVE, ea <= 0.0)]
    if has_interval:
        lower = np.asarray(lower_ev, dtype=float)
        columns.append((FLAG_INTERVAL_BELOW_ZERO, np.nan_to_num(lower, nan=np.inf) < 0.0))
    else:
        columns.append((FLAG_NO_INTERVAL, np.ones(ea.shape, dtype=bool)))
    if has_range and extrapolated is not None:
        columns.append((FLAG_EXTRAPOLATED, np.asarray(extrapolated, dtype=bool)))
    else:
        columns.append((FLAG_RANGE_UNKNOWN, np.ones(ea.shape, dtype=bool)))
    code = np.zeros(ea.shape, dtype=np.int64)
    for bit, (_, mask) in enumerate(columns):
        code |= mask.astype(np.int64) << bit
    names = [name for name, _ in columns]
    table = np.array(
        [";".join(n for bit, n in enumerate(names) if c >> bit & 1) for c in range(1 << len(names))],
        dtype=object,
    )
    return np.asarray(table[code])


def rankable(ea_ev: np.ndarray) -> np.ndarray:
    """True for predictions that may be ranked: a positive (and finite) predicted Ea."""
    ea = np.asarray(ea_ev, dtype=float)
    return np.asarray(np.isfinite(ea) & (ea > 0.0))
