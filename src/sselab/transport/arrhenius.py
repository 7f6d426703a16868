"""Arrhenius fits of ionic conductivity: sigma*T = A exp(-Ea / kB T) or sigma = A exp(-Ea / kB T).

The fit is a (weighted) least-squares line of ln(sigma*T) (or ln sigma) against 1/T, made with
statsmodels; the standard error and the 95 % interval of Ea come from the slope's t-distribution.

>>> import numpy as np
>>> from sselab.transport import fit_arrhenius
>>> t = np.linspace(300.0, 400.0, 6)
>>> sigma = 1e5 / t * np.exp(-0.5 / (8.617333262e-5 * t))
>>> round(fit_arrhenius(t, sigma).activation_energy_ev, 4)
0.5
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import constants, stats
from statsmodels.regression.linear_model import OLS, WLS

from sselab.errors import FitError

BOLTZMANN_EV_PER_K: float = constants.Boltzmann / constants.electron_volt
Form = Literal["sigma_t", "sigma"]
FORMS: tuple[str, ...] = ("sigma_t", "sigma")
PREFACTOR_UNITS: dict[str, str] = {"sigma_t": "S K/cm", "sigma": "S/cm"}


@dataclass(frozen=True)
class ArrheniusFit:
    """Result of :func:`fit_arrhenius`.

    Attributes
    ----------
    activation_energy_ev, stderr_ev, ci95_ev
        Ea (eV), its standard error (eV) and its 95 % confidence interval (eV, t-distribution).
    prefactor
        A, in S K/cm for ``form="sigma_t"`` and S/cm for ``form="sigma"`` (see ``prefactor_unit``).
    ln_prefactor, ln_prefactor_stderr
        ln A and its standard error (A in ``prefactor_unit``).
    r_squared
        Coefficient of determination of the line in log space.
    n_points, form
        Number of points; ``"sigma_t"`` or ``"sigma"``.
    temperature_min_k, temperature_max_k
        Temperature range of the points, K.
    residual_ss, bic
        Residual sum of squares in log space and the Bayesian information criterion (statsmodels; -inf for
        a perfect fit, ``None`` in ``as_dict``).
    weighted
        Whether weights were used (WLS) or not (OLS).
    """

    activation_energy_ev: float
    stderr_ev: float
    ci95_ev: tuple[float, float]
    prefactor: float
    ln_prefactor: float
    ln_prefactor_stderr: float
    r_squared: float
    n_points: int
    form: str
    temperature_min_k: float
    temperature_max_k: float
    residual_ss: float
    bic: float
    weighted: bool

    @property
    def prefactor_unit(self) -> str:
        """Unit of ``prefactor``."""
        return PREFACTOR_UNITS[self.form]

    @property
    def temperature_range_k(self) -> tuple[float, float]:
        """(min, max) temperature of the fitted points, K."""
        return self.temperature_min_k, self.temperature_max_k

    def predict(self, temperature_k: ArrayLike) -> NDArray[np.float64]:
        """Conductivity (S/cm) that the fit gives at ``temperature_k`` (K), for either form."""
        temperature = np.asarray(temperature_k, dtype=float)
        log_y = self.ln_prefactor - self.activation_energy_ev / (BOLTZMANN_EV_PER_K * temperature)
        sigma = np.exp(log_y)
        return sigma / temperature if self.form == "sigma_t" else sigma

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (with ``prefactor_unit``)."""
        data = {
            k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in asdict(self).items()
        }
        data["ci95_ev"] = list(self.ci95_ev)
        data["prefactor_unit"] = self.prefactor_unit
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArrheniusFit:
        """Rebuild from :meth:`as_dict` output."""
        values = {k: v for k, v in data.items() if k != "prefactor_unit"}
        values["ci95_ev"] = tuple(values["ci95_ev"])
        values["bic"] = float("-inf") if values["bic"] is None else values["bic"]
        return cls(**values)


