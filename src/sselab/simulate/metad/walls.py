"""Walls on a collective variable: PLUMED's ``UPPER_WALLS`` and ``LOWER_WALLS``.

``V(s) = κ ((s - at + offset) / ε)^n`` where ``s > at - offset`` (upper wall), ``κ ((s - at - offset) / ε)^n``
where ``s < at + offset`` (lower wall, absolute value), zero elsewhere; κ in eV, ``at``, ``offset`` and ``ε``
in the CV's units. A wall is a static bias: it keeps the ion in the region the analysis reads (e.g. up to a
little beyond the target site) without entering the metadynamics hills; its energy is written to ``COLVAR``
as ``walls.bias`` and included in the reweighting. Walls act through the CV's gradient, so on a
host-relative CV they exert no net force either.

Example
-------
>>> wall = Wall(cv=0, at=3.0, kappa_ev=10.0, kind="upper")
>>> wall.energy(3.5), wall.energy(2.0)
((2.5, 10.0), (0.0, 0.0))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from sselab.errors import SimulationError
from sselab.simulate.metad.plumed import EV_TO_KJ_PER_MOL

__all__ = ["Wall", "walls_energy"]


@dataclass(frozen=True)
class Wall:
    """A PLUMED-style wall on CV number ``cv`` of a walker (0: the first CV)."""

    cv: int
    at: float
    kappa_ev: float
    kind: Literal["upper", "lower"] = "upper"
    exponent: int = 2
    eps: float = 1.0
    offset: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("upper", "lower"):
            raise SimulationError(f"wall kind must be 'upper' or 'lower', got {self.kind!r}")
        if not (self.kappa_ev > 0 and self.eps > 0 and self.exponent >= 1 and self.cv >= 0):
            raise SimulationError(f"wall needs kappa_ev > 0, eps > 0, exponent >= 1, cv >= 0: {self}")
        if not np.isfinite(self.at):
            raise SimulationError(f"wall position must be finite, got {self.at}")

    def energy(self, s: float) -> tuple[float, float]:
        """``(V in eV, dV/ds)`` at CV value ``s``."""
        scaled = (
            (s - self.at + self.offset) / self.eps
            if self.kind == "upper"
            else (s - self.at - self.offset) / self.eps
        )
        if (self.kind == "upper" and scaled <= 0.0) or (self.kind == "lower" and scaled >= 0.0):
            return 0.0, 0.0
        magnitude = abs(scaled)
        value = self.kappa_ev * magnitude**self.exponent
        slope = self.kappa_ev * self.exponent * magnitude ** (self.exponent - 1) / self.eps
        return float(value), float(slope if scaled > 0 else -slope)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Wall:
        """Inverse of :meth:`as_dict`."""
        return cls(**dict(data))

    def plumed(self, cv_name: str) -> str:
        """The equivalent PLUMED action (energies in kJ/mol, as PLUMED's default units)."""
        action = "UPPER_WALLS" if self.kind == "upper" else "LOWER_WALLS"
        return (
            f"{action} ARG={cv_name} AT={self.at:g} KAPPA={self.kappa_ev * EV_TO_KJ_PER_MOL:.6g} "
            f"EXP={self.exponent} EPS={self.eps:g} OFFSET={self.offset:g} LABEL={self.kind}wall_{cv_name}"
        )


def walls_energy(walls: Sequence[Wall], values: np.ndarray) -> tuple[float, np.ndarray]:
    """Total wall energy (eV) at CV values ``values`` ``(ncv,)`` and its gradient ``dV/ds`` ``(ncv,)``."""
    total = 0.0
    gradient = np.zeros(len(values))
    for wall in walls:
        if wall.cv >= len(values):
            raise SimulationError(f"wall on CV {wall.cv}, but the walker has {len(values)} CVs")
        value, slope = wall.energy(float(values[wall.cv]))
        total += value
        gradient[wall.cv] += slope
    return total, gradient
