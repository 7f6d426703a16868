"""Translation-invariant CVs of a migrating ion: its position measured against its host, not the lab frame.

A CV that follows one atom in the lab frame (:class:`~sselab.simulate.metad.colvars.ProjectedDisplacement`)
turns the bias into a net external force: the crystal slides under the ion. Here the ion's position is taken
relative to the centroid of its *host* — every other atom (default), or its anion cage
(:func:`cage_indices`) — so that ``s(x + a) = s(x)`` for any translation ``a``: the gradient on the ion is
balanced by ``-g/N`` on each of the ``N`` host atoms, the bias forces sum to zero and the centre of mass
feels nothing.

- :class:`HostDisplacement`: ``s = (r_ion - c_host - s0) · d`` (Å), the hop coordinate of a vacancy or
  interstitial hop from its site ``s0`` towards a target along ``d``.
- :class:`SiteDistance`: ``r = |r_ion - c_host - s0|`` (Å), the radial distance from the lattice site, for the
  perfect crystal (the ion may leave in any direction). Smoothed at the site, ``sqrt(r² + ε²) - ε`` with
  ``ε = 1e-3 Å``, so its gradient is continuous.

Positions are unwrapped atom by atom along the trajectory (first evaluation: the minimum image of each atom
from the reference structure; afterwards from its previous position), so neither wrapping nor a pass across
the cell boundary makes the CV jump. The state (every atom's unwrapped position) is saved in metadynamics
checkpoints (:meth:`state`, :meth:`restore_state`), so restarts are exact.

Example
-------
>>> from ase.build import bulk
>>> cell = bulk("Cu", cubic=True).repeat(2)
>>> cv = HostDisplacement(0, cell, direction=(1.0, 0.0, 0.0))
>>> moved = cell.copy(); moved.translate((0.3, 0.2, 0.0))  # the whole crystal moves: the CV does not
>>> round(cv.compute(moved)[0], 12), float(abs(cv.compute(moved)[1].sum(axis=0)).max()) < 1e-12
(0.0, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from ase import Atoms

from sselab.errors import SimulationError
from sselab.simulate.metad.colvars import _mic

__all__ = ["HostDisplacement", "SiteDistance", "cage_indices", "host_centroid_drift"]

_SMOOTHING_A = 1e-3


def cage_indices(atoms: Atoms, index: int, elements: Sequence[str], count: int = 4) -> tuple[int, ...]:
    """The ``count`` atoms of ``elements`` nearest atom ``index`` (minimum image): its anion cage (e.g. the
    four B of the BH4 tetrahedra around a Li)."""
    symbols = np.array(atoms.get_chemical_symbols())
    candidates = [int(i) for i in np.flatnonzero(np.isin(symbols, list(elements))) if i != index]
    if len(candidates) < count:
        raise SimulationError(
            f"the cage of atom {index} needs {count} atoms of {', '.join(elements)}, found {len(candidates)}"
        )
    distances = atoms.get_distances(index, candidates, mic=True)
    order = np.argsort(distances, kind="stable")[:count]
    return tuple(sorted(candidates[int(k)] for k in order))


class _HostRelative:
    """The ion's position relative to the centroid of its host, unwrapped continuously (Å)."""

    kind = "host-relative"

    def __init__(
        self,
        index: int,
        reference: Atoms,
        host: Sequence[int] | None = None,
        name: str = "d1",
        site_offset_a: Sequence[float] | np.ndarray | None = None,
    ) -> None:
        n = len(reference)
        if not 0 <= index < n:
            raise SimulationError(f"CV {name}: atom index {index} is outside the structure ({n} atoms)")
        host_idx = np.array([i for i in range(n) if i != index] if host is None else list(host), dtype=int)
        if host_idx.size == 0 or index in host_idx or host_idx.min() < 0 or host_idx.max() >= n:
            raise SimulationError(f"CV {name}: the host must be other atoms of the structure, got {host}")
        self.index = int(index)
        self.name = name
        self.host: tuple[int, ...] | None = None if host is None else tuple(int(i) for i in host_idx)
        self._host = host_idx
        self._reference = np.array(reference.positions, dtype=float)
        default_site = self._reference[index] - self._reference[host_idx].mean(axis=0)
        self.site_offset_a = np.asarray(default_site if site_offset_a is None else site_offset_a, dtype=float)
        if self.site_offset_a.shape != (3,) or not np.all(np.isfinite(self.site_offset_a)):
            raise SimulationError(f"CV {name}: site_offset_a must be 3 finite numbers (Å)")
        self._unwrapped: np.ndarray | None = None

    # -- state of the unwrapping (saved in checkpoints) --------------------------------------------
    def state(self) -> np.ndarray | None:
        """Every atom's last unwrapped position ``(natoms, 3)`` (Å); ``None`` before the first evaluation."""
        return None if self._unwrapped is None else self._unwrapped.copy()

    def restore_state(self, state: np.ndarray) -> None:
        """Continue from a saved :meth:`state`."""
        array = np.asarray(state, dtype=float)
        if array.shape != self._reference.shape or not np.all(np.isfinite(array)):
            raise SimulationError(f"CV {self.name}: a saved state of shape {array.shape} does not fit")
        self._unwrapped = array.copy()

    def reset(self) -> None:
        """Forget the track: the next evaluation starts from the minimum images of the reference."""
        self._unwrapped = None

    def _relative(self, atoms: Atoms) -> np.ndarray:
        """``r_ion - c_host - s0`` (Å) at ``atoms``, updating the unwrapped track."""
        if len(atoms) != len(self._reference):
            raise SimulationError(
                f"CV {self.name}: built for {len(self._reference)} atoms, got a structure of {len(atoms)}"
            )
        base = self._reference if self._unwrapped is None else self._unwrapped
        unwrapped = base + _mic(atoms.positions - base, atoms)
        self._unwrapped = unwrapped
        return unwrapped[self.index] - unwrapped[self._host].mean(axis=0) - self.site_offset_a

    def _gradient(self, natoms: int, unit: np.ndarray) -> np.ndarray:
        gradient = np.zeros((natoms, 3))
        gradient[self._host] = -unit / len(self._host)
        gradient[self.index] += unit
        return gradient

    def host_centroid(self) -> np.ndarray | None:
        """The host's current unwrapped centroid (Å), ``None`` before the first evaluation."""
        return None if self._unwrapped is None else self._unwrapped[self._host].mean(axis=0)

    def describe(self) -> dict[str, Any]:
        """What is recorded about the CV (JSON-ready; the host as a count when it is every other atom)."""
        return {
            "type": type(self).__name__,
            "name": self.name,
            "index": self.index,
            "host": "all other atoms" if self.host is None else list(self.host),
            "n_host": len(self._host),
            "site_offset_a": [float(x) for x in self.site_offset_a],
        }


