"""Model potentials with known barriers, as ASE calculators: the known-answer tests of metadynamics.

Each model acts on every atom independently as a function of its displacement ``(u, v, w)`` (Å) from
``origin`` (by default the centre of a 20 Å box, see :func:`particle_in_box`); ``u`` is the migration
coordinate, ``v`` a transverse one, ``w`` is held by a harmonic spring. Because the ``w`` spring (and, for the
1D models, the ``v`` spring) separates from the rest, the free energy along ``u`` (or ``(u, v)``) equals the
potential there up to a constant, so the free-energy barriers are known exactly:

- :class:`DoubleWell1D`: ``E = Eb (1 - ((u - a)/a)^2)^2``: minima at ``u = 0`` and ``2a``, barrier ``Eb``.
- :class:`DoubleWell2D`: ``E = Eb (1 - ξ^2)^2 + k/2 (v - c (1 - ξ^2))^2``, ``ξ = (u - a)/a``: a curved
  path with the saddle at ``(a, c)``, barrier ``Eb``.
- :class:`HarmonicWell1D` (``E = k/2 u²``) and :class:`QuarticWell1D` (``E = c u⁴``): one site, no barrier
  at all — the false-positive checks of the barrier analysis.
- :class:`TwoStepLandscape`: start (``u = 0``, E = 0), intermediate (``u = L1``, E = ``e_intermediate``)
  and end (``u = L1 + L2``, E = 0) minima joined by smooth steps; ``Ea1 = e_saddle_1`` (leaving the start)
  and ``Ea2 = e_saddle_2 - e_intermediate`` (the hop from the intermediate).

Energies in eV, lengths in Å.

Example
-------
>>> atoms = particle_in_box()
>>> atoms.calc = DoubleWell1D(barrier_ev=0.5)
>>> float(atoms.get_potential_energy())
0.0
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes

__all__ = [
    "DoubleWell1D",
    "DoubleWell2D",
    "HarmonicWell1D",
    "ModelPotential",
    "QuarticWell1D",
    "TwoStepLandscape",
    "fast_check_state",
    "particle_in_box",
]

BOX_A = 20.0


def particle_in_box(
    symbol: str = "H", box_a: float = BOX_A, mass_amu: float | None = None, n_particles: int = 1
) -> Atoms:
    """``n_particles`` atoms at the centre of a cubic periodic box of side ``box_a`` (Å): the models' origin.

    The models act on each atom separately (no interactions), so ``n_particles`` atoms are independent copies:
    several metadynamics walkers in one system (see :class:`~sselab.simulate.metad.WellTemperedMetaD`).
    """
    atoms = Atoms(symbol * n_particles, positions=[[box_a / 2] * 3] * n_particles, cell=[box_a] * 3, pbc=True)
    if mass_amu is not None:
        atoms.set_masses([mass_amu] * n_particles)
    return atoms


def fast_check_state(old: Atoms | None, new: Atoms) -> list[str]:
    """What changed between ``old`` and ``new`` (positions, numbers, cell, pbc, magmoms, charges)."""
    if old is None:
        return list(all_changes)
    changes = []
    if not np.array_equal(old.positions, new.positions):
        changes.append("positions")
    if not np.array_equal(old.numbers, new.numbers):
        changes.append("numbers")
    if not np.array_equal(old.cell.array, new.cell.array):
        changes.append("cell")
    if not np.array_equal(old.pbc, new.pbc):
        changes.append("pbc")
    for key, name in (("initial_magmoms", "initial_magmoms"), ("initial_charges", "initial_charges")):
        a, b = old.arrays.get(key), new.arrays.get(key)
        if (a is None) != (b is None) or (a is not None and b is not None and not np.array_equal(a, b)):
            changes.append(name)
    return changes


class ModelPotential(Calculator):
    """Base class: ``E = sum_atoms f(u, v) + k_w/2 w^2`` with ``(u, v, w)`` the displacement from ``origin``.

    Subclasses implement :meth:`profile` returning ``(f, df/du, df/dv)`` for arrays ``u``, ``v``.
    """

    implemented_properties: ClassVar[list[str]] = ["energy", "free_energy", "forces"]  # type: ignore[misc]

    def __init__(
        self, origin: tuple[float, float, float] | None = None, k_w_ev_per_a2: float = 2.0, **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.origin = np.asarray(origin if origin is not None else (BOX_A / 2,) * 3, dtype=float)
        self.k_w = float(k_w_ev_per_a2)

    def profile(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Energy (eV) and its derivatives along ``u`` and ``v`` (eV/Å)."""
        raise NotImplementedError

    def check_state(self, atoms: Atoms, tol: float = 1e-15) -> list[str]:
        """Exact-equality state check (ASE's ``allclose`` check dominates the cost of cheap models)."""
        return fast_check_state(self.atoms, atoms)

    def calculate(
        self, atoms: Atoms | None = None, properties=("energy",), system_changes=all_changes
    ) -> None:
        """Energy and forces of all atoms."""
        super().calculate(atoms, properties, system_changes)
        assert self.atoms is not None
        d = self.atoms.positions - self.origin
        f, dfdu, dfdv = self.profile(d[:, 0], d[:, 1])
        energy = float(np.sum(f) + 0.5 * self.k_w * np.sum(d[:, 2] ** 2))
        forces = -np.stack([dfdu, dfdv, self.k_w * d[:, 2]], axis=1)
        self.results = {"energy": energy, "free_energy": energy, "forces": forces}


