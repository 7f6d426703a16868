"""Minima, minimum free-energy path, saddles and activation energies on a free-energy surface.

On a 1D FES the path is the CV axis between the starting minimum and the end minimum. On a 2D FES, minima are
local minima that survive a persistence filter (a minimum whose escape barrier to a lower basin is below
``min_depth_ev`` is noise), and the minimum free-energy path is the minimax path on the grid (Dijkstra
minimising the highest free energy met, ties broken by length), whose highest point is the exact mountain-pass
saddle.

What counts as a site: a minimum at least ``min_depth_ev`` deep (the analysis passes ``max(3 kT, the FES's
noise)``), not on the edge of the explored region, and — for the end — within ``target_tolerance`` of the
target along the first CV; otherwise there is no barrier ("target not reached"). A harmonic or quartic well,
or a double well the ion never crossed, has one site and therefore no barrier.

Along the path, every significant intermediate minimum splits the migration into steps (the paper's "two-step"
mechanism, Wang et al. 2025, Figure 2f-g): ``Ea1`` = saddle 1 − start (leaving the site), ``Ea2`` = the
highest later step (saddle − the minimum it leaves). The *effective* barrier of a sequential path is its
energy span (Kozuch & Shaik, Acc. Chem. Res. 44, 101 (2011)): the highest saddle minus the lowest minimum
before it, ``δE = max_k [F(S_k) − min_{j≤k} F(M_j)]``; for one step it is the barrier. Energies in eV.

Example
-------
>>> import numpy as np
>>> from sselab.simulate.metad.fes import FES
>>> x = np.linspace(-0.5, 2.5, 301)
>>> fes = FES(("x",), (x,), 0.5 * (1 - (x - 1) ** 2) ** 2, "hills")
>>> result = find_barriers(fes, start=[0.0], end=[2.0], target_tolerance=0.3)
>>> result.kind, round(result.effective_ev, 3)
('one-step', 0.5)
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from sselab.errors import SimulationError
from sselab.simulate.metad.barrier_result import BarrierResult, StationaryPoint, energy_span
from sselab.simulate.metad.fes import FES

__all__ = ["BarrierResult", "StationaryPoint", "energy_span", "find_barriers", "find_minima"]


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


def _on_edge(fes: FES, flat_index: int) -> bool:
    """Whether a grid cell lies on the edge of the explored region (the grid's border, or next to an
    unsampled cell): a minimum there is where sampling stopped, not a site."""
    f = fes.free_energy_ev
    idx = np.unravel_index(flat_index, f.shape)
    for axis, i in enumerate(idx):
        if i == 0 or i == f.shape[axis] - 1:
            return True
        for step in (-1, 1):
            other = list(idx)
            other[axis] = i + step
            if not np.isfinite(f[tuple(other)]):
                return True
    return False


def find_minima(fes: FES, min_depth_ev: float = 0.05) -> list[StationaryPoint]:
    """Significant minima of ``fes`` (escape barrier ≥ ``min_depth_ev``, not on the edge of the explored
    region), lowest first."""
    minima = _persistent_minima(fes.free_energy_ev, min_depth_ev)
    points = [_point(fes, m) for m, _ in minima if not _on_edge(fes, m)]
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


def _along_first(point: StationaryPoint, target: Sequence[float | None]) -> float:
    return abs(point.position[0] - float(target[0])) if target[0] is not None else 0.0


def _distance(point: StationaryPoint, target: Sequence[float | None]) -> float:
    """Distance in the coordinates ``target`` gives (``None``/NaN: free)."""
    parts = [
        (p - float(t)) ** 2
        for p, t in zip(point.position, target, strict=True)
        if t is not None and not math.isnan(float(t))
    ]
    return math.sqrt(sum(parts))


def _site(
    minima: Sequence[StationaryPoint], target: Sequence[float | None], tolerance: float | None, what: str
) -> StationaryPoint:
    """The minimum nearest ``target`` (in its given coordinates), within ``tolerance`` along the first CV."""
    if not minima:
        raise SimulationError(f"no barrier: no other significant minimum than the start for the {what}")
    pool = list(minima)
    if tolerance is not None:
        pool = [m for m in minima if _along_first(m, target) <= tolerance]
        if not pool:
            nearest = min(minima, key=lambda m: _along_first(m, target))
            raise SimulationError(
                f"no barrier: {what} not reached (no significant minimum within {tolerance:g} of "
                f"{target[0]:g} along the first CV; the nearest is at {nearest.position[0]:.3g})"
            )
    return min(pool, key=lambda m: (_distance(m, target), m.free_energy_ev))


def _cells(fes: FES, i0: int, i1: int) -> list[int]:
    if fes.ndim == 1:
        lo, hi = sorted((i0, i1))
        cells = list(range(lo, hi + 1))
        return cells if i0 <= i1 else cells[::-1]
    return _minimax_path(fes.free_energy_ev, i0, i1)


def _onward(fes: FES, first: StationaryPoint, last: StationaryPoint, minima: Sequence[StationaryPoint],
            min_depth_ev: float) -> StationaryPoint | None:  # fmt: skip
    """The next significant minimum beyond ``last``, away from ``first`` along the (1D) CV."""
    if fes.ndim != 1:
        return None
    sign = 1.0 if last.position[0] >= first.position[0] else -1.0
    beyond = [m for m in minima if sign * (m.position[0] - last.position[0]) > 0]
    if not beyond:
        return None
    return min(beyond, key=lambda m: abs(m.position[0] - last.position[0]))


def find_barriers(
    fes: FES,
    start: Sequence[float | None] | None = None,
    end: Sequence[float | None] | None = None,
    min_depth_ev: float = 0.05,
    site_tolerance_ev: float = 0.08,
    target_tolerance: float | None = None,
    onward: bool = False,
) -> BarrierResult:
    """Activation energies of the migration from ``start`` to ``end`` on ``fes``.

    Parameters
    ----------
    fes
        1D or 2D free-energy surface (eV).
    start
        CV coordinates of the starting site; the nearest significant minimum is used (default: global
        minimum). With ``target_tolerance`` it must lie that close along the first CV.
    end
        CV coordinates of the target (``None`` or NaN for a free coordinate). With ``target_tolerance`` the
        end minimum must lie that close to it along the first CV, else "target not reached". Default: the
        nearest other significant minimum within ``site_tolerance_ev`` of the start (an equivalent site),
        else the lowest other minimum.
    min_depth_ev
        Minima shallower than this (escape barrier) are not sites, also as intermediates.
    site_tolerance_ev
        How much higher than the start a minimum may be and still count as an equivalent destination site.
    target_tolerance
        Largest distance (first CV's units) between a site and its given coordinate.
    onward
        Also follow the path beyond the end to the next significant minimum (1D), giving ``onward_ev``.

    Raises
    ------
    SimulationError
        "no barrier: ..." when there are fewer than two sites, the target is not reached, or the path
        crosses unsampled regions.
    """
    if fes.ndim not in (1, 2):
        raise SimulationError(f"find_barriers handles 1D and 2D surfaces, got {fes.ndim}D")
    minima = find_minima(fes, min_depth_ev)
    if len(minima) < 2:
        raise SimulationError(
            f"no barrier: the free-energy surface has {len(minima)} site(s) at least {min_depth_ev:.3f} eV "
            "deep (a single well, or the ion has not crossed yet: run longer)"
        )
    first = _site(minima, start, target_tolerance, "start site") if start is not None else minima[0]
    others = [m for m in minima if m is not first]
    if end is not None:
        last = _site(others, end, target_tolerance, "target site")
    else:
        equivalent = [m for m in others if m.free_energy_ev <= first.free_energy_ev + site_tolerance_ev]
        pool = equivalent or [min(others, key=lambda m: m.free_energy_ev)]
        last = min(pool, key=lambda m: float(np.linalg.norm(np.subtract(m.position, first.position))))
    f = fes.free_energy_ev
    i0, i1 = _flat_index(fes, first.position), _flat_index(fes, last.position)
    cells = _cells(fes, i0, i1)
    beyond = _onward(fes, first, last, [m for m in others if m is not last], min_depth_ev) if onward else None
    if beyond is not None:
        cells = cells + _cells(fes, i1, _flat_index(fes, beyond.position))[1:]
    profile = f.ravel()[cells]
    if not np.all(np.isfinite(profile)):
        raise SimulationError("no barrier: the path crosses unsampled regions of the free-energy surface")
    path = np.array([_point(fes, c).position for c in cells])
    min_idx, sad_idx = _steps_along(profile, min_depth_ev)
    end_k = cells.index(i1)
    if end_k not in min_idx:  # the target is a site: keep it as a step boundary
        min_idx = sorted({*min_idx, end_k})
        sad_idx = [a + int(np.argmax(profile[a : b + 1])) for a, b in pairwise(min_idx)]
    barriers = [float(profile[s] - profile[m]) for m, s in zip(min_idx[:-1], sad_idx, strict=True)]
    span = energy_span([float(profile[m]) for m in min_idx], [float(profile[s]) for s in sad_idx])
    points = tuple(_point(fes, cells[k]) for k in min_idx)
    saddles = tuple(_point(fes, cells[k]) for k in sad_idx)
    onward_ev = None
    if beyond is not None:
        after = [k for k in min_idx if k > end_k]
        k_next = after[0] if after else len(profile) - 1
        onward_ev = float(profile[end_k : k_next + 1].max() - profile[end_k])
    plateau = float(profile[end_k] - profile[0])
    depth = float(min_depth_ev)
    if len(barriers) == 1:
        return BarrierResult(
            "one-step", barriers[0], None, None, span, plateau, None, points, saddles, path, profile,
            onward_ev=onward_ev, min_depth_ev=depth,
        )  # fmt: skip
    ea1, ea2 = barriers[0], max(barriers[1:])
    return BarrierResult(
        "two-step", None, ea1, ea2, span, plateau, None, points, saddles, path, profile,
        onward_ev=onward_ev, min_depth_ev=depth,
    )  # fmt: skip
