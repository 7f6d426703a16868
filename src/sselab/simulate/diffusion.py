"""MD-Arrhenius: NVT MD at several temperatures → cation MSD → tracer D → Nernst–Einstein σ → Arrhenius Ea.

The MSD is averaged over all cations of the element and over all time origins of the production run (unwrapped
positions, the whole cell's centre-of-mass drift removed, :mod:`sselab.transport.msd`); the tracer diffusion
coefficient comes from a straight line fitted to the MSD after a skipped ballistic/cage start,
``D = slope / 6``. The conductivity follows from Nernst–Einstein with a Haven ratio of 1,
``σ = n q² D / (kB T)``, and the activation energy from ``sselab.transport.fit_arrhenius`` on ``σT``.

Example
-------
>>> from ase.build import bulk
>>> from ase.calculators.emt import EMT
>>> res = md_arrhenius(bulk("Cu", cubic=True).repeat(2), EMT, "Cu", (900.0, 1200.0),
...                    steps=200)  # doctest: +SKIP
>>> res.diffusion_cm2_per_s  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.data import atomic_masses
from pymatgen.core import Element

from sselab.errors import SimulationError
from sselab.simulate.figures import plot_msd
from sselab.simulate.md import run_md
from sselab.simulate.potentials import CalculatorFactory
from sselab.simulate.runfolder import RunFolder
from sselab.transport import ArrheniusFit, fit_arrhenius, nernst_einstein_conductivity, plot_arrhenius
from sselab.transport.msd import MSDFit, fit_msd, mean_square_displacement, unwrap_positions

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MDArrheniusResult:
    """Outcome of :func:`md_arrhenius` (one entry per temperature, in the order given)."""

    temperatures_k: tuple[float, ...]
    diffusion_cm2_per_s: tuple[float, ...]
    diffusion_stderr_cm2_per_s: tuple[float, ...]
    conductivity_s_per_cm: tuple[float, ...]
    carrier_density_per_cm3: float
    fit: ArrheniusFit | None  # None when fewer than three temperatures show diffusion
    msd: tuple[MSDFit, ...]
    parameters: dict[str, Any] = field(default_factory=dict)
    run_dir: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (MSD curves left out)."""
        fit = None
        if self.fit is not None:
            fit = {
                k: getattr(self.fit, k)
                for k in (
                    "activation_energy_ev",
                    "stderr_ev",
                    "ci95_ev",
                    "prefactor",
                    "r_squared",
                    "n_points",
                    "form",
                )
                if hasattr(self.fit, k)
            }
        return {
            "temperatures_k": list(self.temperatures_k),
            "diffusion_cm2_per_s": list(self.diffusion_cm2_per_s),
            "diffusion_stderr_cm2_per_s": list(self.diffusion_stderr_cm2_per_s),
            "conductivity_s_per_cm": list(self.conductivity_s_per_cm),
            "carrier_density_per_cm3": self.carrier_density_per_cm3,
            "fit": fit,
            "parameters": self.parameters,
            "run_dir": str(self.run_dir) if self.run_dir else None,
        }


def arrhenius_fit(temperature_k: Sequence[float], conductivity_s_per_cm: Sequence[float]) -> ArrheniusFit:
    """Arrhenius fit of σT (``sselab.transport.fit_arrhenius``, ``form="sigma_t"``; 3 or more points)."""
    return fit_arrhenius(
        np.asarray(temperature_k, float), np.asarray(conductivity_s_per_cm, float), form="sigma_t"
    )


def _custom_masses(atoms: Atoms) -> dict[str, float]:
    """Elements whose masses differ from ASE's standard ones (e.g. H made heavier for a longer time step)."""
    custom: dict[str, float] = {}
    for symbol, number, mass in zip(
        atoms.get_chemical_symbols(), atoms.numbers, atoms.get_masses(), strict=True
    ):
        if abs(mass - atomic_masses[number]) > 1e-6:
            custom[symbol] = float(mass)
    return custom