class HostDisplacement(_HostRelative):
    """Displacement of atom ``index`` from its site, relative to its host's centroid, along ``direction`` (Å).

    ``s = (r_index - c_host - s0) · d`` with ``d`` the unit ``direction``; ``s0`` is the site's offset from
    the host centroid in ``reference`` (default: where the atom sits there), so ``s = 0`` on the site.
    """

    def __init__(
        self,
        index: int,
        reference: Atoms,
        direction: Sequence[float] | np.ndarray,
        host: Sequence[int] | None = None,
        name: str = "d1",
        site_offset_a: Sequence[float] | np.ndarray | None = None,
    ) -> None:
        super().__init__(index, reference, host, name, site_offset_a)
        d = np.asarray(direction, dtype=float)
        norm = float(np.linalg.norm(d))
        if d.shape != (3,) or not np.isfinite(norm) or norm == 0.0:
            raise SimulationError(f"CV {name}: direction {direction} must be 3 numbers, not all zero")
        self.direction = d / norm

    def compute(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        """The projected host-relative displacement (Å) and its gradient (dimensionless, sums to zero)."""
        relative = self._relative(atoms)
        return float(relative @ self.direction), self._gradient(len(atoms), self.direction)

    def describe(self) -> dict[str, Any]:
        """What is recorded about the CV."""
        return {**super().describe(), "direction": [float(x) for x in self.direction]}


class SiteDistance(_HostRelative):
    """Radial distance of atom ``index`` from its lattice site, relative to its host's centroid (Å).

    ``r = sqrt(|r_index - c_host - s0|² + ε²) - ε`` (``ε = 1e-3 Å``): the perfect crystal's CV, where the ion
    may leave its site in any direction. Its free energy includes the ``-2 kT ln r`` of the spherical shell,
    which is physical for the equilibrium between the site and the interstitial shell.
    """

    def compute(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        """The host-relative site distance (Å) and its gradient (dimensionless, sums to zero)."""
        relative = self._relative(atoms)
        smooth = float(np.sqrt(relative @ relative + _SMOOTHING_A**2))
        return smooth - _SMOOTHING_A, self._gradient(len(atoms), relative / smooth)


def host_centroid_drift(start: Atoms, end: Atoms, host: Sequence[int]) -> float:
    """How far the centroid of the ``host`` atoms moved between two frames of a trajectory (Å, minimum image
    per atom): the drift a lab-frame bias causes, and what a translation-invariant one must not."""
    idx = np.asarray(host, dtype=int)
    steps = _mic(end.positions[idx] - start.positions[idx], end)
    return float(np.linalg.norm(steps.mean(axis=0)))
