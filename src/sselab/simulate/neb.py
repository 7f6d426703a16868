"""Climbing-image nudged elastic band (CI-NEB) for a cation hop, with ASE's :class:`ase.mep.NEB`.

The band is built between two relaxed end points (usually a cation next to a vacancy, and the same cation
moved into
the vacancy: :func:`cation_hop_endpoints`), interpolated with IDPP, and relaxed with FIRE. Any ASE calculator
works;
each image gets its own calculator from ``calculator_factory``.

Example
-------
>>> from ase.build import bulk
>>> from ase.calculators.emt import EMT
>>> hop = cation_hop_endpoints(bulk("Al", "fcc", a=4.05, cubic=True).repeat(2), "Al")  # doctest: +SKIP
>>> result = run_neb(hop.initial, hop.final, EMT, n_images=3, fmax=0.05)  # doctest: +SKIP
>>> round(result.barrier_ev, 2)  # doctest: +SKIP
0.43
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.geometry import find_mic
from ase.io import write
from ase.mep import NEB
from ase.optimize import BFGS, FIRE, MDMin
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sselab.errors import SimulationError
from sselab.simulate.figures import plot_neb_profile
from sselab.simulate.potentials import CalculatorFactory
from sselab.simulate.runfolder import RunFolder

logger = logging.getLogger(__name__)

_OPTIMIZERS = ("fire", "bfgs", "mdmin")
_METHODS = ("aseneb", "improvedtangent", "eb", "spline", "string")


@dataclass(frozen=True)
class VacancyHop:
    """End points of a cation hop into a neighbouring vacancy.

    Attributes
    ----------
    initial, final
        Cells with one cation vacancy, same atom order; only ``moving_index`` differs (Å).
    moving_index
        Index (in ``initial``/``final``) of the hopping cation.
    removed_index
        Index, in the perfect input cell, of the cation removed to make the vacancy.
    hop_distance_a
        Straight-line length of the hop (Å).
    """

    initial: Atoms
    final: Atoms
    moving_index: int
    removed_index: int
    hop_distance_a: float


@dataclass(frozen=True)
class NEBResult:
    """Outcome of :func:`run_neb`.

    Attributes
    ----------
    barrier_ev
        Forward barrier: highest image energy minus the initial energy (eV).
    reverse_barrier_ev
        Highest image energy minus the final energy (eV).
    energies_ev
        Energies of all images, end points included, relative to the initial image (eV).
    path
        The relaxed band (end points included), each image with its energy stored as a single-point result.
    reaction_coordinate_a
        Cumulative distance along the band (Å).
    converged
        Whether the band reached ``fmax`` within ``steps``.
    n_force_calls
        Force evaluations (one per moving image per optimiser step, plus the end-point relaxations).
    parameters
        The settings used (JSON-serialisable).
    run_dir
        Folder with inputs, outputs, the energy-profile figure and ``summary.json`` (``None`` if not written).
    """

    barrier_ev: float
    reverse_barrier_ev: float
    energies_ev: tuple[float, ...]
    path: tuple[Atoms, ...]
    reaction_coordinate_a: tuple[float, ...]
    converged: bool
    n_force_calls: int
    parameters: dict[str, Any] = field(default_factory=dict)
    run_dir: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (without the images)."""
        return {
            "barrier_ev": self.barrier_ev,
            "reverse_barrier_ev": self.reverse_barrier_ev,
            "energies_ev": list(self.energies_ev),
            "reaction_coordinate_a": list(self.reaction_coordinate_a),
            "converged": self.converged,
            "n_force_calls": self.n_force_calls,
            "parameters": self.parameters,
            "run_dir": str(self.run_dir) if self.run_dir else None,
        }


