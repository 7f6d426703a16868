"""Minima, minimum free-energy path, saddles and activation energies on a free-energy surface.

On a 1D FES the path is the CV axis between the starting minimum and the end minimum. On a 2D FES, minima are
local minima that survive a persistence filter (a minimum whose escape barrier to a lower basin is below
``min_depth_ev`` is noise), and the minimum free-energy path is the minimax path on the grid (Dijkstra
minimising the highest free energy met, ties broken by length), whose highest point is the exact mountain-pass
saddle.

Along the path, every significant intermediate minimum splits the migration into steps (the paper's "two-step"
mechanism, Wang et al. 2025, Figure 2f-g): ``Ea1`` = saddle 1 − start (leaving the site), ``Ea2`` = the
highest later saddle − the minimum it leaves (the subsequent hop); the rate-determining one is the larger.
Without an intermediate the result is one-step with ``barrier_ev``. Energies in eV.

Example
-------
>>> import numpy as np
>>> from sselab.simulate.metad.fes import FES
>>> x = np.linspace(-0.5, 2.5, 301)
>>> fes = FES(("x",), (x,), 0.5 * (1 - (x - 1) ** 2) ** 2, "hills")
>>> round(find_barriers(fes, start=[0.0]).barrier_ev, 3)
0.5
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import numpy as np

from sselab.errors import SimulationError
from sselab.simulate.metad.fes import FES

__all__ = ["BarrierResult", "StationaryPoint", "find_barriers", "find_minima"]


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
        Two-step barriers: leaving the start site, and the subsequent hop (``None`` for one-step).
    rate_determining_ev
        ``barrier_ev`` or ``max(ea1_ev, ea2_ev)``.
    span_ev
        Highest saddle along the path minus the start minimum.
    uncertainty_ev
        Standard uncertainty of ``rate_determining_ev`` (block analysis and convergence), when estimated.
    minima, saddles
        Along the path: start, intermediates, end; and the saddles between them.
    path, path_free_energy_ev
        The path's CV coordinates ``(n, ndim)`` and free energies.
    """

    kind: str
    barrier_ev: float | None
    ea1_ev: float | None
    ea2_ev: float | None
    rate_determining_ev: float
    span_ev: float
    uncertainty_ev: float | None
    minima: tuple[StationaryPoint, ...]
    saddles: tuple[StationaryPoint, ...]
    path: np.ndarray
    path_free_energy_ev: np.ndarray

    @property
    def one_step_ev(self) -> float | None:
        """Alias of ``barrier_ev`` (architecture contract)."""
        return self.barrier_ev

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
            "rate_determining_ev": self.rate_determining_ev,
            "span_ev": self.span_ev,
            "uncertainty_ev": self.uncertainty_ev,
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

        return cls(
            kind=str(data["kind"]),
            barrier_ev=number("barrier_ev"),
            ea1_ev=number("ea1_ev"),
            ea2_ev=number("ea2_ev"),
            rate_determining_ev=float(data["rate_determining_ev"]),
            span_ev=float(data["span_ev"]),
            uncertainty_ev=number("uncertainty_ev"),
            minima=points(data["minima"]),
            saddles=points(data["saddles"]),
            path=np.asarray(data.get("path", []), dtype=float),
            path_free_energy_ev=np.asarray(data.get("path_free_energy_ev", []), dtype=float),
        )


def _neighbours(shape: tuple[int, ...], diagonal: bool) -> list[list[int]]:
    """Flat-index neighbours of every cell of a 1D or 2D grid (4- or 8-connected in 2D)."""
    if len(shape) == 1:
        n = shape[0]
        return [[j for j in (i - 1, i + 1) if 0 <= j < n] for i in range(n)]
    nx, ny = shape
    steps = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if diagonal:
        steps += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    result = []
    for i in range(nx):
        for j in range(ny):
            result.append([(i + a) * ny + (j + b) for a, b in steps if 0 <= i + a < nx and 0 <= j + b < ny])
    return result


def _persistent_minima(f: np.ndarray, min_depth_ev: float) -> list[tuple[int, float]]:
    """Flat indices of minima whose escape barrier to a lower basin is at least ``min_depth_ev`` (watershed
    merge).

    Returns ``(flat_index, persistence)``; the global minimum has infinite persistence.
    """
    flat = f.ravel()
    finite = np.isfinite(flat)
    order = [int(i) for i in np.argsort(np.where(finite, flat, np.inf), kind="stable") if finite[i]]
    values = flat.tolist()
    neighbours = _neighbours(f.shape, diagonal=False)
    parent = [-1] * flat.size
    root_min: dict[int, int] = {}
    persistence: dict[int, float] = {}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in order:
        parent[i] = i
        root_min[i] = i
        for j in neighbours[i]:
            if parent[j] < 0:
                continue
            ri, rj = find(i), find(j)
            if ri == rj:
                continue
            if values[root_min[ri]] > values[root_min[rj]]:
                ri, rj = rj, ri  # ri: the basin with the lower minimum
            high = root_min[rj]
            if high != i:
                persistence[high] = values[i] - values[high]
            parent[rj] = ri
    persistence[order[0]] = np.inf
    return [(m, p) for m, p in persistence.items() if p >= min_depth_ev]


def find_minima(fes: FES, min_depth_ev: float = 0.05) -> list[StationaryPoint]:
    """Significant minima of ``fes`` (escape barrier ≥ ``min_depth_ev``), lowest first."""
    minima = _persistent_minima(fes.free_energy_ev, min_depth_ev)
    points = [_point(fes, m) for m, _ in minima]
    return sorted(points, key=lambda p: p.free_energy_ev)


