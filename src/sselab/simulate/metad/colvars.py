"""Collective variables (CVs) for metadynamics of a migrating ion.

Every CV is a small frozen dataclass with a ``name`` and ``compute(atoms) -> (value, gradient)``: the scalar
value and its gradient with respect to all atomic positions, shape ``(len(atoms), 3)``. Lengths are in Å, so a
displacement CV is in Å and its gradient dimensionless; a coordination number is dimensionless and its
gradient in 1/Å. Distances use the minimum-image convention of the cell along periodic directions.

A two-dimensional displacement is two :class:`ProjectedDisplacement` CVs (see :func:`displacement_2d`).

Example
-------
>>> from ase import Atoms
>>> atoms = Atoms("Li", positions=[[0.5, 0.0, 0.0]], cell=[10, 10, 10], pbc=True)
>>> cv = ProjectedDisplacement(index=0, reference_position=(0.0, 0.0, 0.0), direction=(1.0, 0.0, 0.0))
>>> round(cv.compute(atoms)[0], 3)
0.5
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from ase import Atoms
from ase.geometry import find_mic

from sselab.errors import SimulationError

__all__ = [
    "CollectiveVariable",
    "CoordinationNumber",
    "Distance",
    "ProjectedDisplacement",
    "displacement_2d",
    "rational_switching",
]


@runtime_checkable
class CollectiveVariable(Protocol):
    """What metadynamics needs from a CV: a name, and the value with its gradient (shape ``(natoms, 3)``)."""

    @property
    def name(self) -> str:
        """Field name of the CV in HILLS/COLVAR."""
        ...

    def compute(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        """Return ``(value, d value / d positions)``."""
        ...


def _mic(vectors: np.ndarray, atoms: Atoms) -> np.ndarray:
    """Minimum-image version of displacement vectors (Å), shape ``(n, 3)``."""
    if not np.any(atoms.pbc):
        return vectors
    cell = atoms.cell.array
    lengths = cell.diagonal()
    if np.count_nonzero(cell) == np.count_nonzero(lengths) and np.all(lengths > 0):  # orthorhombic: fast path
        return vectors - atoms.pbc * lengths * np.round(vectors / lengths)
    mic, _ = find_mic(vectors, atoms.cell, atoms.pbc)
    return np.asarray(mic)


def _check_index(index: int, atoms: Atoms, what: str) -> None:
    if not 0 <= index < len(atoms):
        raise SimulationError(f"{what}: atom index {index} is outside the structure ({len(atoms)} atoms)")


@dataclass(frozen=True)
class ProjectedDisplacement:
    """Displacement of atom ``index`` from ``reference_position`` (Å) projected on a unit ``direction``.

    A *lab-frame* CV: its gradient acts on one atom only, so a bias on it is a net external force on the
    cell (the crystal slides under the ion unless the centre of mass is held). Use it for model systems; a
    crystal's migration CVs are host-relative (:mod:`sselab.simulate.metad.relative`).

    ``s = (u_index - r_ref) · d`` in Å, where ``d`` is ``direction`` normalised and ``u_index`` the atom's
    unwrapped position: at the first evaluation the minimum image of the atom relative to the reference,
    afterwards the previous unwrapped position plus the minimum-image step to the current one.
    The CV is therefore continuous along a trajectory even when the atom travels more than half a cell length
    (no jump by a cell length), as long as it moves less than half a cell between two evaluations. The
    unwrapped position (:meth:`unwrapped_position`) is restored from a metadynamics checkpoint
    (:meth:`restore_unwrapped`), so restarts are exact. One instance follows one trajectory: give each
    independent structure its own instance, or call :meth:`reset` before evaluating an unrelated one.
    """

    index: int
    reference_position: tuple[float, float, float]
    direction: tuple[float, float, float]
    name: str = "d1"
    _unwrapped: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        norm = float(np.linalg.norm(self.direction))
        if not np.isfinite(norm) or norm == 0.0:
            raise SimulationError(f"CV {self.name}: direction {self.direction} has zero length")
        object.__setattr__(self, "direction", tuple(float(x) / norm for x in self.direction))

    def unwrapped_position(self) -> np.ndarray | None:
        """The atom's last unwrapped position (Å); ``None`` before the first evaluation or after a reset."""
        last = self._unwrapped.get("last")
        return None if last is None else last.copy()

    def restore_unwrapped(self, position_a: np.ndarray) -> None:
        """Set the atom's last unwrapped position (Å), e.g. from a checkpoint."""
        position = np.asarray(position_a, dtype=float)
        if position.shape != (3,) or not np.all(np.isfinite(position)):
            raise SimulationError(
                f"CV {self.name}: unwrapped position must be 3 finite numbers, got {position}"
            )
        self._unwrapped["last"] = position.copy()

    def reset(self) -> None:
        """Forget the unwrapped position: the next evaluation takes the minimum image of the reference."""
        self._unwrapped.clear()

    def state(self) -> np.ndarray | None:
        """The state a checkpoint saves: the unwrapped position (Å), ``None`` before the first evaluation."""
        return self.unwrapped_position()

    def restore_state(self, state: np.ndarray) -> None:
        """Continue from a saved :meth:`state`."""
        self.restore_unwrapped(state)

    def compute(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        """Projected displacement (Å) and its gradient (dimensionless)."""
        _check_index(self.index, atoms, f"CV {self.name}")
        position = atoms.positions[self.index]
        reference = np.asarray(self.reference_position, dtype=float)
        last = self._unwrapped.get("last")
        if last is None:
            unwrapped = reference + _mic((position - reference)[None, :], atoms)[0]
        else:
            unwrapped = last + _mic((position - last)[None, :], atoms)[0]
        self._unwrapped["last"] = unwrapped
        direction = np.asarray(self.direction)
        gradient = np.zeros((len(atoms), 3))
        gradient[self.index] = direction
        return float((unwrapped - reference) @ direction), gradient


def displacement_2d(
    index: int,
    reference_position: tuple[float, float, float],
    direction_1: tuple[float, float, float],
    direction_2: tuple[float, float, float],
    names: tuple[str, str] = ("d1", "d2"),
) -> tuple[ProjectedDisplacement, ProjectedDisplacement]:
    """Two projected displacements of one atom: the 2D "track" of Figure 2d (Å).

    ``direction_2`` is orthogonalised against ``direction_1`` so that the two CVs are independent.
    """
    d1 = np.asarray(direction_1, dtype=float)
    d1 = d1 / np.linalg.norm(d1)
    d2 = np.asarray(direction_2, dtype=float)
    d2 = d2 - (d2 @ d1) * d1
    if np.linalg.norm(d2) < 1e-8:
        raise SimulationError(f"displacement_2d: directions {direction_1} and {direction_2} are parallel")
    return (
        ProjectedDisplacement(index, reference_position, tuple(d1.tolist()), names[0]),  # type: ignore[arg-type]
        ProjectedDisplacement(index, reference_position, tuple(d2.tolist()), names[1]),  # type: ignore[arg-type]
    )


def rational_switching(distance_a: np.ndarray, r0_a: float, nn: int = 6, mm: int = 12, d0_a: float = 0.0):
    """PLUMED's ``SWITCHING RATIONAL``: ``s(r) = (1 - x^nn) / (1 - x^mm)``, ``x = (r - d0) / r0``.

    Returns ``(s, ds/dr)`` (ds/dr in 1/Å). ``s = 1`` for ``r <= d0``;
    the removable singularity at ``x = 1`` takes its limit ``nn / mm``.
    """
    r = np.asarray(distance_a, dtype=float)
    x = np.clip((r - d0_a) / r0_a, 0.0, None)
    near_one = np.abs(x - 1.0) < 1e-6
    xs = np.where(near_one, 0.5, x)  # placeholder away from the singularity
    num = 1.0 - xs**nn
    den = 1.0 - xs**mm
    s = num / den
    dsdx = (-nn * xs ** (nn - 1) * den + mm * xs ** (mm - 1) * num) / den**2
    # limits at x -> 1: s = nn/mm, ds/dx = nn (nn - mm) / (2 mm)
    s = np.where(near_one, nn / mm, s)
    dsdx = np.where(near_one, nn * (nn - mm) / (2.0 * mm), dsdx)
    dsdx = np.where(x <= 0.0, 0.0, dsdx)
    s = np.where(x <= 0.0, 1.0, s)
    return s, dsdx / r0_a


@dataclass(frozen=True)
class CoordinationNumber:
    """Coordination number of atom ``index`` to the atoms in ``group`` with a rational switching function.

    ``CN = sum_j s(|r_j - r_index|)`` with PLUMED's ``SWITCHING={RATIONAL R_0=r0 D_0=d0 NN=nn MM=mm}``; use
    the anion centres (B) or the donor atoms of neutral molecules
    (N, O) as the group. ``r0_a`` and ``d0_a`` in Å. With a cut-off ``d_max_a`` (PLUMED's ``D_MAX`` with
    ``STRETCH``) the switching function is shifted and scaled so that it is exactly 0 at and beyond
    ``d_max_a`` and still 1 at ``d0_a``: ``s' = (s - s(d_max)) / (1 - s(d_max))``; atoms beyond the cut-off
    add nothing, so the value and its forces stay local. Pairwise distances only: translation invariant,
    the gradient sums to zero (no net force).
    """

    index: int
    group: tuple[int, ...]
    r0_a: float = 2.5
    nn: int = 6
    mm: int = 12
    d0_a: float = 0.0
    name: str = "cn"
    d_max_a: float | None = None
    _group: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        group = np.asarray([g for g in self.group if g != self.index], dtype=int)
        if group.size == 0:
            raise SimulationError(f"CV {self.name}: the coordination group is empty")
        if self.r0_a <= 0:
            raise SimulationError(f"CV {self.name}: r0_a must be positive, got {self.r0_a}")
        if self.d_max_a is not None and not self.d_max_a > self.d0_a:
            raise SimulationError(f"CV {self.name}: d_max_a must exceed d0_a, got {self.d_max_a}")
        object.__setattr__(self, "_group", group)

    def compute(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        """Coordination number (dimensionless) and its gradient (1/Å)."""
        _check_index(self.index, atoms, f"CV {self.name}")
        if self._group.max() >= len(atoms):
            raise SimulationError(f"CV {self.name}: group index {self._group.max()} outside the structure")
        vectors = _mic(atoms.positions[self._group] - atoms.positions[self.index], atoms)
        distances = np.linalg.norm(vectors, axis=1)
        s, dsdr = rational_switching(distances, self.r0_a, self.nn, self.mm, self.d0_a)
        if self.d_max_a is not None:
            at_cut = rational_switching(np.array([self.d_max_a]), self.r0_a, self.nn, self.mm, self.d0_a)
            s_max = float(at_cut[0][0])
            inside = distances < self.d_max_a
            s = np.where(inside, (s - s_max) / (1.0 - s_max), 0.0)
            dsdr = np.where(inside, dsdr / (1.0 - s_max), 0.0)
        unit = vectors / np.maximum(distances, 1e-12)[:, None]
        pair_gradient = dsdr[:, None] * unit  # d s_j / d r_j
        gradient = np.zeros((len(atoms), 3))
        np.add.at(gradient, self._group, pair_gradient)
        gradient[self.index] -= pair_gradient.sum(axis=0)
        return float(s.sum()), gradient


@dataclass(frozen=True)
class Distance:
    """Minimum-image distance between atoms ``index_1`` and ``index_2`` (Å)."""

    index_1: int
    index_2: int
    name: str = "dist"

    def compute(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        """Distance (Å) and its gradient (dimensionless)."""
        _check_index(self.index_1, atoms, f"CV {self.name}")
        _check_index(self.index_2, atoms, f"CV {self.name}")
        vector = _mic((atoms.positions[self.index_2] - atoms.positions[self.index_1])[None, :], atoms)[0]
        distance = float(np.linalg.norm(vector))
        unit = vector / max(distance, 1e-12)
        gradient = np.zeros((len(atoms), 3))
        gradient[self.index_2] = unit
        gradient[self.index_1] = -unit
        return distance, gradient