def cation_hop_endpoints(
    atoms: Atoms,
    cation: str,
    vacancy_site: int | None = None,
    neighbour_rank: int = 0,
) -> VacancyHop:
    """Make a cation vacancy and the images before and after a neighbouring cation hops into it.

    Parameters
    ----------
    atoms
        Perfect (vacancy-free) periodic cell.
    cation
        Element symbol of the migrating cation, e.g. ``"Li"``.
    vacancy_site
        Index in ``atoms`` of the cation to remove; default the first atom of that element.
    neighbour_rank
        0 = the nearest other cation hops, 1 = the second nearest, ... (minimum-image distances).

    Returns
    -------
    VacancyHop
        ``initial`` (cation next to the vacancy) and ``final`` (cation on the vacancy site). The final
        position is
        written unwrapped next to the cation's initial position, so a linear or IDPP interpolation
        takes the short
        path across a periodic boundary.
    """
    symbols = np.array(atoms.get_chemical_symbols())
    sites = np.flatnonzero(symbols == cation)
    if sites.size < 2:
        raise SimulationError(f"need at least two {cation!r} atoms for a vacancy hop, found {sites.size}")
    removed = int(sites[0]) if vacancy_site is None else int(vacancy_site)
    if removed < 0 or removed >= len(atoms) or symbols[removed] != cation:
        raise SimulationError(f"vacancy_site {vacancy_site} is not a {cation!r} atom of the cell")
    others = [int(i) for i in sites if i != removed]
    distances = atoms.get_distances(removed, others, mic=True)
    order = np.argsort(distances, kind="stable")
    if not 0 <= neighbour_rank < len(others):
        raise SimulationError(f"neighbour_rank {neighbour_rank} out of range (0..{len(others) - 1})")
    hopper = others[int(order[neighbour_rank])]
    vector = atoms.get_distances(hopper, [removed], mic=True, vector=True)[0]
    initial = atoms.copy()
    initial.calc = None
    del initial[removed]
    moving = hopper - 1 if hopper > removed else hopper
    final = initial.copy()
    positions = final.get_positions()
    positions[moving] = atoms.positions[hopper] + vector
    final.set_positions(positions)
    return VacancyHop(initial, final, moving, removed, float(np.linalg.norm(vector)))


def _optimizer(name: str) -> type:
    table: dict[str, type] = {"fire": FIRE, "bfgs": BFGS, "mdmin": MDMin}
    if name not in table:
        raise SimulationError(f"unknown optimizer {name!r}; choose one of {', '.join(_OPTIMIZERS)}")
    return table[name]


def _relax_endpoint(atoms: Atoms, fmax: float, steps: int, log: Path | None) -> int:
    opt = BFGS(atoms, logfile=str(log) if log else None)
    opt.run(fmax=fmax, steps=steps)
    return int(opt.nsteps) + 1


def run_neb(
    initial: Atoms,
    final: Atoms,
    calculator_factory: CalculatorFactory,
    n_images: int = 5,
    climb: bool = True,
    fmax: float = 0.05,
    steps: int = 500,
    method: str = "improvedtangent",
    interpolate: str = "idpp",
    relax_endpoints: bool = True,
    spring_constant_ev_per_a2: float = 0.1,
    optimizer: str = "fire",
    run_dir: str | Path | None = None,
    progress: bool = False,
) -> NEBResult:
    """Relax a (climbing-image) nudged elastic band between two states and return its barrier.

    Parameters
    ----------
    initial, final
        End points with the same atoms in the same order (Å); copied, never modified.
    calculator_factory
        Called once per image (and per end point) to give it its own ASE calculator.
    n_images
        Number of moving images between the end points.
    climb
        Use the climbing image (CI-NEB), so the highest image sits on the saddle point.
    fmax
        Force convergence threshold (eV/Å) for the band and the end points.
    steps
        Maximum optimiser steps for the band (and for each end point).
    method
        ASE NEB tangent/force method: ``improvedtangent``, ``aseneb``, ``eb``, ``spline`` or ``string``.
    interpolate
        ``"idpp"`` (image-dependent pair potential) or ``"linear"``.
    relax_endpoints
        Relax both end points (fixed cell, BFGS) before building the band.
    spring_constant_ev_per_a2
        Spring constant between images (eV/Å²).
    optimizer
        ``"fire"`` (default), ``"bfgs"`` or ``"mdmin"``.
    run_dir
        If given, write inputs, the relaxed band, energies, a profile figure and ``summary.json`` there.
    progress
        Show a rich progress bar of the band's optimiser steps (steps/s, current fmax).

    Returns
    -------
    NEBResult
    """
    if len(initial) != len(final) or initial.get_chemical_symbols() != final.get_chemical_symbols():
        raise SimulationError("initial and final images must contain the same atoms in the same order")
    if n_images < 1:
        raise SimulationError(f"n_images must be at least 1, got {n_images}")
    if method not in _METHODS:
        raise SimulationError(f"unknown NEB method {method!r}; choose one of {', '.join(_METHODS)}")
    if interpolate not in ("idpp", "linear"):
        raise SimulationError(f"interpolate must be 'idpp' or 'linear', got {interpolate!r}")
    opt_class = _optimizer(optimizer)
    out = Path(run_dir) if run_dir is not None else None
    if out is not None:
        RunFolder.create(out)
    parameters: dict[str, Any] = {
        "n_images": n_images,
        "climb": climb,
        "fmax_ev_per_a": fmax,
        "steps": steps,
        "method": method,
        "interpolate": interpolate,
        "relax_endpoints": relax_endpoints,
        "spring_constant_ev_per_a2": spring_constant_ev_per_a2,
        "optimizer": optimizer,
    }
    start = time.perf_counter()
    first, last = initial.copy(), final.copy()
    force_calls = 0
    for name, image in (("initial", first), ("final", last)):
        image.calc = calculator_factory()
        if out is not None:
            image.write(out / "inputs" / f"{name}.extxyz")
        if relax_endpoints:
            log = out / "outputs" / f"relax_{name}.log" if out else None
            force_calls += _relax_endpoint(image, fmax, steps, log)
        else:
            image.get_potential_energy()
            force_calls += 1
    images = [first]
    for _ in range(n_images):
        image = first.copy()
        image.calc = calculator_factory()
        images.append(image)
    images.append(last)
    band = NEB(images, k=spring_constant_ev_per_a2, climb=climb, method=method)
    if interpolate == "idpp":
        band.interpolate(method="idpp", mic=True)
    else:
        band.interpolate(mic=True)
    log = out / "outputs" / "neb.log" if out else None
    opt = opt_class(band, logfile=str(log) if log else None)
    converged = _relax_band(opt, fmax, steps) if progress else bool(opt.run(fmax=fmax, steps=steps))
    force_calls += (int(opt.nsteps) + 1) * n_images
    energies = np.array([image.get_potential_energy() for image in images])
    relative = energies - energies[0]
    path = tuple(_frozen_copy(image) for image in images)
    coordinate = np.concatenate(
        [[0.0], np.cumsum([_mic_distance(images[i], images[i + 1]) for i in range(len(images) - 1)])]
    )
    result = NEBResult(
        barrier_ev=float(relative.max()),
        reverse_barrier_ev=float(relative.max() - relative[-1]),
        energies_ev=tuple(float(e) for e in relative),
        path=path,
        reaction_coordinate_a=tuple(float(s) for s in coordinate),
        converged=converged,
        n_force_calls=force_calls,
        parameters=parameters,
        run_dir=out,
    )
    wall_s = time.perf_counter() - start
    logger.info(
        "NEB barrier %.3f eV (converged=%s, %d force calls, %.1f s)",
        result.barrier_ev,
        converged,
        force_calls,
        wall_s,
    )
    if out is not None:
        _write_neb_outputs(result, out, wall_s)
    return result


