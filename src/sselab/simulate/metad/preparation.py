"""Preparation of a metadynamics run, as a careful scientist does it before biasing anything.

1. relax the given cell, positions and lattice (ASE ``FrechetCellFilter``), then build a supercell with every
   width at least ``supercell_min_length_a`` (default 10 Å);
2. make the protocol's defect and relax its positions at fixed cell;
3. equilibrate at the run temperature and zero pressure (ASE ``MTKNPT``, Martyna–Tobias–Klein), and scale
   the relaxed cell to the mean cell of the second half;
4. run unbiased NVT MD (momentum-conserving: Langevin with ASE ``FixCom``) and measure each CV's standard
   deviation and integrated autocorrelation time: the default hill width is the spread, the default pace the
   correlation time (10–500 steps), the default height ``½ kT``;
5. warn when the temperature lies outside the phase's known range or above 0.9 of its melting point
   (:mod:`sselab.simulate.phases`).

What was measured is written to the run folder (``inputs/preparation.json``, ``inputs/reference.extxyz``,
``inputs/equilibrated.extxyz``); a resumed run reads it back instead of preparing again.

Example
-------
>>> spread, tau = cv_statistics(np.sin(np.linspace(0, 60, 3000)) + 0.1, timestep_fs=1.0)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator
from ase.io import read, write
from ase.md.nose_hoover_chain import MTKNPT
from pymatgen.io.ase import AseAtomsAdaptor
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from sselab.simulate.md import initial_velocities, make_dynamics
from sselab.simulate.metad.colvars import CollectiveVariable
from sselab.simulate.settings import MetaDSettings

__all__ = [
    "Preparation",
    "cv_statistics",
    "equilibrate_npt",
    "hill_defaults",
    "load_preparation",
    "sample_cvs",
]

LOGGER = logging.getLogger(__name__)
PREPARATION_FILE = "preparation.json"


@dataclass(frozen=True)
class Preparation:
    """What the preparation did and measured (JSON-ready through :func:`dataclasses.asdict`).

    Attributes
    ----------
    relaxed_cell_a
        Lattice of the relaxed given cell (Å, 3×3), ``None`` when not relaxed.
    supercell
        Repeats of the given cell.
    npt_mean_cell_a
        Mean cell of the second half of the NPT run (Å, 3×3), ``None`` without NPT.
    npt_temperature_k
        Mean temperature of the NPT run's second half (K).
    cv_spread, cv_correlation_fs
        Standard deviation (CV units) and integrated autocorrelation time (fs) of each CV, unbiased.
    height_ev, widths, pace
        The hill parameters used (given or derived).
    derived
        Which of them were derived from the measurement.
    warnings
        Temperature outside the phase's range, unconverged relaxations ...
    space_group
        Space-group number of the relaxed given cell (spglib through pymatgen, tolerance 0.1 Å).
    """

    relaxed_cell_a: list[list[float]] | None
    supercell: list[int]
    npt_mean_cell_a: list[list[float]] | None
    npt_temperature_k: float | None
    cv_spread: list[float]
    cv_correlation_fs: list[float]
    height_ev: float
    widths: list[float]
    pace: int
    derived: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    space_group: int | None = None

    def save(self, folder: Path, reference: Atoms, start: Atoms) -> None:
        """Write the preparation, the CV reference cell and the equilibrated start to ``folder``."""
        write(folder / "reference.extxyz", reference)
        write(folder / "equilibrated.extxyz", start)
        (folder / PREPARATION_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")


def load_preparation(folder: Path) -> tuple[Preparation, Atoms, Atoms] | None:
    """The saved preparation, reference and equilibrated start of a run folder's ``inputs`` (or ``None``)."""
    path = folder / PREPARATION_FILE
    if not (path.is_file() and (folder / "reference.extxyz").is_file()):
        return None
    data = json.loads(path.read_text())
    reference = read(folder / "reference.extxyz")
    start = read(folder / "equilibrated.extxyz")
    assert isinstance(reference, Atoms) and isinstance(start, Atoms)
    return Preparation(**data), reference, start