def _charge(cation: str) -> int:
    states = Element(cation).common_oxidation_states
    positive = [s for s in states if s > 0]
    if not positive:
        raise SimulationError(f"{cation!r} has no common positive oxidation state; is it a cation?")
    return int(positive[0])


def sample_cation_trajectory(
    atoms: Atoms,
    calculator_factory: CalculatorFactory,
    cation: str,
    temperature_k: float,
    steps: int,
    timestep_fs: float,
    seed: int,
    equilibration_steps: int,
    sample_every: int,
    friction_per_fs: float,
    run_dir: Path | None,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Run NVT MD (``sselab.simulate.md.run_md``) and return production times (fs) and cation positions (Å).

    Positions are unwrapped and corrected for the centre-of-mass drift of the whole cell.
    """
    work = atoms.copy()
    symbols = np.array(work.get_chemical_symbols())
    index = np.flatnonzero(symbols == cation)
    if index.size == 0:
        raise SimulationError(f"no {cation!r} atoms in the structure ({work.get_chemical_formula()})")
    frames: list[np.ndarray] = []
    centres: list[np.ndarray] = []

    def record() -> None:
        frames.append(work.get_positions()[index].copy())
        centres.append(work.get_center_of_mass())

    total = equilibration_steps + steps
    traj = run_dir / "md.traj" if run_dir is not None else None
    run_md(
        work,
        calculator_factory(),
        temperature_k,
        timestep_fs,
        total,
        friction_per_fs=friction_per_fs,
        seed=seed,
        trajectory=traj,
        loginterval=max(sample_every * 10, 1),
        run_dir=run_dir,
        restart=False,
        progress=progress,
        observers=((record, sample_every),),
    )
    first = int(np.ceil(equilibration_steps / sample_every))
    positions = unwrap_positions(np.asarray(frames), np.asarray(work.cell))[first:]
    drift = unwrap_positions(np.asarray(centres)[:, None, :], np.asarray(work.cell))[first:]
    positions = positions - (drift - drift[:1])
    time_fs = np.arange(len(positions)) * sample_every * timestep_fs
    return time_fs, positions


def md_arrhenius(
    atoms: Atoms,
    calculator_factory: CalculatorFactory,
    cation: str,
    temperatures_k: Sequence[float],
    steps: int = 2000,
    timestep_fs: float = 1.0,
    seed: int = 0,
    run_dir: str | Path | None = None,
    equilibration_steps: int = 200,
    sample_every: int = 5,
    friction_per_fs: float = 0.01,
    fit_start_fraction: float = 0.2,
    progress: bool = False,
    on_temperature_done: Callable[[float, MSDFit], None] | None = None,
) -> MDArrheniusResult:
    """Tracer diffusion and Nernst–Einstein conductivity of ``cation`` at several temperatures, and their Ea.

    Parameters
    ----------
    atoms
        Structure (not modified); NVT at its cell.
    calculator_factory
        Gives the ASE calculator (called once per temperature).
    cation
        Element symbol of the mobile cation; its charge is its first common positive oxidation state.
    temperatures_k
        Temperatures (K); at least two for an activation energy.
    steps
        Production steps per temperature (after ``equilibration_steps``).
    timestep_fs
        MD time step (fs); 0.5–1 fs with H atoms.
    seed
        Seed of temperature ``i`` is ``seed + i`` (recorded).
    run_dir
        Folder for trajectories, ``msd_<T>K.csv``, figures (MSD and Arrhenius) and ``summary.json``. A
        temperature
        whose ``msd_<T>K.npz`` exists is read back instead of rerun.
    sample_every
        Steps between stored positions.
    fit_start_fraction
        Fraction of the longest lag skipped before the linear MSD fit.
    progress
        Show rich progress bars (steps/s).
    on_temperature_done
        Called after each temperature with its MSD fit.
    """
    temps = [float(t) for t in temperatures_k]
    if not temps or min(temps) <= 0:
        raise SimulationError(f"temperatures_k must be positive, got {temps}")
    out = Path(run_dir) if run_dir is not None else None
    charge = _charge(cation)
    n_cations = int(np.count_nonzero(np.array(atoms.get_chemical_symbols()) == cation))
    density = n_cations / (atoms.get_volume() * 1e-24)
    parameters = {
        "cation": cation,
        "temperatures_k": temps,
        "steps": steps,
        "timestep_fs": timestep_fs,
        "seed": seed,
        "equilibration_steps": equilibration_steps,
        "sample_every": sample_every,
        "friction_per_fs": friction_per_fs,
        "fit_start_fraction": fit_start_fraction,
        "thermostat": "langevin",
        "haven_ratio": 1.0,
        "charge": charge,
        "n_atoms": len(atoms),
        "custom_masses_amu": _custom_masses(atoms),
    }
    start = time.perf_counter()
    fits: list[MSDFit] = []
    for i, temperature in enumerate(temps):
        folder = out / "outputs" / f"T_{temperature:g}K" if out is not None else None
        cached = folder / f"msd_{temperature:g}K.npz" if folder is not None else None
        if cached is not None and cached.is_file():
            with np.load(cached) as data:
                time_fs, positions = data["time_fs"], data["positions_a"]
        else:
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)
            time_fs, positions = sample_cation_trajectory(
                atoms,
                calculator_factory,
                cation,
                temperature,
                steps,
                timestep_fs,
                seed + i,
                equilibration_steps,
                sample_every,
                friction_per_fs,
                folder,
                progress,
            )
            if cached is not None:
                np.savez(cached, time_fs=time_fs, positions_a=positions)
        msd = mean_square_displacement(positions)
        fit = fit_msd(time_fs[: len(msd)], msd, fit_start_fraction)
        fits.append(fit)
        logger.info("T = %g K: D = %.3e cm2/s", temperature, fit.diffusion_cm2_per_s)
        if folder is not None:
            np.savetxt(
                folder / f"msd_{temperature:g}K.csv",
                np.column_stack([fit.lag_fs, fit.msd_a2]),
                delimiter=",",
                header="lag_fs,msd_a2",
                comments="",
            )
        if on_temperature_done is not None:
            on_temperature_done(temperature, fit)
    diffusion = [f.diffusion_cm2_per_s for f in fits]
    sigma = [
        float(nernst_einstein_conductivity(d, density, charge, t)) if d > 0 else float("nan")
        for d, t in zip(diffusion, temps, strict=True)
    ]
    usable = [i for i, s in enumerate(sigma) if np.isfinite(s) and s > 0]
    arrhenius = None
    if len(usable) >= 3:
        arrhenius = arrhenius_fit([temps[i] for i in usable], [sigma[i] for i in usable])
    else:
        logger.warning("fewer than three temperatures with a positive D: no Arrhenius fit")
    result = MDArrheniusResult(
        tuple(temps),
        tuple(diffusion),
        tuple(f.diffusion_stderr_cm2_per_s for f in fits),
        tuple(sigma),
        float(density),
        arrhenius,
        tuple(fits),
        parameters,
        out,
    )
    if out is not None:
        run = RunFolder.create(out)
        plot_msd(result.temperatures_k, result.msd, cation, run.figures / "msd.png")
        if arrhenius is not None:
            plot_arrhenius(
                arrhenius,
                [temps[i] for i in usable],
                [sigma[i] for i in usable],
                run.figures / "arrhenius.png",
                title=f"MD-Arrhenius ({cation})",
            )
        results = {k: v for k, v in result.as_dict().items() if k not in ("parameters", "run_dir")}
        run.write_summary(
            kind="md-arrhenius",
            parameters=parameters,
            results=results,
            seed=seed,
            extra={"wall_time_s": time.perf_counter() - start},
        )
    return result
