"""Interstitial sites of a crystal: the centres of its largest empty voids.

A void centre is a local maximum, on a grid through the cell, of the *clearance*: the distance to the
nearest atom. The ``frenkel`` and ``paper`` protocols use the void nearest the migrating ion as the site of
the interstitial it becomes; the ``interstitial`` protocol places an extra ion in the largest void and
studies its hop to the nearest equivalent one. Distances in Å, minimum image.

Example
-------
>>> from ase.build import bulk
>>> voids = find_voids(bulk("Cu", "fcc", a=3.6, cubic=True), spacing_a=0.3)
>>> round(voids[0].clearance_a, 2)  # the octahedral hole of fcc: a/2
1.8
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase import Atoms
from scipy.optimize import minimize

from sselab.errors import SimulationError

__all__ = ["Void", "find_voids", "nearest_void", "refine_void"]


@dataclass(frozen=True)
class Void:
    """A void centre (Å, Cartesian) and its clearance (distance to the nearest atom, Å)."""

    position_a: tuple[float, float, float]
    clearance_a: float


def _clearance(points_frac: np.ndarray, atoms: Atoms, chunk: int = 4000) -> np.ndarray:
    """Distance (Å) from each fractional point to the nearest atom (fractional minimum image)."""
    cell = atoms.cell.array
    atoms_frac = atoms.get_scaled_positions(wrap=True)
    out = np.empty(len(points_frac))
    for first in range(0, len(points_frac), chunk):
        d = points_frac[first : first + chunk, None, :] - atoms_frac[None, :, :]
        d -= np.round(d)
        cart = d @ cell
        out[first : first + chunk] = np.sqrt(np.min(np.einsum("pak,pak->pa", cart, cart), axis=1))
    return out


def find_voids(atoms: Atoms, spacing_a: float = 0.25, min_clearance_a: float = 1.0) -> list[Void]:
    """Void centres of ``atoms``, largest clearance first (duplicates within 0.5 Å merged).

    Parameters
    ----------
    atoms
        A periodic cell (every direction periodic).
    spacing_a
        Grid spacing (Å): the void centres are located to about this precision.
    min_clearance_a
        Smallest clearance of a void kept (Å).
    """
    if not np.all(atoms.pbc) or atoms.cell.rank < 3:
        raise SimulationError("find_voids needs a cell periodic in three directions")
    lengths = atoms.cell.lengths()
    shape = tuple(max(4, int(np.ceil(length / spacing_a))) for length in lengths)
    axes = [np.arange(n) / n for n in shape]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    clearance = _clearance(grid, atoms).reshape(shape)
    is_max = np.ones(shape, dtype=bool)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for dz in (-1, 0, 1):
                if dx or dy or dz:
                    is_max &= clearance >= np.roll(clearance, (dx, dy, dz), axis=(0, 1, 2))
    candidates = np.argwhere(is_max & (clearance >= min_clearance_a))
    order = np.argsort(-clearance[tuple(candidates.T)], kind="stable")
    voids: list[Void] = []
    kept: list[np.ndarray] = []
    for k in order:
        frac = candidates[k] / np.array(shape)
        if any(_distance(frac, other, atoms) < 0.5 for other in kept):
            continue
        kept.append(frac)
        position = frac @ atoms.cell.array
        voids.append(
            Void(
                (float(position[0]), float(position[1]), float(position[2])),
                float(clearance[tuple(candidates[k])]),
            )
        )
    return voids


def _distance(frac_a: np.ndarray, frac_b: np.ndarray, atoms: Atoms) -> float:
    d = frac_a - frac_b
    d -= np.round(d)
    return float(np.linalg.norm(d @ atoms.cell.array))


def nearest_void(
    atoms: Atoms, index: int, voids: list[Void], min_distance_a: float = 1.0
) -> tuple[Void, float]:
    """The void nearest atom ``index`` (at least ``min_distance_a`` away) and its distance (Å)."""
    frac = atoms.get_scaled_positions(wrap=False)[index]
    best: tuple[Void, float] | None = None
    for void in voids:
        vf = np.linalg.solve(atoms.cell.array.T, np.asarray(void.position_a))
        distance = _distance(vf, frac, atoms)
        if distance >= min_distance_a and (best is None or distance < best[1]):
            best = (void, distance)
    if best is None:
        raise SimulationError(f"no void at least {min_distance_a} Å from atom {index}")
    return best


def refine_void(atoms: Atoms, void: Void) -> Void:
    """The void centre to better than the grid: the point of largest clearance near ``void`` (Nelder–Mead on
    the clearance, which is not smooth but has a single maximum in a void)."""
    inverse = np.linalg.inv(atoms.cell.array)

    def negative_clearance(x: np.ndarray) -> float:
        return -float(_clearance((x @ inverse)[None, :], atoms)[0])

    start = np.asarray(void.position_a, dtype=float)
    simplex = start + 0.1 * np.vstack([np.zeros(3), np.eye(3)])
    options = {"xatol": 1e-4, "fatol": 1e-6, "initial_simplex": simplex}
    best = minimize(negative_clearance, start, method="Nelder-Mead", options=options)
    if -best.fun < void.clearance_a:
        return void
    x = best.x
    return Void((float(x[0]), float(x[1]), float(x[2])), float(-best.fun))