def equilibrate_npt(
    atoms: Atoms, calculator: Calculator, settings: MetaDSettings, rng: np.random.Generator
) -> tuple[np.ndarray, Atoms, float]:
    """NPT MD (ASE ``MTKNPT``, 0 Pa; thermostat time 100 time steps and barostat 1000, each at most a tenth
    and a third of the run, so that a short equilibration reaches the temperature) at
    ``settings.temperature_k``; returns the mean cell of the second half (Å), the last frame scaled
    to it, and the mean temperature of the second half (K)."""
    work = atoms.copy()
    work.set_constraint()
    work.calc = calculator
    initial_velocities(work, settings.temperature_k, rng, zero_momentum=True)
    dt = settings.timestep_fs
    tdamp = min(100 * dt, max(settings.npt_steps * dt / 10, 10 * dt))
    pdamp = min(1000 * dt, max(settings.npt_steps * dt / 3, 20 * dt))
    dyn = MTKNPT(work, timestep=dt * units.fs, temperature_K=settings.temperature_k, pressure_au=0.0,
                 tdamp=tdamp * units.fs, pdamp=pdamp * units.fs)  # fmt: skip
    cells: list[np.ndarray] = []
    temperatures: list[float] = []

    def sample() -> None:
        if dyn.nsteps >= settings.npt_steps // 2:
            cells.append(work.cell.array.copy())
            temperatures.append(float(work.get_temperature()))

    dyn.attach(sample, interval=1)
    dyn.run(settings.npt_steps)
    mean_cell = np.mean(cells, axis=0) if cells else work.cell.array.copy()
    final = work.copy()
    final.set_cell(mean_cell, scale_atoms=True)
    final.set_momenta(work.get_momenta())
    return mean_cell, final, float(np.mean(temperatures)) if temperatures else settings.temperature_k


def sample_cvs(
    atoms: Atoms,
    calculator: Calculator,
    colvars: Sequence[CollectiveVariable],
    settings: MetaDSettings,
    rng: np.random.Generator,
) -> tuple[np.ndarray, Atoms]:
    """Unbiased NVT MD of ``atoms`` (the run's thermostat, centre of mass held) for
    ``settings.equilibration_steps``; the CV values at every step ``(steps, ncv)`` and the last frame."""
    work = atoms.copy()
    work.calc = calculator
    if work.get_kinetic_energy() <= 0.0:
        initial_velocities(work, settings.temperature_k, rng, zero_momentum=settings.fix_center_of_mass)
    dyn = make_dynamics(
        work, settings.temperature_k, settings.timestep_fs, settings.thermostat, settings.friction_per_fs,
        rng=rng, fix_center_of_mass=settings.fix_center_of_mass,
    )  # fmt: skip
    for cv in colvars:
        if hasattr(cv, "reset"):
            cv.reset()
    values: list[list[float]] = []
    dyn.attach(lambda: values.append([cv.compute(work)[0] for cv in colvars]), interval=1)
    dyn.run(settings.equilibration_steps)
    for cv in colvars:
        if hasattr(cv, "reset"):
            cv.reset()
    final = work.copy()
    final.set_constraint()
    final.set_momenta(work.get_momenta(), apply_constraint=False)
    return np.asarray(values, dtype=float).reshape(-1, len(colvars)), final


def cv_statistics(values: np.ndarray, timestep_fs: float) -> tuple[float, float]:
    """Standard deviation and integrated autocorrelation time (fs) of a CV series sampled every step.

    The autocorrelation is summed up to its first zero crossing (a simple, conservative window);
    ``τ = dt (1/2 + Σ_k ρ_k)``.
    """
    x = np.asarray(values, dtype=float)
    x = x - x.mean()
    spread = float(x.std())
    if spread == 0.0 or len(x) < 4:
        return spread, float(timestep_fs)
    n = len(x)
    f = np.fft.rfft(x, 2 * n)
    acf = np.fft.irfft(f * np.conj(f))[:n] / (x @ x)
    crossing = int(np.argmax(acf <= 0.0)) if np.any(acf <= 0.0) else n
    tau_steps = 0.5 + float(acf[1:crossing].sum())
    return spread, max(tau_steps, 0.5) * float(timestep_fs)


#: An NPT mean cell this much longer or shorter than the relaxed one (any axis) is no equilibrated cell.
MAX_NPT_STRAIN = 0.05
#: The ion sits off its site when its mean CV in the unbiased run is farther than this (Å) and 3 spreads.
MAX_SITE_OFFSET_A = 0.3


