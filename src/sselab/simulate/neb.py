"""Climbing-image nudged elastic band (CI-NEB) for a cation hop, with ASE's :class:`ase.mep.NEB`.

The band is built between two relaxed end points (usually a cation next to a vacancy, and the same cation
moved into the vacancy: :func:`cation_hop_endpoints`), interpolated with IDPP, and relaxed with FIRE. Any ASE
calculator works; each image gets its own calculator from ``calculator_factory``. The settings are
:class:`~sselab.simulate.settings.NEBSettings`; the recipe for a structure file is
:func:`sselab.simulate.recipes.neb_of_structure`.

Example
-------
>>> from ase.build import bulk
>>> from ase.calculators.emt import EMT
>>> hop = cation_hop_endpoints(bulk("Cu", cubic=True).repeat(2), "Cu")
>>> result = run_neb(hop.initial, hop.final, EMT, n_images=3, fmax=0.1, steps=100)
>>> result.converged, 0.5 < result.barrier_ev < 1.2
(True, True)
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
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
from sselab.progress import report_progress
from sselab.simulate.figures import plot_neb_profile
from sselab.simulate.neb_result import NEBResult
from sselab.simulate.potentials import CalculatorFactory, device_of
from sselab.simulate.results import StructureInfo
from sselab.simulate.runfolder import RunFolder
from sselab.simulate.settings import NEBSettings

__all__ = ["NEBResult", "VacancyHop", "cation_hop_endpoints", "run_neb"]

logger = logging.getLogger(__name__)


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


_OPTIMIZERS: dict[str, type] = {"fire": FIRE, "bfgs": BFGS, "mdmin": MDMin}


def _relax_endpoint(atoms: Atoms, fmax: float, steps: int, log: Path | None) -> int:
    opt = BFGS(atoms, logfile=str(log) if log else None)
    opt.run(fmax=fmax, steps=steps)
    return int(opt.nsteps) + 1


def run_neb(
    initial: Atoms,
    final: Atoms,
    calculator_factory: CalculatorFactory,
    *,
    settings: NEBSettings | None = None,
    run_dir: str | Path | None = None,
    progress: bool = False,
    potential: str | None = None,
    structure: StructureInfo | None = None,
    hop_distance_a: float | None = None,
    **changes: Any,
) -> NEBResult:
    """Relax a (climbing-image) nudged elastic band between two states and return its barrier.

    Parameters
    ----------
    initial, final
        End points with the same atoms in the same order (Å); copied, never modified.
    calculator_factory
        Called once per image (and per end point) to give it its own ASE calculator.
    settings
        Images, climbing, ``fmax`` (eV/Å), steps, tangent method, interpolation, spring constant, optimiser
        (:class:`~sselab.simulate.settings.NEBSettings`); its fields may also be given as keywords
        (``changes``), validated on top of ``settings``.
    run_dir
        If given, write inputs, the relaxed band, energies, a profile figure and ``summary.json`` there.
    progress
        Show a rich progress bar of the band's optimiser steps (steps/s, current fmax).
    potential, structure, hop_distance_a
        Recorded with the result.
    """
    settings = NEBSettings.build(settings, **changes) if changes or settings is None else settings
    if len(initial) != len(final) or initial.get_chemical_symbols() != final.get_chemical_symbols():
        raise SimulationError("initial and final images must contain the same atoms in the same order")
    out = RunFolder.create(run_dir).root if run_dir is not None else None
    fmax, steps = settings.fmax, settings.steps
    start = time.perf_counter()
    first, last = initial.copy(), final.copy()
    force_calls = 0
    for name, image in (("initial", first), ("final", last)):
        image.calc = calculator_factory()
        if out is not None:
            image.write(out / "inputs" / f"{name}.extxyz")
        if settings.relax_endpoints:
            log = out / "outputs" / f"relax_{name}.log" if out else None
            force_calls += _relax_endpoint(image, fmax, steps, log)
        else:
            image.get_potential_energy()
            force_calls += 1
    images = [first]
    for _ in range(settings.n_images):
        image = first.copy()
        image.calc = calculator_factory()
        images.append(image)
    images.append(last)
    band = NEB(images, k=settings.spring_constant_ev_per_a2, climb=settings.climb, method=settings.method)
    if settings.interpolate == "idpp":
        band.interpolate(method="idpp", mic=True)
    else:
        band.interpolate(mic=True)
    log = out / "outputs" / "neb.log" if out else None
    opt = _OPTIMIZERS[settings.optimizer](band, logfile=str(log) if log else None)
    converged = _relax_band(opt, fmax, steps, f"NEB {out.name}" if out else "NEB", bar=progress)
    force_calls += (int(opt.nsteps) + 1) * settings.n_images
    energies = np.array([image.get_potential_energy() for image in images])
    relative = energies - energies[0]
    path = tuple(_frozen_copy(image) for image in images)
    coordinate = np.concatenate(
        [[0.0], np.cumsum([_mic_distance(images[i], images[i + 1]) for i in range(len(images) - 1)])]
    )
    reason = (
        f"band forces below fmax = {fmax:g} eV/Å after {opt.nsteps} steps"
        if converged
        else f"band forces still above fmax = {fmax:g} eV/Å after the {steps} allowed steps"
    )
    top = int(np.argmax(relative))
    if top in (0, len(relative) - 1):  # no saddle between the end points: not a barrier
        converged = False
        reason = (
            f"the band's highest image is end point {top} (not an interior image): no saddle between the end "
            f"points, so no migration barrier ({reason})"
        )
    result = NEBResult(
        barrier_ev=float(relative.max()),
        reverse_barrier_ev=float(relative.max() - relative[-1]),
        energies_ev=tuple(float(e) for e in relative),
        path=path,
        reaction_coordinate_a=tuple(float(s) for s in coordinate),
        converged=converged,
        n_force_calls=force_calls,
        settings=settings,
        run_dir=out,
        convergence_reason=reason,
        potential=potential,
        device=device_of(first.calc),
        structure=structure,
        hop_distance_a=hop_distance_a,
        wall_time_s=time.perf_counter() - start,
    )
    logger.info(
        "NEB barrier %.3f eV (converged=%s, %d force calls, %.1f s)",
        result.barrier_ev,
        converged,
        force_calls,
        result.wall_time_s,
    )
    if out is not None:
        _write_neb_outputs(result, out)
    return result


def _relax_band(opt: Any, fmax: float, steps: int, label: str, *, bar: bool) -> bool:
    """Run the band optimiser (``opt.irun``, as ``opt.run`` does); return whether it converged. Each step is
    reported with :func:`sselab.progress.report_progress`; with ``bar`` a rich bar shows steps/s and fmax."""
    columns = (
        TextColumn("[bold]NEB"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} steps/s  fmax {task.fields[fmax]} eV/Å"),
        TimeRemainingColumn(),
    )
    converged, done = False, 0
    with Progress(*columns, disable=not bar) as progress:
        task = progress.add_task("NEB", total=steps, rate="   -", fmax="   -")
        start = time.perf_counter()
        for done, state in enumerate(opt.irun(fmax=fmax, steps=steps)):
            converged = bool(state)
            report_progress(done, steps, label=label, unit="steps")
            if bar:
                forces = opt.optimizable.get_gradient().reshape(-1, 3)
                rate = done / max(time.perf_counter() - start, 1e-9)
                fmax_now = f"{np.sqrt((forces**2).sum(1)).max():.3f}"
                progress.update(task, completed=done, rate=f"{rate:6.2f}", fmax=fmax_now)
        if converged and done < steps:  # finished early: the bar and the last report say so
            progress.update(task, total=max(done, 1), completed=max(done, 1))
            report_progress(max(done, 1), max(done, 1), label=label, unit="steps")
    return converged


def _frozen_copy(image: Atoms) -> Atoms:
    copy = image.copy()
    copy.calc = SinglePointCalculator(copy, energy=image.get_potential_energy(), forces=image.get_forces())
    return copy


def _mic_distance(a: Atoms, b: Atoms) -> float:
    delta, _ = find_mic(b.positions - a.positions, a.cell, a.pbc)
    return float(np.linalg.norm(delta))


def _write_neb_outputs(result: NEBResult, out: Path) -> None:
    write(out / "outputs" / "neb_path.extxyz", list(result.path))
    lines = ["image,reaction_coordinate_a,energy_ev"]
    lines += [
        f"{i},{s:.6f},{e:.6f}"
        for i, (s, e) in enumerate(zip(result.reaction_coordinate_a, result.energies_ev, strict=True))
    ]
    (out / "outputs" / "energies.csv").write_text("\n".join(lines) + "\n")
    plot_neb_profile(result.reaction_coordinate_a, result.energies_ev, out / "figures" / "neb_profile.png")
    RunFolder.create(out).write_summary(result)
