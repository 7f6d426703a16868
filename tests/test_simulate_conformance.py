"""Conformance tests every calculator must pass (TorchSim-style factory): forces = -dE/dx by finite
differences.

Covers the model potentials, the metadynamics bias wrapper (exact sum and grid, 1D and 2D, coordination CV
with and without a cut-off, the host-relative displacement, site distance and path CVs on a real EMT crystal,
walls), ASE's EMT and CHGNet on a tiny cell.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from sselab.simulate.analytic import DoubleWell1D, DoubleWell2D, TwoStepLandscape, particle_in_box
from sselab.simulate.metad.bias import WellTemperedMetaD
from sselab.simulate.metad.colvars import CoordinationNumber, Distance, ProjectedDisplacement, displacement_2d
from sselab.simulate.metad.hills import BiasGrid
from sselab.simulate.metad.path import PathCV
from sselab.simulate.metad.relative import HostDisplacement, SiteDistance
from sselab.simulate.metad.walls import Wall
from sselab.simulate.neb import cation_hop_endpoints


def assert_forces_are_minus_gradient(
    atoms: Atoms, step_a: float = 1e-4, atol: float = 1e-4, rtol: float = 1e-3
) -> None:
    """Compare the calculator's forces with central finite differences of its energy (eV/Å)."""
    forces = atoms.get_forces().copy()
    numeric = np.zeros_like(forces)
    base = atoms.positions.copy()
    for i in range(len(atoms)):
        for k in range(3):
            energies = []
            for sign in (1, -1):
                moved = base.copy()
                moved[i, k] += sign * step_a
                atoms.positions = moved
                energies.append(atoms.get_potential_energy())
            numeric[i, k] = -(energies[0] - energies[1]) / (2 * step_a)
    atoms.positions = base
    np.testing.assert_allclose(forces, numeric, atol=atol, rtol=rtol)


def _displaced_particle(shift=(0.37, 0.21, -0.13)) -> Atoms:
    atoms = particle_in_box()
    atoms.positions[0] += shift
    return atoms


def _metad_with_hills(atoms: Atoms, colvars, widths, grid=None) -> WellTemperedMetaD:
    metad = WellTemperedMetaD(DoubleWell2D(), colvars, 0.05, widths, 1, 10, 300, grid=grid)
    rng = np.random.default_rng(3)
    for _ in range(25):
        centre = [cv.compute(atoms)[0] for cv in colvars] + rng.normal(0, 0.3, len(colvars))
        metad.hills.add(centre, widths, 0.05)
    return metad


def _origin() -> tuple[float, float, float]:
    return tuple(particle_in_box().positions[0])  # type: ignore[return-value]


CASES: dict[str, Callable[[], Atoms]] = {}


def case(name: str):
    def register(factory: Callable[[], Atoms]) -> Callable[[], Atoms]:
        CASES[name] = factory
        return factory

    return register


@case("double-well-1d")
def _dw1() -> Atoms:
    atoms = _displaced_particle()
    atoms.calc = DoubleWell1D()
    return atoms


@case("double-well-2d")
def _dw2() -> Atoms:
    atoms = _displaced_particle()
    atoms.calc = DoubleWell2D()
    return atoms


@case("two-step")
def _two_step() -> Atoms:
    atoms = _displaced_particle((0.83, 0.1, 0.05))
    atoms.calc = TwoStepLandscape()
    return atoms


@case("metad-1d-exact")
def _metad_1d() -> Atoms:
    atoms = _displaced_particle()
    atoms.calc = _metad_with_hills(atoms, [ProjectedDisplacement(0, _origin(), (1.0, 0.5, 0.0), "x")], [0.2])
    return atoms


@case("metad-1d-grid")
def _metad_1d_grid() -> Atoms:
    atoms = _displaced_particle()
    cv = ProjectedDisplacement(0, _origin(), (1.0, 0.0, 0.0), "x")
    atoms.calc = _metad_with_hills(atoms, [cv], [0.2], BiasGrid((-2.0,), (3.0,), (250,)))
    return atoms


@case("metad-2d-grid")
def _metad_2d_grid() -> Atoms:
    atoms = _displaced_particle()
    cvs = list(displacement_2d(0, _origin(), (1, 0, 0), (0, 1, 0)))
    atoms.calc = _metad_with_hills(atoms, cvs, [0.2, 0.15], BiasGrid((-2.0, -2.0), (3.0, 2.0), (200, 160)))
    return atoms


@case("metad-coordination-distance")
def _metad_cn() -> Atoms:
    atoms = Atoms(
        "LiB3N",
        positions=[[5, 5, 5], [7.1, 5, 5], [5, 7.6, 5.3], [3.2, 4.4, 5], [5, 5, 7.4]],
        cell=[10, 10, 10],
        pbc=True,
    )
    cvs = [CoordinationNumber(0, (1, 2, 3, 4), r0_a=2.5, name="cn"), Distance(0, 1, name="d")]
    metad = WellTemperedMetaD(DoubleWell1D(), cvs, 0.05, [0.1, 0.2], 1, 10, 300)
    for c in ([2.0, 2.1], [1.6, 2.4], [2.4, 1.9]):
        metad.hills.add(c, [0.1, 0.2], 0.05)
    atoms.calc = metad
    return atoms