def equilibration_warnings(
    relaxed_lengths_a: Sequence[float] | None,
    npt_lengths_a: Sequence[float] | None,
    cv_values: np.ndarray | None,
    site: float,
    spread: float | None,
) -> list[str]:
    """What says the prepared cell is not at equilibrium at the run temperature.

    - the NPT mean cell differs from the relaxed one by more than :data:`MAX_NPT_STRAIN` along an axis
      (thermal expansion of a crystal far below its melting point is a per cent or two: the barostat had not
      settled);
    - the ion's mean first CV (Å) in the unbiased equilibration lies more than ``max(3 spreads,``
      :data:`MAX_SITE_OFFSET_A` ``)`` from its ``site``: the lattice reorganised around it, so the site the
      analysis starts from is not where the ion sits.

    >>> relaxed, npt = [14.28, 13.26, 13.55], [15.38, 13.31, 13.30]
    >>> [text[:40] for text in equilibration_warnings(relaxed, npt, np.full(9, 0.82), 0.0, 0.09)]
    ['the NPT mean cell differs from the relax', "in the unbiased equilibration the ion's "]
    >>> equilibration_warnings([14.28, 13.26, 13.55], [14.40, 13.37, 13.66], np.full(9, 0.05), 0.0, 0.09)
    []
    """
    found: list[str] = []
    if relaxed_lengths_a is not None and npt_lengths_a is not None:
        strain = np.asarray(npt_lengths_a, dtype=float) / np.asarray(relaxed_lengths_a, dtype=float) - 1.0
        worst = int(np.argmax(np.abs(strain)))
        if abs(strain[worst]) > MAX_NPT_STRAIN:
            found.append(
                f"the NPT mean cell differs from the relaxed one by {100 * strain[worst]:+.1f} % along axis "
                f"{'abc'[worst]} (more than {100 * MAX_NPT_STRAIN:g} %): the cell is not equilibrated "
                "(lengthen npt_steps)"
            )
    if cv_values is not None and len(cv_values) and spread is not None:
        offset = abs(float(np.mean(cv_values)) - site)
        if offset > max(3.0 * spread, MAX_SITE_OFFSET_A):
            found.append(
                f"in the unbiased equilibration the ion's mean CV lies {offset:.2f} Å from its site (spread "
                f"{spread:.3f} Å): the structure is not at equilibrium around the site, so the start site of "
                "the analysis is not where the ion sits (lengthen npt_steps and equilibration_steps)"
            )
    return found


def hill_defaults(
    settings: MetaDSettings,
    spreads: Sequence[float],
    taus_fs: Sequence[float],
    widths: Sequence[float | None],
) -> tuple[float, list[float], int, list[str]]:
    """``(height_ev, widths, pace, derived)``: the given values, the missing ones from the measurement.

    Height ``½ kT``; each missing width the CV's spread (at least 0.01 CV units); pace the longest
    correlation time in steps, between 10 and 500.
    """
    derived: list[str] = []
    height = settings.height_ev
    if height is None:
        height = 0.5 * float(units.kB) * settings.temperature_k
        derived.append("height_ev")
    resolved = []
    for k, width in enumerate(widths):
        if width is None:
            if k >= len(spreads) or not spreads[k] > 0:
                raise ValueError(f"the width of CV {k} must be given (no unbiased spread measured)")
            width = max(float(spreads[k]), 0.01)
            derived.append(f"width[{k}]")
        resolved.append(float(width))
    pace = settings.pace
    if pace is None:
        if not taus_fs:
            raise ValueError("pace must be given (no correlation time measured)")
        pace = int(np.clip(round(max(taus_fs) / settings.timestep_fs), 10, 500))
        derived.append("pace")
    return float(height), resolved, int(pace), derived


def space_group_number(atoms: Atoms) -> int | None:
    """Space-group number of ``atoms`` (pymatgen's spglib wrapper, tolerance 0.1 Å), ``None`` if unknown."""
    try:
        return int(
            SpacegroupAnalyzer(AseAtomsAdaptor.get_structure(atoms), symprec=0.1).get_space_group_number()
        )
    except Exception as exc:  # spglib fails on odd cells: the warning is then skipped, not the run
        LOGGER.info("no space group for %s: %s", atoms.get_chemical_formula(), exc)
        return None


def describe(preparation: Preparation) -> dict[str, Any]:
    """The preparation as recorded in a result's parameters."""
    return asdict(preparation)