def _point(fes: FES, flat_index: int) -> StationaryPoint:
    idx = np.unravel_index(flat_index, fes.free_energy_ev.shape)
    pos = tuple(float(a[i]) for a, i in zip(fes.axes, idx, strict=True))
    return StationaryPoint(pos, float(fes.free_energy_ev[idx]))


def _nearest(points: Sequence[StationaryPoint], target: Sequence[float]) -> StationaryPoint:
    t = np.asarray(target, dtype=float)
    return min(points, key=lambda p: float(np.linalg.norm(np.asarray(p.position) - t)))


def _flat_index(fes: FES, position: Sequence[float]) -> int:
    idx = tuple(int(np.argmin(np.abs(a - x))) for a, x in zip(fes.axes, position, strict=True))
    return int(np.ravel_multi_index(idx, fes.free_energy_ev.shape))


def _minimax_path(f: np.ndarray, start: int, end: int) -> list[int]:
    """Grid path from ``start`` to ``end`` minimising the highest value met (ties: fewest steps)."""
    values = f.ravel().tolist()
    finite = np.isfinite(f.ravel()).tolist()
    neighbours = _neighbours(f.shape, diagonal=True)
    best: dict[int, tuple[float, int]] = {start: (values[start], 0)}
    previous: dict[int, int] = {}
    heap = [(values[start], 0, start)]
    done: set[int] = set()
    while heap:
        peak, length, i = heapq.heappop(heap)
        if i in done:
            continue
        done.add(i)
        if i == end:
            break
        for j in neighbours[i]:
            if j in done or not finite[j]:
                continue
            cand = (max(peak, values[j]), length + 1)
            if j not in best or cand < best[j]:
                best[j] = cand
                previous[j] = i
                heapq.heappush(heap, (cand[0], cand[1], j))
    if end not in done:
        raise SimulationError("no path between the start and end minima on the sampled free-energy surface")
    path = [end]
    while path[-1] != start:
        path.append(previous[path[-1]])
    return path[::-1]


def _steps_along(profile: np.ndarray, min_depth_ev: float) -> tuple[list[int], list[int]]:
    """Indices of the minima (start, intermediates, end) and saddles along a path profile."""
    minima = [0]
    for k in range(1, len(profile) - 1):
        if profile[k] < profile[k - 1] and profile[k] <= profile[k + 1]:
            minima.append(k)
    minima.append(len(profile) - 1)
    changed = True
    while changed and len(minima) > 2:  # drop shallow intermediates
        changed = False
        for n in range(1, len(minima) - 1):
            k = minima[n]
            left = profile[minima[n - 1] : k + 1].max() - profile[k]
            right = profile[k : minima[n + 1] + 1].max() - profile[k]
            if min(left, right) < min_depth_ev:
                del minima[n]
                changed = True
                break
    saddles = [a + int(np.argmax(profile[a : b + 1])) for a, b in pairwise(minima)]
    return minima, saddles


def find_barriers(
    fes: FES,
    start: Sequence[float] | None = None,
    end: Sequence[float] | None = None,
    min_depth_ev: float = 0.05,
    site_tolerance_ev: float = 0.08,
) -> BarrierResult:
    """Activation energies of the migration from ``start`` to ``end`` on ``fes``.

    Parameters
    ----------
    fes
        1D or 2D free-energy surface (eV).
    start
        CV coordinates of the starting site; the nearest significant minimum is used (default: global
        minimum).
    end
        CV coordinates of the destination; default the nearest other significant minimum lying within
        ``site_tolerance_ev`` of the start (an equivalent site), else the lowest other minimum.
    min_depth_ev
        Minima shallower than this (escape barrier) are ignored, also as intermediates.
    site_tolerance_ev
        How much higher than the start a minimum may be and still count as an equivalent destination site.
    """
    if fes.ndim not in (1, 2):
        raise SimulationError(f"find_barriers handles 1D and 2D surfaces, got {fes.ndim}D")
    minima = find_minima(fes, min_depth_ev)
    if len(minima) < 2:
        raise SimulationError(
            f"the free-energy surface has {len(minima)} significant minimum: "
            "the ion has not left its site yet "
            "(run longer, or use larger hills)"
        )
    first = _nearest(minima, start) if start is not None else minima[0]
    others = [m for m in minima if m is not first]
    if end is not None:
        last = _nearest(others, end)
    else:
        equivalent = [m for m in others if m.free_energy_ev <= first.free_energy_ev + site_tolerance_ev]
        pool = equivalent or [min(others, key=lambda m: m.free_energy_ev)]
        last = _nearest(pool, first.position)
    f = fes.free_energy_ev
    i0, i1 = _flat_index(fes, first.position), _flat_index(fes, last.position)
    if fes.ndim == 1:
        lo, hi = sorted((i0, i1))
        cells = list(range(lo, hi + 1))
        cells = cells if i0 <= i1 else cells[::-1]
    else:
        cells = _minimax_path(f, i0, i1)
    profile = f.ravel()[cells]
    if not np.all(np.isfinite(profile)):
        raise SimulationError("the path crosses unsampled regions of the free-energy surface")
    path = np.array([_point(fes, c).position for c in cells])
    min_idx, sad_idx = _steps_along(profile, min_depth_ev)
    barriers = [float(profile[s] - profile[m]) for m, s in zip(min_idx[:-1], sad_idx, strict=True)]
    span = float(profile.max() - profile[0])
    points = tuple(_point(fes, cells[k]) for k in min_idx)
    saddles = tuple(_point(fes, cells[k]) for k in sad_idx)
    if len(barriers) == 1:
        return BarrierResult(
            "one-step", barriers[0], None, None, barriers[0], span, None, points, saddles, path, profile
        )
    ea1, ea2 = barriers[0], max(barriers[1:])
    return BarrierResult(
        "two-step", None, ea1, ea2, max(ea1, ea2), span, None, points, saddles, path, profile
    )
