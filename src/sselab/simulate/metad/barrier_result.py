"""What a barrier analysis returns: the sites, saddles and activation energies of a path, and the energy span.

Example
-------
>>> energy_span([0.0, 0.15, 0.0], [0.40, 0.65])   # Ea1 0.40, Ea2 0.50: the span is 0.65
0.65
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

__all__ = ["BarrierResult", "StationaryPoint", "energy_span"]


@dataclass(frozen=True)
class StationaryPoint:
    """A minimum or saddle: its CV coordinates and free energy (eV)."""

    position: tuple[float, ...]
    free_energy_ev: float


@dataclass(frozen=True)
class BarrierResult:
    """Activation energies read from a FES.

    Attributes
    ----------
    kind
        ``"one-step"`` or ``"two-step"`` (an intermediate minimum along the path).
    barrier_ev
        One-step barrier (``None`` for two-step).
    ea1_ev, ea2_ev
        Two-step parts: leaving the start site, and the highest later step (``None`` for one-step).
    effective_ev
        The effective barrier: the energy span of the path (for one step, the barrier).
    plateau_ev
        Free energy of the target site above the start (eV): for the perfect crystal, the interstitial
        plateau ``ΔF`` (the close Frenkel pair).
    onward_ev
        Barrier for leaving the target site onward, away from the start (``None`` unless asked for and a
        further minimum was sampled): the interstitial's migration in the ``frenkel`` protocol.
    uncertainty_ev
        Standard uncertainty of ``effective_ev`` when known (replicas or walkers), else ``None``.
    minima, saddles
        Along the path: start, intermediates, end (and the onward minimum); the saddles between them.
    path, path_free_energy_ev
        The path's CV coordinates ``(n, ndim)`` and free energies.
    min_depth_ev
        The depth a minimum needed to count as a site (eV).
    """

    kind: str
    barrier_ev: float | None
    ea1_ev: float | None
    ea2_ev: float | None
    effective_ev: float
    plateau_ev: float
    uncertainty_ev: float | None
    minima: tuple[StationaryPoint, ...]
    saddles: tuple[StationaryPoint, ...]
    path: np.ndarray
    path_free_energy_ev: np.ndarray
    onward_ev: float | None = None
    min_depth_ev: float = 0.0

    @property
    def span_ev(self) -> float:
        """The energy span (``effective_ev``)."""
        return self.effective_ev

    @property
    def rate_determining_ev(self) -> float:
        """The effective barrier (the energy span, not ``max(Ea1, Ea2)``)."""
        return self.effective_ev

    @property
    def one_step_ev(self) -> float | None:
        """Alias of ``barrier_ev`` (architecture contract)."""
        return self.barrier_ev

    @property
    def intrinsic_ev(self) -> float | None:
        """``½ plateau + onward``: the intrinsic Ea of a Frenkel mechanism (``None`` without onward hop)."""
        if self.onward_ev is None:
            return None
        return 0.5 * self.plateau_ev + self.onward_ev

    def with_uncertainty(self, uncertainty_ev: float | None) -> BarrierResult:
        """A copy with ``uncertainty_ev`` set."""
        return replace(self, uncertainty_ev=uncertainty_ev)

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form; :meth:`from_dict` rebuilds the result."""
        return {
            "kind": self.kind,
            "barrier_ev": self.barrier_ev,
            "ea1_ev": self.ea1_ev,
            "ea2_ev": self.ea2_ev,
            "effective_ev": self.effective_ev,
            "span_ev": self.effective_ev,
            "plateau_ev": self.plateau_ev,
            "onward_ev": self.onward_ev,
            "intrinsic_ev": self.intrinsic_ev,
            "uncertainty_ev": self.uncertainty_ev,
            "min_depth_ev": self.min_depth_ev,
            "minima": [
                {"position": list(m.position), "free_energy_ev": m.free_energy_ev} for m in self.minima
            ],
            "saddles": [
                {"position": list(m.position), "free_energy_ev": m.free_energy_ev} for m in self.saddles
            ],
            "path": np.asarray(self.path, dtype=float).tolist(),
            "path_free_energy_ev": np.asarray(self.path_free_energy_ev, dtype=float).tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BarrierResult:
        """Inverse of :meth:`as_dict`."""

        def points(items: list[dict[str, Any]]) -> tuple[StationaryPoint, ...]:
            return tuple(
                StationaryPoint(tuple(float(x) for x in p["position"]), float(p["free_energy_ev"]))
                for p in items
            )

        def number(key: str) -> float | None:
            return None if data.get(key) is None else float(data[key])

        effective = data.get("effective_ev")
        if effective is None:
            effective = data["span_ev"]
        return cls(
            kind=str(data["kind"]),
            barrier_ev=number("barrier_ev"),
            ea1_ev=number("ea1_ev"),
            ea2_ev=number("ea2_ev"),
            effective_ev=float(effective),
            plateau_ev=float(data.get("plateau_ev") or 0.0),
            uncertainty_ev=number("uncertainty_ev"),
            minima=points(data["minima"]),
            saddles=points(data["saddles"]),
            path=np.asarray(data.get("path", []), dtype=float),
            path_free_energy_ev=np.asarray(data.get("path_free_energy_ev", []), dtype=float),
            onward_ev=number("onward_ev"),
            min_depth_ev=float(data.get("min_depth_ev") or 0.0),
        )


def energy_span(minima_ev: Sequence[float], saddles_ev: Sequence[float]) -> float:
    """Energy span of a sequential path: ``max_k [S_k − min_{j≤k} M_j]`` with ``M_0 … M_n`` the minima and
    ``S_k`` the saddle between ``M_k`` and ``M_{k+1}`` (eV).

    >>> energy_span([0.0, 0.15, 0.0], [0.40, 0.65])   # Ea1 0.40, Ea2 0.50: the span is 0.65
    0.65
    """
    lowest, span = math.inf, -math.inf
    for m, saddle in zip(minima_ev, saddles_ev, strict=False):
        lowest = min(lowest, m)
        span = max(span, saddle - lowest)
    return float(span)