def validate_points(
    temperature_k: ArrayLike, conductivity_s_per_cm: ArrayLike, weights: ArrayLike | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
    """Check and convert σ(T) points; raise :class:`FitError` naming the bad input."""
    temperature = np.asarray(temperature_k, dtype=float).ravel()
    sigma = np.asarray(conductivity_s_per_cm, dtype=float).ravel()
    if temperature.shape != sigma.shape:
        raise FitError(f"temperature_k has {temperature.size} values but conductivity_s_per_cm {sigma.size}")
    if not np.all(np.isfinite(temperature)) or np.any(temperature <= 0):
        bad = int(np.flatnonzero(~np.isfinite(temperature) | (temperature <= 0))[0])
        raise FitError(f"temperature_k must be finite and positive (K): point {bad} is {temperature[bad]}")
    if not np.all(np.isfinite(sigma)) or np.any(sigma <= 0):
        bad = int(np.flatnonzero(~np.isfinite(sigma) | (sigma <= 0))[0])
        raise FitError(
            f"conductivity_s_per_cm must be finite and positive (S/cm): point {bad} is {sigma[bad]}"
        )
    weight_array = None
    if weights is not None:
        weight_array = np.asarray(weights, dtype=float).ravel()
        if weight_array.shape != temperature.shape:
            raise FitError(f"weights has {weight_array.size} values, expected {temperature.size}")
        if not np.all(np.isfinite(weight_array)) or np.any(weight_array <= 0):
            raise FitError("weights must be finite and positive")
    return temperature, sigma, weight_array


def fit_arrhenius(
    temperature_k: ArrayLike,
    conductivity_s_per_cm: ArrayLike,
    form: Form = "sigma_t",
    weights: ArrayLike | None = None,
) -> ArrheniusFit:
    """Fit an Arrhenius law to σ(T) by least squares in log space.

    Parameters
    ----------
    temperature_k
        Temperatures, K (at least 3 points, not all equal).
    conductivity_s_per_cm
        Ionic conductivities, S/cm (positive).
    form
        ``"sigma_t"``: σT = A exp(−Ea/kB T) (A in S K/cm); ``"sigma"``: σ = A exp(−Ea/kB T) (A in S/cm).
    weights
        Optional weights of the points in log space (inverse variances of ln σ); WLS instead of OLS.

    Returns
    -------
    ArrheniusFit

    Raises
    ------
    FitError
        Fewer than 3 points, non-positive or non-finite values, a single temperature, or an unknown form.
    """
    if form not in FORMS:
        raise FitError(f"unknown Arrhenius form {form!r}; use 'sigma_t' or 'sigma'")
    temperature, sigma, weight_array = validate_points(temperature_k, conductivity_s_per_cm, weights)
    if temperature.size < 3:
        raise FitError(f"an Arrhenius fit needs at least 3 points, got {temperature.size}")
    if np.ptp(temperature) == 0:
        raise FitError(f"all points are at the same temperature ({temperature[0]} K)")
    inverse_t = 1.0 / temperature
    log_y = np.log(sigma * temperature) if form == "sigma_t" else np.log(sigma)
    design = np.column_stack((np.ones_like(inverse_t), inverse_t))
    if weight_array is not None:
        result = WLS(log_y, design, weights=weight_array, hasconst=True).fit()
    else:
        result = OLS(log_y, design, hasconst=True).fit()
    slope, intercept = float(result.params[1]), float(result.params[0])
    slope_se, intercept_se = float(result.bse[1]), float(result.bse[0])
    half_width = _t_quantile_975(int(result.df_resid)) * slope_se
    ea = -slope * BOLTZMANN_EV_PER_K
    with np.errstate(divide="ignore"):  # a perfect fit has ssr = 0 and BIC = -inf
        bic = float(result.bic)
    return ArrheniusFit(
        activation_energy_ev=ea,
        stderr_ev=slope_se * BOLTZMANN_EV_PER_K,
        ci95_ev=(ea - half_width * BOLTZMANN_EV_PER_K, ea + half_width * BOLTZMANN_EV_PER_K),
        prefactor=float(np.exp(intercept)),
        ln_prefactor=intercept,
        ln_prefactor_stderr=intercept_se,
        r_squared=float(result.rsquared) if np.isfinite(result.rsquared) else 1.0,
        n_points=int(temperature.size),
        form=form,
        temperature_min_k=float(temperature.min()),
        temperature_max_k=float(temperature.max()),
        residual_ss=float(result.ssr),
        bic=bic,
        weighted=weight_array is not None,
    )


@lru_cache(maxsize=256)
def _t_quantile_975(dof: int) -> float:
    """Two-sided 95 % quantile of Student's t with ``dof`` degrees of freedom (cached)."""
    return float(stats.t.ppf(0.975, dof))
