"""Preparing a cation-migration metadynamics of a crystal: the migrating ion, its hop, the CVs and the bias
grid.

Each protocol (:data:`PROTOCOLS`) is a function that turns the given cell into the migration it studies; the
CVs then follow from ``settings.cv``.

Example
-------
>>> from ase.build import bulk
>>> from sselab.simulate.settings import MetaDSettings
>>> cell = bulk("Cu", cubic=True).repeat(2)
>>> setup = build_metad_setup(cell, "Cu", MetaDSettings(potential="emt"))
>>> len(setup.atoms), round(setup.migration.hop_distance_a, 3), [cv.name for cv in setup.colvars]
(31, 2.553, ['d1'])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.geometry import find_mic

from sselab.errors import SimulationError
from sselab.simulate.metad.colvars import (
    CollectiveVariable,
    CoordinationNumber,
    ProjectedDisplacement,
    displacement_2d,
)
from sselab.simulate.metad.hills import BiasGrid
from sselab.simulate.prepare import make_vacancy, pick_cation, relax
from sselab.simulate.settings import MetaDSettings

__all__ = ["PROTOCOLS", "MetaDSetup", "Migration", "build_metad_setup"]


@dataclass(frozen=True)
class Migration:
    """The hop a protocol sets up: the cell, the migrating ion, its target site and direction.

    Attributes
    ----------
    atoms
        The cell the ion migrates in (without the removed atom for the ``vacancy`` protocol).
    mover
        Index of the migrating ion in ``atoms``.
    target_a
        Position of the target site (Å), ``None`` when the protocol has none.
    direction
        Unit vector of the hop.
    hop_distance_a
        Straight-line distance to the target (Å; 3 Å when there is no target).
    """

    atoms: Atoms
    mover: int
    target_a: np.ndarray | None
    direction: np.ndarray
    hop_distance_a: float


def _towards(atoms: Atoms, mover: int, target: np.ndarray | None, settings: MetaDSettings) -> Migration:
    hop_a = 3.0
    if settings.direction is not None:
        vec = np.asarray(settings.direction, dtype=float)
    elif target is not None:
        mic, _ = find_mic((target - atoms.positions[mover])[None, :], atoms.cell, atoms.pbc)
        vec = np.asarray(mic)[0]
        hop_a = float(np.linalg.norm(vec))
    else:
        vec = np.array([1.0, 0.0, 0.0])
    return Migration(atoms, mover, target, vec / np.linalg.norm(vec), hop_a)


def vacancy_migration(atoms: Atoms, cation: str, settings: MetaDSettings) -> Migration:
    """``vacancy`` protocol: remove the ion's nearest same-element neighbour; the hop into its site measures
    the migration energy only (no defect formation)."""
    vacancy = make_vacancy(atoms, cation, pick_cation(atoms, cation, settings.cation_index))
    target = np.asarray(vacancy.vacancy_position)
    return _towards(vacancy.atoms, vacancy.migrating_index, target, settings)


def perfect_crystal_migration(atoms: Atoms, cation: str, settings: MetaDSettings) -> Migration:
    """``perfect-crystal`` protocol: no defect; the ion is pushed towards the site of its nearest
    same-element neighbour (or along ``settings.direction``)."""
    mover = pick_cation(atoms, cation, settings.cation_index)
    others = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == cation and i != mover]
    target = None
    if others and settings.direction is None:
        nearest = others[int(np.argmin(atoms.get_distances(mover, others, mic=True)))]
        target = atoms.positions[nearest].copy()
    return _towards(atoms.copy(), mover, target, settings)


ProtocolFunction = Callable[[Atoms, str, MetaDSettings], Migration]
#: How each MetaD protocol sets up the migration (a new protocol is one function and one entry here).
PROTOCOLS: dict[str, ProtocolFunction] = {
    "vacancy": vacancy_migration,
    "perfect-crystal": perfect_crystal_migration,
}


@dataclass(frozen=True)
class MetaDSetup:
    """A prepared cation-migration metadynamics: the cell, its CVs with hill widths, and the bias grid."""

    atoms: Atoms
    colvars: list[CollectiveVariable]
    widths: list[float]
    grid: BiasGrid
    migration: Migration
    description: str

    def parameters(self) -> dict[str, Any]:
        """What is recorded about the setup (JSON-ready)."""
        return {
            "cation_index": self.migration.mover,
            "hop_distance_a": self.migration.hop_distance_a,
            "hop_direction": [float(x) for x in self.migration.direction],
            "target_site_a": None
            if self.migration.target_a is None
            else [float(x) for x in self.migration.target_a],
        }


def _perpendicular(direction: np.ndarray) -> np.ndarray:
    axis = np.eye(3)[int(np.argmin(np.abs(direction)))]
    perp = np.cross(direction, axis)
    return perp / np.linalg.norm(perp)


def build_metad_setup(
    atoms: Atoms, cation: str, settings: MetaDSettings, calculator: Calculator | None = None
) -> MetaDSetup:
    """CVs and a bias grid for the migration of ``cation`` that ``settings.protocol`` sets up in ``atoms``.

    CVs (``settings.cv``): ``displacement`` (projection of the ion's displacement on the hop direction, Å),
    ``displacement2d`` (plus the perpendicular component, Å), ``coordination`` (displacement and the ion's
    coordination number to ``coordination_elements``, i.e. anion centres and neutral-molecule donors, with
    PLUMED's rational switching ``R_0 = coordination_r0_a``). With ``relax_steps > 0`` the cell is first
    relaxed at fixed cell with ``calculator``.
    """
    migration = PROTOCOLS[settings.protocol](atoms, cation, settings)
    work, mover, vec, hop_a = migration.atoms, migration.mover, migration.direction, migration.hop_distance_a
    if settings.relax_steps > 0:
        if calculator is None:
            raise SimulationError("relax_steps > 0 needs a calculator")
        work = relax(work, calculator, steps=settings.relax_steps, cell_filter=False)
    p0 = work.positions[mover]
    ref = (float(p0[0]), float(p0[1]), float(p0[2]))
    direction = (float(vec[0]), float(vec[1]), float(vec[2]))
    d1 = ProjectedDisplacement(mover, ref, direction, "d1")
    width = settings.width_a
    lo, hi = -1.5, hop_a + 1.5
    nbin = max(50, int((hi - lo) / (width / 5)))
    colvars: list[CollectiveVariable]
    if settings.cv == "displacement":
        colvars, widths = [d1], [width]
        grid = BiasGrid((lo,), (hi,), (nbin,))
    elif settings.cv == "displacement2d":
        perp = _perpendicular(vec)
        colvars = list(displacement_2d(mover, ref, direction, (perp[0], perp[1], perp[2])))
        widths = [width, width]
        grid = BiasGrid((lo, -2.5), (hi, 2.5), (nbin, max(25, int(5.0 / (width / 5)))))
    else:
        elements = settings.coordination_elements
        group = tuple(i for i, s in enumerate(work.get_chemical_symbols()) if s in elements)
        if not group:
            raise SimulationError(f"no {', '.join(elements)} atoms for the coordination CV")
        cn = CoordinationNumber(mover, group, r0_a=settings.coordination_r0_a, name="cn")
        cn0 = cn.compute(work)[0]
        colvars, widths = [d1, cn], [width, settings.coordination_width]
        grid = BiasGrid((lo, 0.0), (hi, cn0 + 4.0), (nbin, 100))
    description = (
        f"{work.get_chemical_formula()} ({len(work)} atoms), {settings.protocol} protocol, migrating "
        f"{cation} #{mover}, hop {hop_a:.2f} Å along {np.round(vec, 3).tolist()}, CV {settings.cv}, "
        f"potential {settings.potential}"
    )
    return MetaDSetup(work, colvars, widths, grid, Migration(work, mover, migration.target_a, vec, hop_a),
                      description)  # fmt: skip
