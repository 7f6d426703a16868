"""Setting up a cation-migration metadynamics of a crystal: the protocol's migration, its CVs, walls, grid.

Each protocol (:data:`PROTOCOLS`) turns the given cell into the migration it studies (:class:`Migration`);
:func:`build_colvars` then gives the CVs, all measured against the host (translation invariant,
:mod:`sselab.simulate.metad.relative`), the walls that keep the ion near the studied hop, the start and
target CV coordinates and, once the hill widths are known, the bias grid. What each protocol measures is in
:mod:`sselab.simulate.protocols`.

Example
-------
>>> from ase.build import bulk
>>> from sselab.simulate.settings import MetaDSettings
>>> cell = bulk("Cu", cubic=True).repeat(2)
>>> setup = build_metad_setup(cell, "Cu", MetaDSettings(potential="emt", protocol="vacancy", width_a=0.1))
>>> len(setup.atoms), round(setup.migration.hop_distance_a, 3), [cv.name for cv in setup.colvars]
(31, 2.553, ['d1'])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from ase import Atoms
from ase.geometry import find_mic

from sselab.errors import SimulationError
from sselab.simulate.metad.colvars import CollectiveVariable, CoordinationNumber
from sselab.simulate.metad.hills import BiasGrid
from sselab.simulate.metad.path import PathCV
from sselab.simulate.metad.relative import HostDisplacement, SiteDistance, cage_indices
from sselab.simulate.metad.sites import find_voids, nearest_void, refine_void
from sselab.simulate.metad.walls import Wall
from sselab.simulate.prepare import make_vacancy, pick_cation
from sselab.simulate.settings import MetaDSettings

__all__ = ["PROTOCOLS", "MetaDSetup", "Migration", "build_colvars", "build_metad_setup", "resolve_cv"]

#: Voids at least this fraction of the largest clearance count as interstitial sites.
_LARGE_VOID_FRACTION = 0.85


@dataclass(frozen=True)
class Migration:
    """The hop a protocol sets up.

    Attributes
    ----------
    atoms
        The cell the ion migrates in (a neighbour removed for ``vacancy``, an ion added for ``interstitial``).
    mover
        Index of the migrating ion in ``atoms``.
    target_a
        Cartesian position of the target site (Å): the vacancy, the next interstitial site, or (perfect
        crystal) the interstitial void nearest the ion.
    direction
        Unit vector of the hop.
    hop_distance_a
        Distance from the site to the target (Å): the target's value of the first CV.
    defect
        ``"none"``, ``"vacancy"`` or ``"interstitial"``.
    reach_a
        How far the first CV must be free to go (Å): the wall sits ``wall_margin_a`` beyond it.
    notes
        What else was found (void clearances, nearest same-element distance).
    """

    atoms: Atoms
    mover: int
    target_a: np.ndarray
    direction: np.ndarray
    hop_distance_a: float
    defect: str
    reach_a: float
    notes: dict[str, Any] = field(default_factory=dict)


def _vector(atoms: Atoms, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    mic, _ = find_mic((end - start)[None, :], atoms.cell, atoms.pbc)
    return np.asarray(mic)[0]


def _migration(atoms: Atoms, mover: int, target: np.ndarray, settings: MetaDSettings, defect: str,
               reach: float | None = None, **notes: Any) -> Migration:  # fmt: skip
    vec = _vector(atoms, atoms.positions[mover], target)
    hop = float(np.linalg.norm(vec))
    if settings.direction is not None:
        vec = np.asarray(settings.direction, dtype=float)
    direction = vec / np.linalg.norm(vec)
    return Migration(atoms, mover, np.asarray(target, float), direction, hop, defect, reach or hop, notes)


def _nearest_same(atoms: Atoms, mover: int) -> float:
    symbol = atoms[mover].symbol
    others = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == symbol and i != mover]
    return float(min(atoms.get_distances(mover, others, mic=True))) if others else 0.0


def vacancy_migration(atoms: Atoms, cation: str, settings: MetaDSettings) -> Migration:
    """``vacancy``: remove the ion's nearest same-element neighbour; the hop into its site measures the
    migration energy only (no defect formation)."""
    vacancy = make_vacancy(atoms, cation, pick_cation(atoms, cation, settings.cation_index))
    target = np.asarray(vacancy.vacancy_position)
    return _migration(vacancy.atoms, vacancy.migrating_index, target, settings, "vacancy")


def _large_voids(atoms: Atoms) -> list[Any]:
    voids = find_voids(atoms)
    if not voids:
        raise SimulationError(
            f"no interstitial void of at least 1 Å clearance in {atoms.get_chemical_formula()}"
        )
    return [v for v in voids if v.clearance_a >= _LARGE_VOID_FRACTION * voids[0].clearance_a]


def perfect_crystal_migration(atoms: Atoms, cation: str, settings: MetaDSettings) -> Migration:
    """``frenkel`` and ``paper``: no defect made; the ion leaves its site for the interstitial void nearest
    it (the site of the Frenkel pair's interstitial), and may go on beyond it (the wall leaves room up to the
    nearest same-element neighbour's distance, or the void, whichever is farther)."""
    mover = pick_cation(atoms, cation, settings.cation_index)
    void, _ = nearest_void(atoms, mover, _large_voids(atoms))
    void = refine_void(atoms, void)
    distance = float(np.linalg.norm(_vector(atoms, atoms.positions[mover], np.asarray(void.position_a))))
    nn = _nearest_same(atoms, mover)
    return _migration(
        atoms.copy(), mover, np.asarray(void.position_a), settings, "none", max(distance, nn),
        void_clearance_a=void.clearance_a, nearest_same_element_a=nn,
    )  # fmt: skip


def interstitial_migration(atoms: Atoms, cation: str, settings: MetaDSettings) -> Migration:
    """``interstitial``: one extra ion in the largest void; its hop to the nearest other large void
    (migration of the interstitial only)."""
    voids = [refine_void(atoms, v) for v in _large_voids(atoms)[:12]]
    voids.sort(key=lambda v: -v.clearance_a)
    first = voids[0]
    work = atoms.copy()
    work.append(cation)
    mover = len(work) - 1
    work.positions[mover] = first.position_a
    others = [v for v in voids[1:] if abs(v.clearance_a - first.clearance_a) <= 0.1 * first.clearance_a]
    target, _ = nearest_void(work, mover, others or voids[1:], min_distance_a=1.0)
    return _migration(
        work, mover, np.asarray(target.position_a), settings, "interstitial",
        void_clearance_a=first.clearance_a, target_clearance_a=target.clearance_a,
    )  # fmt: skip


ProtocolFunction = Callable[[Atoms, str, MetaDSettings], Migration]
#: How each MetaD protocol sets up the migration (a new protocol is one function and one entry here).
PROTOCOLS: dict[str, ProtocolFunction] = {
    "frenkel": perfect_crystal_migration,
    "paper": perfect_crystal_migration,
    "vacancy": vacancy_migration,
    "interstitial": interstitial_migration,
}


def resolve_cv(settings: MetaDSettings) -> str:
    """The CV kind of ``settings`` (``auto``: site-distance for the perfect crystal, else displacement)."""
    if settings.cv != "auto":
        return settings.cv
    return "site-distance" if settings.protocol in ("frenkel", "paper") else "displacement"


@dataclass(frozen=True)
class MetaDSetup:
    """A prepared migration: the CVs on the reference cell, widths (``None`` until measured), walls, grid.

    ``start`` and ``end`` are the CV coordinates of the site and the target (``nan`` where a coordinate is
    free, e.g. the target's coordination number).
    """

    atoms: Atoms
    colvars: list[CollectiveVariable]
    widths: list[float | None]
    walls: tuple[Wall, ...]
    start: tuple[float, ...]
    end: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    migration: Migration
    cv_kind: str
    description: str
    grid: BiasGrid | None = None

    def with_widths(self, widths: list[float]) -> MetaDSetup:
        """The setup with its hill widths and the bias grid (node spacing a fifth of a width)."""
        bins = tuple(
            max(50, int((hi - lo) / (w / 5)))
            for lo, hi, w in zip(self.lower, self.upper, widths, strict=True)
        )
        return replace(self, widths=list(widths), grid=BiasGrid(self.lower, self.upper, bins))

    def parameters(self) -> dict[str, Any]:
        """What is recorded about the setup (JSON-ready)."""
        m = self.migration
        return {
            "cation_index": m.mover,
            "hop_distance_a": m.hop_distance_a,
            "hop_direction": [float(x) for x in m.direction],
            "target_site_a": [float(x) for x in m.target_a],
            "defect": m.defect,
            "cv_kind": self.cv_kind,
            "migration_notes": m.notes,
        }


def _perpendicular(direction: np.ndarray) -> np.ndarray:
    axis = np.eye(3)[int(np.argmin(np.abs(direction)))]
    perp = np.cross(direction, axis)
    return perp / np.linalg.norm(perp)


def build_colvars(
    reference: Atoms, migration: Migration, settings: MetaDSettings, path_frames: list[Atoms] | None = None
) -> MetaDSetup:
    """CVs (host-relative), walls, start/target coordinates and CV ranges of ``migration`` on ``reference``
    (the relaxed, equilibrated cell with the same atoms as ``migration.atoms``).

    CV kinds (:func:`resolve_cv`): ``displacement`` (projection of the ion's host-relative displacement on the
    hop direction, Å), ``displacement2d`` (plus a perpendicular component), ``site-distance`` (radial
    distance from the site, Å), ``coordination`` (the protocol's length CV and the coordination number to
    ``coordination_elements`` with a cut-off), ``path`` (PLUMED-style ``s``, ``z`` through ``path_frames``,
    the CI-NEB band). Walls: an upper wall ``wall_margin_a`` beyond the reach of the first length CV (and a
    lower one half as far behind the site for a displacement).
    """
    kind, mover, vec = resolve_cv(settings), migration.mover, migration.direction
    symbols = set(reference.get_chemical_symbols())
    elements = [e for e in settings.coordination_elements if e in symbols]
    host = None
    if settings.cv_reference == "cage":
        if not elements:
            raise SimulationError(f"no {', '.join(settings.coordination_elements)} atoms for the ion's cage")
        host = cage_indices(reference, mover, elements)
    radial = kind == "site-distance" or (kind == "coordination" and settings.protocol in ("frenkel", "paper"))
    hop, reach, margin = migration.hop_distance_a, migration.reach_a, settings.wall_margin_a
    first: CollectiveVariable
    if radial:
        first = SiteDistance(mover, reference, host, "r1")
        lower, upper = [0.0], [reach + (margin or 1.5) + 0.5]
    else:
        first = HostDisplacement(mover, reference, vec, host, "d1")
        lower, upper = [-0.5 * (margin or 1.5) - 0.5], [reach + (margin or 1.5) + 0.5]
    colvars: list[CollectiveVariable] = [first]
    widths: list[float | None] = [settings.width_a]
    start, end = [0.0], [hop]
    if kind == "displacement2d":
        colvars.append(HostDisplacement(mover, reference, _perpendicular(vec), host, "d2"))
        widths.append(settings.width_a)
        start.append(0.0)
        end.append(float("nan"))
        lower.append(-2.5)
        upper.append(2.5)
    elif kind == "coordination":
        group = tuple(i for i, s in enumerate(reference.get_chemical_symbols()) if s in elements)
        if not group:
            raise SimulationError(
                f"no {', '.join(settings.coordination_elements)} atoms for the coordination CV"
            )
        cn = CoordinationNumber(mover, group, r0_a=settings.coordination_r0_a, name="cn",
                                d_max_a=settings.coordination_cutoff_a)  # fmt: skip
        cn0 = cn.compute(reference)[0]
        colvars.append(cn)
        widths.append(settings.coordination_width)
        start.append(cn0)
        end.append(float("nan"))
        lower.append(max(0.0, cn0 - 4.0))
        upper.append(cn0 + 4.0)
    elif kind == "path":
        if not path_frames:
            raise SimulationError("the path CV needs the CI-NEB images of the hop (path_frames)")
        s_cv, z_cv = PathCV(path_frames, mover, "s"), PathCV(path_frames, mover, "z")
        n = len(path_frames)
        colvars, widths = [s_cv, z_cv], [None, None]
        start, end, lower, upper = [1.0, 0.0], [float(n), 0.0], [0.5, -0.05], [n + 0.5, 1.0]
        hop = float(n)
    walls: list[Wall] = []
    if margin is not None and kind != "path":
        walls.append(Wall(0, reach + margin, settings.wall_kappa_ev, "upper"))
        if not radial:  # behind the site there is nothing to learn: half the margin
            walls.append(Wall(0, -0.5 * margin, settings.wall_kappa_ev, "lower"))
    elif margin is not None:
        walls += [Wall(0, float(len(path_frames or [])) + 0.25, settings.wall_kappa_ev, "upper"),
                  Wall(0, 0.75, settings.wall_kappa_ev, "lower")]  # fmt: skip
    description = (
        f"{reference.get_chemical_formula()} ({len(reference)} atoms), {settings.protocol} protocol, "
        f"migrating {reference[mover].symbol} #{mover}, target {migration.hop_distance_a:.2f} Å along "
        f"{np.round(vec, 3).tolist()}, CV {kind} (host-relative), potential {settings.potential}"
    )
    return MetaDSetup(
        reference, colvars, widths, tuple(walls), tuple(start), tuple(end), tuple(lower), tuple(upper),
        replace(migration, atoms=reference), kind, description,
    )  # fmt: skip


def build_metad_setup(atoms: Atoms, cation: str, settings: MetaDSettings) -> MetaDSetup:
    """The protocol's migration in ``atoms`` and its CVs, without preparation (no relaxation or
    equilibration: the recipe :func:`~sselab.simulate.recipes.metad_of_structure` does those); the widths are
    ``settings.width_a``/``coordination_width`` (the grid is built when they are all given)."""
    migration = PROTOCOLS[settings.protocol](atoms, cation, settings)
    setup = build_colvars(migration.atoms, migration, settings)
    if all(w is not None for w in setup.widths):
        return setup.with_widths([float(w) for w in setup.widths if w is not None])
    return setup