def _relax_band(opt: Any, fmax: float, steps: int) -> bool:
    """Run the band optimiser with a rich progress bar; return whether it converged."""
    columns = (
        TextColumn("[bold]NEB"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} steps/s  fmax {task.fields[fmax]} eV/Å"),
        TimeRemainingColumn(),
    )
    converged = False
    with Progress(*columns) as bar:
        task = bar.add_task("NEB", total=steps, rate="   -", fmax="   -")
        start = time.perf_counter()
        for done, state in enumerate(opt.irun(fmax=fmax, steps=steps)):
            converged = bool(state)
            forces = opt.optimizable.get_gradient().reshape(-1, 3)
            rate = done / max(time.perf_counter() - start, 1e-9)
            bar.update(
                task, completed=done, rate=f"{rate:6.2f}", fmax=f"{np.sqrt((forces**2).sum(1)).max():.3f}"
            )
        if converged:
            bar.update(task, total=max(done, 1), completed=max(done, 1))
    return bool(converged)


def _frozen_copy(image: Atoms) -> Atoms:
    copy = image.copy()
    copy.calc = SinglePointCalculator(copy, energy=image.get_potential_energy(), forces=image.get_forces())
    return copy


def _mic_distance(a: Atoms, b: Atoms) -> float:
    delta, _ = find_mic(b.positions - a.positions, a.cell, a.pbc)
    return float(np.linalg.norm(delta))


def _write_neb_outputs(result: NEBResult, out: Path, wall_s: float) -> None:
    write(out / "outputs" / "neb_path.extxyz", list(result.path))
    lines = ["image,reaction_coordinate_a,energy_ev"]
    lines += [
        f"{i},{s:.6f},{e:.6f}"
        for i, (s, e) in enumerate(zip(result.reaction_coordinate_a, result.energies_ev, strict=True))
    ]
    (out / "outputs" / "energies.csv").write_text("\n".join(lines) + "\n")
    plot_neb_profile(result.reaction_coordinate_a, result.energies_ev, out / "figures" / "neb_profile.png")
    results = {k: v for k, v in result.as_dict().items() if k not in ("parameters", "run_dir")}
    RunFolder.create(out).write_summary(
        kind="neb", parameters=result.parameters, results=results, extra={"wall_time_s": wall_s}
    )