class DoubleWell1D(ModelPotential):
    """Double well along ``u``: minima at 0 and ``2 a``, barrier ``barrier_ev`` at ``a``; spring on ``v``."""

    def __init__(
        self, barrier_ev: float = 0.5, half_distance_a: float = 1.0, k_v_ev_per_a2: float = 2.0, **kw: Any
    ):
        super().__init__(**kw)
        self.barrier_ev = float(barrier_ev)
        self.a = float(half_distance_a)
        self.k_v = float(k_v_ev_per_a2)

    def profile(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        xi = (u - self.a) / self.a
        q = 1.0 - xi * xi
        f = self.barrier_ev * q * q + 0.5 * self.k_v * v * v
        return f, self.barrier_ev * 2 * q * (-2 * xi / self.a), self.k_v * v


class HarmonicWell1D(ModelPotential):
    """A single harmonic well along ``u``, ``E = k/2 u²`` (eV, Å): no barrier anywhere."""

    def __init__(self, k_ev_per_a2: float = 4.0, k_v_ev_per_a2: float = 2.0, **kw: Any):
        super().__init__(**kw)
        self.k = float(k_ev_per_a2)
        self.k_v = float(k_v_ev_per_a2)

    def profile(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return 0.5 * self.k * u * u + 0.5 * self.k_v * v * v, self.k * u, self.k_v * v


class QuarticWell1D(ModelPotential):
    """A single flat-bottomed well along ``u``, ``E = c u⁴`` (eV, Å): no barrier anywhere."""

    def __init__(self, c_ev_per_a4: float = 2.0, k_v_ev_per_a2: float = 2.0, **kw: Any):
        super().__init__(**kw)
        self.c = float(c_ev_per_a4)
        self.k_v = float(k_v_ev_per_a2)

    def profile(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.c * u**4 + 0.5 * self.k_v * v * v, 4 * self.c * u**3, self.k_v * v


class DoubleWell2D(ModelPotential):
    """Double well in ``(u, v)`` with a curved path: saddle at ``(a, c)``, barrier ``barrier_ev``."""

    def __init__(
        self,
        barrier_ev: float = 0.5,
        half_distance_a: float = 1.0,
        k_v_ev_per_a2: float = 2.0,
        curvature_a: float = 0.5,
        **kw: Any,
    ):
        super().__init__(**kw)
        self.barrier_ev = float(barrier_ev)
        self.a = float(half_distance_a)
        self.k_v = float(k_v_ev_per_a2)
        self.c = float(curvature_a)

    def profile(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        xi = (u - self.a) / self.a
        q = 1.0 - xi * xi
        dq_du = -2 * xi / self.a
        r = v - self.c * q
        f = self.barrier_ev * q * q + 0.5 * self.k_v * r * r
        dfdu = self.barrier_ev * 2 * q * dq_du + self.k_v * r * (-self.c * dq_du)
        return f, dfdu, self.k_v * r


class TwoStepLandscape(ModelPotential):
    """Three minima along ``u`` (start, intermediate, end) joined by smooth cubic steps, with walls outside.

    Nodes (``u``, E): (0, 0), (L1/2, e_saddle_1), (L1, e_intermediate), (L1 + L2/2, e_saddle_2), (L1 + L2, 0);
    between nodes ``E`` follows ``3t^2 - 2t^3`` (zero slope
    at every node); beyond the ends a spring ``k_wall``.
    """

    def __init__(
        self,
        e_saddle_1: float = 0.4,
        e_intermediate: float = 0.15,
        e_saddle_2: float = 0.65,
        step_1_a: float = 1.0,
        step_2_a: float = 1.0,
        k_v_ev_per_a2: float = 2.0,
        k_wall_ev_per_a2: float = 4.0,
        **kw: Any,
    ):
        super().__init__(**kw)
        self.nodes_u = np.array([0.0, step_1_a / 2, step_1_a, step_1_a + step_2_a / 2, step_1_a + step_2_a])
        self.nodes_e = np.array([0.0, e_saddle_1, e_intermediate, e_saddle_2, 0.0])
        self.k_v = float(k_v_ev_per_a2)
        self.k_wall = float(k_wall_ev_per_a2)

    @property
    def ea1_ev(self) -> float:
        """Exact barrier for leaving the start site (eV)."""
        return float(self.nodes_e[1] - self.nodes_e[0])

    @property
    def ea2_ev(self) -> float:
        """Exact barrier of the hop from the intermediate (eV)."""
        return float(self.nodes_e[3] - self.nodes_e[2])

    def profile(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        u = np.asarray(u, dtype=float)
        nu, ne = self.nodes_u, self.nodes_e
        k = np.clip(np.searchsorted(nu, u, side="right") - 1, 0, len(nu) - 2)
        h = nu[k + 1] - nu[k]
        t = np.clip((u - nu[k]) / h, 0.0, 1.0)
        de = ne[k + 1] - ne[k]
        f = ne[k] + de * (3 * t * t - 2 * t**3)
        dfdu = de * (6 * t - 6 * t * t) / h
        below = u < nu[0]
        above = u > nu[-1]
        f = np.where(below, 0.5 * self.k_wall * (u - nu[0]) ** 2, f)
        dfdu = np.where(below, self.k_wall * (u - nu[0]), dfdu)
        f = np.where(above, 0.5 * self.k_wall * (u - nu[-1]) ** 2, f)
        dfdu = np.where(above, self.k_wall * (u - nu[-1]), dfdu)
        return f + 0.5 * self.k_v * v * v, dfdu, self.k_v * v
