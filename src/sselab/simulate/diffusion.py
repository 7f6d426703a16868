"""MD-Arrhenius: NVT MD at several temperatures → cation MSD → tracer D → Nernst–Einstein σ → Arrhenius Ea.

The MD is momentum-conserving and weakly thermostatted (Bussi's stochastic velocity rescaling by default) with
the elements' real masses (a structure with changed masses is refused), and its trajectory is cached under a
key of every parameter that changes it (:mod:`sselab.simulate.md_sampling`). The tracer diffusion coefficient
and its uncertainty come from kinisi (:mod:`sselab.transport.kinisi_diffusion`: the posterior of ``D`` given
the correlated MSD, after the ballistic start ``fit_start_fraction`` of the run); the MSD curve and a straight
line through it are kept for the figure. The conductivity follows from Nernst–Einstein with a Haven ratio of
1, ``σ = n q² D / (kB T)``; the activation energy from ``sselab.transport.fit_arrhenius`` on ``σT`` of the
median ``D``, its uncertainty from refitting the line through each joint posterior sample of the ``D``
(standard deviation and 95 % interval of those Ea).

Example
-------
>>> from ase.build import bulk
>>> from ase.calculators.emt import EMT
>>> res = md_arrhenius(bulk("Cu", cubic=True).repeat(2), EMT, "Cu", temperatures_k=(900.0, 1200.0),
...                    steps=200)  # doctest: +SKIP
>>> res.diffusion_cm2_per_s  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from ase import Atoms, units
from ase.data import atomic_masses
from pymatgen.core import Element

from sselab.errors import SimulationError
from sselab.simulate.figures import plot_msd
from sselab.simulate.md_sampling import sample_trajectory
from sselab.simulate.potentials import CalculatorFactory
from sselab.simulate.results import EaEstimate, StructureInfo, result_data
from sselab.simulate.runfolder import RunFolder
from sselab.simulate.settings import MDArrheniusSettings
from sselab.transport import ArrheniusFit, fit_arrhenius, nernst_einstein_conductivity, plot_arrhenius
from sselab.transport.kinisi_diffusion import KinisiDiffusion, kinisi_diffusion
from sselab.transport.msd import MSDFit, fit_msd, mean_square_displacement

logger = logging.getLogger(__name__)


#: Potentials whose MD is stored as ``AIMD`` (quantum-mechanical energies); every other potential gives
# ``MLMD``.
AB_INITIO_POTENTIALS = ("cp2k", "xtb")


@dataclass(frozen=True)
class MDArrheniusResult:
    """Outcome of :func:`md_arrhenius` (one entry per temperature, in the order given).

    Attributes
    ----------
    temperatures_k, diffusion_cm2_per_s, diffusion_stderr_cm2_per_s, conductivity_s_per_cm
        Per temperature (K): tracer D (cm²/s, kinisi's posterior median) with its posterior standard
        deviation, Nernst–Einstein σ (S/cm).
    carrier_density_per_cm3
        Mobile cations per cm³.
    fit
        Arrhenius fit of σT, ``None`` when fewer than three temperatures show diffusion; its ``stderr_ev`` and
        ``ci95_ev`` are propagated from kinisi's posteriors of D.
    msd
        The MSD curve and fit of each temperature.
    settings
        The settings used (:class:`~sselab.simulate.settings.MDArrheniusSettings`).
    run_dir
        The run folder (``None`` when not written).
    cation, charge
        The mobile ion and its charge (e).
    potential, device, structure
        What it ran with and on (recorded).
    converged, convergence_reason
        No convergence criterion is applied to MD-Arrhenius yet: ``None`` and the reason.
    wall_time_s
        Wall time (s).
    custom_masses_amu
        Elements whose masses differ from ASE's standard ones (always empty now: such structures are refused).
    posteriors
        kinisi's posterior of D at each temperature.
    """

    kind: ClassVar[str] = "md-arrhenius"

    temperatures_k: tuple[float, ...]
    diffusion_cm2_per_s: tuple[float, ...]
    diffusion_stderr_cm2_per_s: tuple[float, ...]
    conductivity_s_per_cm: tuple[float, ...]
    carrier_density_per_cm3: float
    fit: ArrheniusFit | None
    msd: tuple[MSDFit, ...]
    settings: MDArrheniusSettings = field(default_factory=lambda: MDArrheniusSettings())
    run_dir: Path | None = None
    cation: str = ""
    charge: int = 1
    potential: str | None = None
    device: str = "cpu"
    structure: StructureInfo | None = None
    converged: bool | None = None
    convergence_reason: str | None = (
        "not assessed: MD-Arrhenius has no convergence criterion yet (D from a regression of the MSD)"
    )
    wall_time_s: float = 0.0
    custom_masses_amu: dict[str, float] = field(default_factory=dict)
    posteriors: tuple[KinisiDiffusion, ...] = ()

    @property
    def parameters(self) -> dict[str, Any]:
        """The settings as a dict."""
        return self.settings.as_dict()

    def activation_energy(self) -> EaEstimate | None:
        """The Arrhenius Ea as an ``MLMD`` (or ``AIMD``) activation energy; ``None`` without a fit."""
        if self.fit is None:
            return None
        method = "AIMD" if self.potential in AB_INITIO_POTENTIALS else "MLMD"
        temps = ", ".join(f"{t:g}" for t in self.temperatures_k)
        # a perfect crystal makes its own defects: what it measures is the intrinsic Ea (frenkel)
        protocol = "vacancy" if self.settings.vacancy else "frenkel"
        return EaEstimate(
            method, self.fit.activation_energy_ev, self.fit.stderr_ev, min(self.temperatures_k),
            max(self.temperatures_k), protocol, self.converged, self.convergence_reason,
            f"MD at {temps} K, Nernst-Einstein (Haven ratio 1)",
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form with the MSD curves; :meth:`from_dict` rebuilds the result."""
        return {
            "@class": "MDArrheniusResult",
            "kind": self.kind,
            "temperatures_k": list(self.temperatures_k),
            "diffusion_cm2_per_s": list(self.diffusion_cm2_per_s),
            "diffusion_stderr_cm2_per_s": list(self.diffusion_stderr_cm2_per_s),
            "conductivity_s_per_cm": list(self.conductivity_s_per_cm),
            "carrier_density_per_cm3": self.carrier_density_per_cm3,
            "fit": None if self.fit is None else self.fit.as_dict(),
            "msd": [m.as_dict() for m in self.msd],
            "settings": self.settings.as_dict(),
            "run_dir": str(self.run_dir) if self.run_dir else None,
            "cation": self.cation,
            "charge": self.charge,
            "potential": self.potential,
            "device": self.device,
            "structure": None if self.structure is None else self.structure.as_dict(),
            "converged": self.converged,
            "convergence_reason": self.convergence_reason,
            "wall_time_s": self.wall_time_s,
            "custom_masses_amu": self.custom_masses_amu,
            "posteriors": [p.as_dict() for p in self.posteriors],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MDArrheniusResult:
        """Inverse of :meth:`as_dict`; also accepts a run folder's whole ``summary.json``."""
        d = result_data(data, cls.kind)

        def floats(key: str) -> tuple[float, ...]:
            return tuple(float("nan") if v is None else float(v) for v in d[key])

        return cls(
            temperatures_k=floats("temperatures_k"),
            diffusion_cm2_per_s=floats("diffusion_cm2_per_s"),
            diffusion_stderr_cm2_per_s=floats("diffusion_stderr_cm2_per_s"),
            conductivity_s_per_cm=floats("conductivity_s_per_cm"),
            carrier_density_per_cm3=float(d["carrier_density_per_cm3"]),
            fit=None if d.get("fit") is None else ArrheniusFit.from_dict(d["fit"]),
            msd=tuple(MSDFit.from_dict(m) for m in d.get("msd", [])),
            settings=MDArrheniusSettings.from_dict(d["settings"]),
            run_dir=None if d.get("run_dir") is None else Path(d["run_dir"]),
            cation=str(d.get("cation", "")),
            charge=int(d.get("charge", 1)),
            potential=d.get("potential"),
            device=str(d.get("device", "cpu")),
            structure=None if d.get("structure") is None else StructureInfo.from_dict(d["structure"]),
            converged=d.get("converged"),
            convergence_reason=d.get("convergence_reason"),
            wall_time_s=float(d.get("wall_time_s", 0.0)),
            custom_masses_amu={str(k): float(v) for k, v in (d.get("custom_masses_amu") or {}).items()},
            posteriors=tuple(KinisiDiffusion.from_dict(p) for p in d.get("posteriors") or ()),
        )


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


def arrhenius_samples(
    temperatures_k: Sequence[float], samples_cm2_per_s: Sequence[np.ndarray], density: float, charge: int
) -> np.ndarray:
    """Ea (eV) of the Arrhenius line through each joint draw of the posterior samples of ``D`` (one draw per
    temperature per sample, Nernst–Einstein σT, least squares in ln σT against 1/T)."""
    n = min(len(x) for x in samples_cm2_per_s)
    temps = np.asarray(temperatures_k, float)
    draws = np.stack([np.asarray(x, float)[:n] for x in samples_cm2_per_s])  # (nT, n)
    positive = np.all(draws > 0, axis=0)
    sigma = np.array([[float(nernst_einstein_conductivity(d, density, charge, t)) for d in row]
                      for row, t in zip(draws[:, positive], temps, strict=True)])  # fmt: skip
    x = 1.0 / temps
    y = np.log(sigma * temps[:, None])
    slope = np.polyfit(x, y, 1)[0]
    return -np.asarray(slope) * float(units.kB)


def md_arrhenius(
    atoms: Atoms,
    calculator_factory: CalculatorFactory,
    cation: str,
    *,
    settings: MDArrheniusSettings | None = None,
    run_dir: str | Path | None = None,
    progress: bool = False,
    on_temperature_done: Callable[[float, KinisiDiffusion], None] | None = None,
    potential: str | None = None,
    structure: StructureInfo | None = None,
    **changes: Any,
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
    settings
        Temperatures (K), production and equilibration steps, time step (fs), sampling, friction, MSD fit
        range, seed (temperature ``i`` uses ``seed + i``)
        (:class:`~sselab.simulate.settings.MDArrheniusSettings`);
        its fields may also be given as keywords (``changes``).
    run_dir
        Folder for trajectories, ``msd_<T>K.csv``, figures (MSD and Arrhenius) and ``summary.json``. A
        temperature whose trajectory with the same parameters is cached there (``traj_<T>K_<key>.npz``) is
        read back instead of rerun; other parameters compute anew.
    progress
        Show rich progress bars (steps/s).
    on_temperature_done
        Called after each temperature with kinisi's posterior of D there.
    potential, structure
        Recorded with the result.
    """
    settings = MDArrheniusSettings.build(settings, **changes) if changes or settings is None else settings
    temps = [float(t) for t in settings.temperatures_k]
    out = Path(run_dir) if run_dir is not None else None
    run = RunFolder.create(out) if out is not None else None
    charge = _charge(cation)
    n_cations = int(np.count_nonzero(np.array(atoms.get_chemical_symbols()) == cation))
    density = n_cations / (atoms.get_volume() * 1e-24)
    start = time.perf_counter()
    fits: list[MSDFit] = []
    devices: set[str] = set()
    posteriors: list[KinisiDiffusion] = []
    cation_index = np.flatnonzero(np.array(atoms.get_chemical_symbols()) == cation)
    for i, temperature in enumerate(temps):
        folder = out / "outputs" / f"T_{temperature:g}K" if out is not None else None
        frames, time_fs, device = sample_trajectory(
            atoms, calculator_factory, temperature, settings, settings.seed + i, folder,
            potential or type(calculator_factory).__name__, progress,
        )  # fmt: skip
        devices.add(device)
        positions = frames[:, cation_index]
        drift = frames.mean(axis=1, keepdims=True)  # the cell's centroid: removed for the MSD curve
        msd = mean_square_displacement(positions - (drift - drift[:1]))
        fit = fit_msd(time_fs[: len(msd)], msd, settings.fit_start_fraction)
        fits.append(fit)
        snapshots = []
        for frame in frames:
            snapshot = atoms.copy()
            snapshot.positions = frame
            snapshots.append(snapshot)
        start_dt = max(settings.fit_start_fraction * float(time_fs[-1]), float(time_fs[1]))
        posteriors.append(
            kinisi_diffusion(
                snapshots,
                cation,
                settings.timestep_fs,
                settings.sample_every,
                start_dt,
                settings.diffusion_samples,
                settings.seed + i,
            )
        )
        logger.info(
            "T = %g K: D = %.3e ± %.1e cm2/s (kinisi)", temperature, posteriors[-1].diffusion_cm2_per_s,
            posteriors[-1].diffusion_std_cm2_per_s,
        )  # fmt: skip
        if folder is not None:
            np.savetxt(
                folder / f"msd_{temperature:g}K.csv",
                np.column_stack([fit.lag_fs, fit.msd_a2]),
                delimiter=",",
                header="lag_fs,msd_a2",
                comments="",
            )
        if on_temperature_done is not None:
            on_temperature_done(temperature, posteriors[-1])
    diffusion = [p.diffusion_cm2_per_s for p in posteriors]
    sigma = [
        float(nernst_einstein_conductivity(d, density, charge, t)) if d > 0 else float("nan")
        for d, t in zip(diffusion, temps, strict=True)
    ]
    usable = [i for i, s in enumerate(sigma) if np.isfinite(s) and s > 0]
    arrhenius = None
    if len(usable) >= 3:
        arrhenius = arrhenius_fit([temps[i] for i in usable], [sigma[i] for i in usable])
        eas = arrhenius_samples(
            [temps[i] for i in usable], [posteriors[i].samples_cm2_per_s for i in usable], density, charge
        )
        if eas.size >= 10:
            low, high = np.percentile(eas, [2.5, 97.5])
            arrhenius = replace(
                arrhenius, stderr_ev=float(eas.std(ddof=1)), ci95_ev=(float(low), float(high))
            )
    else:
        logger.warning("fewer than three temperatures with a positive D: no Arrhenius fit")
    result = MDArrheniusResult(
        temperatures_k=tuple(temps),
        diffusion_cm2_per_s=tuple(diffusion),
        diffusion_stderr_cm2_per_s=tuple(p.diffusion_std_cm2_per_s for p in posteriors),
        conductivity_s_per_cm=tuple(sigma),
        carrier_density_per_cm3=float(density),
        fit=arrhenius,
        msd=tuple(fits),
        settings=settings,
        run_dir=out,
        cation=cation,
        charge=charge,
        potential=potential,
        device="cuda" if "cuda" in devices else "cpu",
        structure=structure,
        wall_time_s=time.perf_counter() - start,
        custom_masses_amu=_custom_masses(atoms),
        posteriors=tuple(posteriors),
    )
    if run is not None:
        plot_msd(result.temperatures_k, result.msd, cation, run.figures / "msd.png")
        if arrhenius is not None:
            plot_arrhenius(
                arrhenius,
                [temps[i] for i in usable],
                [sigma[i] for i in usable],
                run.figures / "arrhenius.png",
                title=f"MD-Arrhenius ({cation})",
            )
        run.write_summary(result)
    return result