def _cu_vacancy() -> tuple[Atoms, int, np.ndarray]:
    from ase.calculators.emt import EMT

    hop = cation_hop_endpoints(bulk("Cu", cubic=True).repeat((2, 2, 1)), "Cu")
    atoms = hop.initial.copy()
    direction = hop.final.positions[hop.moving_index] - atoms.positions[hop.moving_index]
    atoms.rattle(0.04, seed=2)
    atoms.calc = EMT()
    return atoms, hop.moving_index, direction


@case("metad-host-displacement-emt-walls")
def _metad_host() -> Atoms:
    atoms, mover, direction = _cu_vacancy()
    reference = atoms.copy()
    cv = HostDisplacement(mover, reference, direction, name="d1")
    metad = WellTemperedMetaD(atoms.calc, [cv], 0.05, [0.15], 1, 10, 300,
                              walls=[Wall(0, 0.01, 5.0, "upper"), Wall(0, -0.01, 5.0, "lower")])  # fmt: skip
    for c in (0.0, 0.1, -0.05, 0.3):
        metad.hills.add([c], [0.15], 0.05)
    atoms.positions[mover] += 0.2 * direction / np.linalg.norm(direction)
    atoms.calc = metad
    return atoms


@case("metad-site-distance-coordination-cutoff-emt")
def _metad_radial() -> Atoms:
    atoms, mover, _ = _cu_vacancy()
    reference = atoms.copy()
    others = tuple(i for i in range(len(atoms)) if i != mover)
    cvs = [SiteDistance(mover, reference, name="r1"),
           CoordinationNumber(mover, others, r0_a=2.6, name="cn", d_max_a=4.0)]  # fmt: skip
    metad = WellTemperedMetaD(atoms.calc, cvs, 0.05, [0.1, 0.3], 1, 10, 300)
    for c in ([0.1, 11.0], [0.3, 10.0], [0.2, 12.0]):
        metad.hills.add(c, [0.1, 0.3], 0.05)
    atoms.positions[mover] += (0.12, -0.08, 0.05)
    atoms.calc = metad
    return atoms


@case("metad-path-emt")
def _metad_path() -> Atoms:
    atoms, mover, direction = _cu_vacancy()
    frames = []
    for t in np.linspace(0.0, 1.0, 5):
        frame = atoms.copy()
        frame.positions[mover] += t * direction
        frames.append(frame)
    cvs = [PathCV(frames, mover, "s"), PathCV(frames, mover, "z")]
    metad = WellTemperedMetaD(atoms.calc, cvs, 0.05, [0.2, 0.05], 1, 10, 300)
    for c in ([1.5, 0.01], [2.0, 0.05], [1.2, 0.0]):
        metad.hills.add(c, [0.2, 0.05], 0.05)
    atoms.positions[mover] += 0.3 * direction
    atoms.calc = metad
    return atoms


@case("emt")
def _emt() -> Atoms:
    from ase.calculators.emt import EMT

    atoms = bulk("Cu", cubic=True)
    atoms.rattle(0.05, seed=1)
    atoms.calc = EMT()
    return atoms


@pytest.mark.parametrize("name", sorted(CASES))
def test_forces_are_minus_energy_gradient(name: str) -> None:
    assert_forces_are_minus_gradient(CASES[name]())


#: Every shipped-weights MLIP by registry name, with the package it needs; the slowest are opt-in (-m slow).
MLIPS = [
    pytest.param("chgnet", "chgnet", id="chgnet"),
    pytest.param("chgnet-r2scan", "chgnet", id="chgnet-r2scan"),
    pytest.param("sevennet", "sevenn", id="sevennet"),
    pytest.param("sevennet-mf-0-pbe", "sevenn", id="sevennet-mf-0-pbe"),
    pytest.param("sevennet-mf-0-r2scan", "sevenn", id="sevennet-mf-0-r2scan", marks=pytest.mark.slow),
    pytest.param("sevennet-l3i5", "sevenn", id="sevennet-l3i5", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("name", "package"), MLIPS)
def test_mlip_forces_are_minus_energy_gradient(name: str, package: str) -> None:
    """Each MLIP on a 2-atom cell (a few seconds on a CPU); float32 models, so looser tolerances."""
    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} not installed")
    from sselab.simulate.potentials import get_calculator

    atoms = bulk("LiF", "rocksalt", a=4.03)
    atoms.positions[0] += (0.08, -0.05, 0.03)
    atoms.calc = get_calculator(name, device="cpu", threads=1)
    assert_forces_are_minus_gradient(atoms, step_a=2e-3, atol=2e-2, rtol=5e-2)
