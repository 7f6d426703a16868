"""Phase transitions in σ(T): a two-segment Arrhenius fit.

Criterion: the data, sorted by temperature, are split between two adjacent measured temperatures; every split
that leaves at least ``min_points`` points on each side is fitted as two independent Arrhenius lines,
and the split with the smallest total residual sum of squares in log space (equivalently the smallest
BIC, since all splits have the same number of parameters) is chosen. The two-segment model is compared
with one line by BIC (k = 5: two lines and the breakpoint; k = 4 when the user fixes the breakpoint) and
by an F-test (approximate when the breakpoint is searched). The break is called supported when ΔBIC =
BIC(one) − BIC(two) > 6 ("strong" on the Kass-Raftery scale) and the F-test p-value is below 0.01 (BIC
alone is lenient for a handful of points).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from sselab.errors import FitError
from sselab.transport.arrhenius import BOLTZMANN_EV_PER_K, ArrheniusFit, Form, fit_arrhenius, validate_points

DELTA_BIC_SUPPORT: float = 6.0
F_PVALUE_SUPPORT: float = 0.01
CRITERION = (
    "minimum total residual sum of squares of ln(sigma[*T]) over splits between adjacent measured "
    "temperatures, each segment >= {min_points} points; "
    "break supported when BIC(one line) - BIC(two lines) > 6 and the F-test p < 0.01"
)


@dataclass(frozen=True)
class TwoSegmentFit:
    """Result of :func:`fit_two_segment`.

    Attributes
    ----------
    breakpoint_k
        Transition temperature, K: where the two lines cross if that lies between the neighbouring
        points, else the middle of the gap; the value given by the user when fixed.
    breakpoint_interval_k
        (highest temperature of the low segment, lowest of the high segment), K.
    low, high
        Arrhenius fits below and above the breakpoint.
    one_segment
        Single Arrhenius fit of all points, for comparison.
    criterion
        How the breakpoint was chosen.
    fixed
        True when the user gave the breakpoint.
    bic_one, bic_two, delta_bic
        BIC of one line and of two segments (same constant terms), and their difference (positive
        favours two).
    f_statistic, f_pvalue
        F-test of two segments against one line.
    break_supported
        ``delta_bic > 6`` and ``f_pvalue < 0.01`` (both, since BIC alone is lenient for a handful of points).
    residual_ss
        Total residual sum of squares of the two segments in log space.
    n_candidates
        Number of splits tried (1 when fixed).
    """

    breakpoint_k: float
    breakpoint_interval_k: tuple[float, float]
    low: ArrheniusFit
    high: ArrheniusFit
    one_segment: ArrheniusFit
    criterion: str
    fixed: bool
    bic_one: float
    bic_two: float
    delta_bic: float
    f_statistic: float
    f_pvalue: float
    break_supported: bool
    residual_ss: float
    n_candidates: int

    @property
    def form(self) -> str:
        """``"sigma_t"`` or ``"sigma"``."""
        return self.low.form

    def predict(self, temperature_k: ArrayLike) -> NDArray[np.float64]:
        """Conductivity (S/cm) of the segment that holds each temperature (K)."""
        temperature = np.asarray(temperature_k, dtype=float)
        return np.where(
            temperature < self.breakpoint_k, self.low.predict(temperature), self.high.predict(temperature)
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "breakpoint_k": self.breakpoint_k,
            "breakpoint_interval_k": list(self.breakpoint_interval_k),
            "low": self.low.as_dict(),
            "high": self.high.as_dict(),
            "one_segment": self.one_segment.as_dict(),
            "criterion": self.criterion,
            "fixed": self.fixed,
            "bic_one": self.bic_one,
            "bic_two": self.bic_two,
            "delta_bic": self.delta_bic,
            "f_statistic": self.f_statistic,
            "f_pvalue": self.f_pvalue,
            "break_supported": self.break_supported,
            "residual_ss": self.residual_ss,
            "n_candidates": self.n_candidates,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TwoSegmentFit:
        """Rebuild from :meth:`as_dict` output."""
        values = dict(data)
        values["breakpoint_interval_k"] = tuple(values["breakpoint_interval_k"])
        for key in ("low", "high", "one_segment"):
            values[key] = ArrheniusFit.from_dict(values[key])
        return cls(**values)


def fit_two_segment(
    temperature_k: ArrayLike,
    conductivity_s_per_cm: ArrayLike,
    form: Form = "sigma_t",
    weights: ArrayLike | None = None,
    breakpoint_k: float | None = None,
    min_points: int = 3,
) -> TwoSegmentFit:
    """Fit two Arrhenius segments with a breakpoint (a phase transition), see the module docstring.

    Parameters
    ----------
    temperature_k, conductivity_s_per_cm, form, weights
        As for :func:`~sselab.transport.fit_arrhenius`.
    breakpoint_k
        Fix the transition temperature, K: points below it form the low segment, the others the high one.
    min_points
        Least number of points per segment (at least 3).

    Returns
    -------
    TwoSegmentFit

    Raises
    ------
    FitError
        Too few points for two segments of ``min_points`` (fewer than ``2 * min_points``), or a fixed
        breakpoint that leaves fewer than ``min_points`` on a side.
    """
    if min_points < 3:
        raise FitError(f"min_points must be at least 3, got {min_points}")
    temperature, sigma, weight_array = validate_points(temperature_k, conductivity_s_per_cm, weights)
    order = np.argsort(temperature, kind="stable")
    temperature, sigma = temperature[order], sigma[order]
    weight_array = weight_array[order] if weight_array is not None else None
    n = temperature.size
    if n < 2 * min_points:
        raise FitError(f"a two-segment fit needs at least {2 * min_points} points, got {n}")
    one = fit_arrhenius(temperature, sigma, form=form, weights=weight_array)
    if breakpoint_k is not None:
        split = int(np.searchsorted(temperature, breakpoint_k, side="left"))
        if split < min_points or n - split < min_points:
            raise FitError(
                f"breakpoint {breakpoint_k} K leaves {split} points below and {n - split} above; "
                f"each segment needs {min_points}"
            )
        splits = [split]
    else:
        splits = [i for i in range(min_points, n - min_points + 1) if temperature[i] > temperature[i - 1]]
        if not splits:
            raise FitError("no split between distinct temperatures leaves enough points on both sides")
    best: tuple[float, ArrheniusFit, ArrheniusFit, int] | None = None
    for split in splits:
        low = _segment(temperature, sigma, weight_array, slice(0, split), form)
        high = _segment(temperature, sigma, weight_array, slice(split, n), form)
        total = low.residual_ss + high.residual_ss
        if best is None or total < best[0]:
            best = (total, low, high, split)
    assert best is not None
    total_ss, low, high, split = best
    n_params = 4 if breakpoint_k is not None else 5
    floor = 1e-20 * max(one.residual_ss, 1.0)
    bic_one = n * np.log(max(one.residual_ss, floor) / n) + 2 * np.log(n)
    bic_two = n * np.log(max(total_ss, floor) / n) + n_params * np.log(n)
    dof = n - 4
    f_stat = ((one.residual_ss - total_ss) / 2) / (max(total_ss, floor) / dof) if dof > 0 else float("nan")
    f_pvalue = float(stats.f.sf(f_stat, 2, dof)) if dof > 0 else float("nan")
    gap = (float(temperature[split - 1]), float(temperature[split]))
    chosen = breakpoint_k if breakpoint_k is not None else _crossing(low, high, gap)
    delta = float(bic_one - bic_two)
    return TwoSegmentFit(
        breakpoint_k=float(chosen),
        breakpoint_interval_k=gap,
        low=low,
        high=high,
        one_segment=one,
        criterion="fixed by the user"
        if breakpoint_k is not None
        else CRITERION.format(min_points=min_points),
        fixed=breakpoint_k is not None,
        bic_one=float(bic_one),
        bic_two=float(bic_two),
        delta_bic=delta,
        f_statistic=float(f_stat),
        f_pvalue=f_pvalue,
        break_supported=bool(delta > DELTA_BIC_SUPPORT and f_pvalue < F_PVALUE_SUPPORT),
        residual_ss=float(total_ss),
        n_candidates=len(splits),
    )


def _segment(
    temperature: NDArray[np.float64],
    sigma: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    part: slice,
    form: Form,
) -> ArrheniusFit:
    if np.ptp(temperature[part]) == 0:
        raise FitError(f"a segment holds a single temperature ({temperature[part][0]} K)")
    return fit_arrhenius(
        temperature[part], sigma[part], form=form, weights=None if weights is None else weights[part]
    )


def _crossing(low: ArrheniusFit, high: ArrheniusFit, gap: tuple[float, float]) -> float:
    """Temperature (K) where the two lines cross, if inside the gap; else the middle of the gap."""
    slope_difference = (high.activation_energy_ev - low.activation_energy_ev) / BOLTZMANN_EV_PER_K
    if slope_difference != 0:
        inverse_t = (high.ln_prefactor - low.ln_prefactor) / slope_difference
        if inverse_t > 0 and gap[0] <= 1.0 / inverse_t <= gap[1]:
            return float(1.0 / inverse_t)
    return 0.5 * (gap[0] + gap[1])
