"""Ordinary least squares with the statistics the descriptor scan reports (statsmodels).

Example
-------
>>> import numpy as np
>>> from sselab.models.ols import fit_ols
>>> x = np.array([[1.0], [2.0], [3.0], [4.0]])
>>> fit = fit_ols(x, 2.0 * x[:, 0] + 1.0)
>>> round(fit.coef[0], 6), round(fit.intercept, 6), round(fit.r2, 6)
(2.0, 1.0, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sselab.errors import FitError


@dataclass(frozen=True)
class OlsResult:
    """An OLS fit y = X·coef + intercept.

    Attributes
    ----------
    coef, intercept
        Fitted coefficients (units of y per unit of each column) and intercept (units of y).
    coef_ci95, intercept_ci95
        95 % confidence intervals (Student t), shape (k, 2) and (2,).
    r2, adj_r2
        Coefficient of determination and its adjusted value (NaN when n - k - 1 = 0).
    rmse, loo_rmse
        Root-mean-square residual of the fit and leave-one-out prediction error (exact for OLS, from the hat
        matrix), units of y.
    n
        Rows used.
    loo_r2
        Leave-one-out R² (Q² = 1 − PRESS / SS_tot; NaN when a row has leverage 1).
    cov_params
        Covariance of (intercept, coef...) from statsmodels, shape (k + 1, k + 1), units of y².
    scale
        Residual variance σ² = SS_res / (n − k − 1), units of y² (NaN when n − k − 1 = 0).
    df_resid
        Residual degrees of freedom n − k − 1.
    """

    coef: tuple[float, ...]
    intercept: float
    coef_ci95: tuple[tuple[float, float], ...]
    intercept_ci95: tuple[float, float]
    r2: float
    adj_r2: float
    rmse: float
    loo_rmse: float
    n: int
    loo_r2: float = float("nan")
    cov_params: tuple[tuple[float, ...], ...] = ()
    scale: float = float("nan")
    df_resid: int = 0


def fit_ols(x: np.ndarray, y: np.ndarray, confidence: float = 0.95) -> OlsResult:
    """Fit y = X·a + b by OLS with statsmodels; X has shape (n, k).

    Raises
    ------
    FitError
        Fewer than k + 2 rows, non-finite values, or a rank-deficient design (e.g. a constant descriptor).
    """
    # lazy: statsmodels takes ~2 s to import; only a fit needs it
    import statsmodels.api as sm

    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    y = np.asarray(y, dtype=float)
    n, k = x.shape
    if n < k + 2:
        raise FitError(
            f"{n} rows are too few for a fit with {k} descriptor(s) and an intercept (need {k + 2})"
        )
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise FitError("descriptor or target values are not all finite")
    design = sm.add_constant(x, has_constant="add")
    if np.linalg.matrix_rank(design) < k + 1:
        raise FitError("the descriptors are constant or collinear over these rows (rank-deficient design)")
    result = sm.OLS(y, design).fit()
    ci = np.asarray(result.conf_int(alpha=1.0 - confidence))
    params = np.asarray(result.params)
    leverage = np.asarray(result.get_influence().hat_matrix_diag)
    residual = np.asarray(result.resid)
    with np.errstate(divide="ignore", invalid="ignore"):
        loo_residual = residual / (1.0 - leverage)
    finite_loo = bool(np.all(leverage < 1 - 1e-12))
    loo_rmse = float(np.sqrt(np.mean(loo_residual**2))) if finite_loo else float("nan")
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    press = float(np.sum(loo_residual**2)) if finite_loo else float("nan")
    loo_r2 = 1.0 - press / ss_tot if ss_tot > 0 and finite_loo else float("nan")
    r2 = 1.0 - float(np.sum(residual**2)) / ss_tot if ss_tot > 0 else float("nan")
    dof = n - k - 1
    adj_r2 = 1.0 - (1.0 - r2) * (n - 1) / dof if dof > 0 else float("nan")
    return OlsResult(
        coef=tuple(float(v) for v in params[1:]),
        intercept=float(params[0]),
        coef_ci95=tuple((float(lo), float(hi)) for lo, hi in ci[1:]),
        intercept_ci95=(float(ci[0, 0]), float(ci[0, 1])),
        r2=r2,
        adj_r2=adj_r2,
        rmse=float(np.sqrt(np.mean(residual**2))),
        loo_rmse=loo_rmse,
        n=n,
        loo_r2=loo_r2,
        cov_params=tuple(tuple(float(v) for v in row) for row in np.asarray(result.cov_params())),
        scale=float(result.scale) if dof > 0 else float("nan"),
        df_resid=int(dof),
    )
