"""Ab initio metadynamics with CP2K's own well-tempered MetaD, from the same settings as sselab's MetaD.

:func:`cp2k_metad_input` turns the collective variables of :mod:`sselab.simulate.metad.colvars`
(:class:`~sselab.simulate.metad.colvars.Distance`,
:class:`~sselab.simulate.metad.colvars.CoordinationNumber`) and the
hill
parameters of :func:`sselab.simulate.run_metadynamics` (height in eV, widths in CV units, pace, bias factor γ,
temperature) into a CP2K input: ``&MOTION &MD`` (NVT, CSVR thermostat) and ``&FREE_ENERGY &METADYN``
(``DO_HILLS``,
``NT_HILLS``, ``WW``, ``WELL_TEMPERED`` with ``DELTA_T = (γ - 1) T``, one ``&METAVAR`` per CV with its
``SCALE``),
the CVs in ``&SUBSYS &COLVAR``, and a ``&FORCE_EVAL`` with either GFN1-xTB (``method="xtb"``, cheap) or DFT
(GPW,
PBE, GTH pseudopotentials and MOLOPT basis sets). :func:`run_cp2k_metadynamics` runs it when a CP2K executable
is
on ``PATH`` and reads CP2K's hills log back with :func:`read_cp2k_hills` into the same
:class:`~sselab.simulate.metad.hills.HillsData` that the FES analysis uses (and a PLUMED ``HILLS`` copy).

Units, as checked against CP2K 2023.1 (Debian package): in ``PROJECT-HILLS.metadynLog`` each line is
``time (fs), centres (CP2K internal units: bohr for distances), scales (same units), height (hartree)``, and
for
well-tempered runs the printed height is the deposited height times ``γ/(γ-1) = (T + ΔT)/ΔT``, as in PLUMED.

Example
-------
>>> from ase.build import molecule
>>> from sselab.simulate.metad.colvars import Distance
>>> atoms = molecule("H2O", vacuum=4.0)
>>> text = cp2k_metad_input(atoms, [Distance(0, 1, "d_oh")], height_ev=0.02, widths=[0.1], pace=5,
...                         bias_factor=10, temperature_k=300, steps=20, method="xtb")
>>> "&METADYN" in text and "METHOD xTB" in text
True
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms, units

from sselab.errors import DataImportError, SimulationError
from sselab.simulate.metad.colvars import CoordinationNumber, Distance
from sselab.simulate.metad.plumed import HillsData

logger = logging.getLogger(__name__)

BOHR_A = float(units.Bohr)  # Å per bohr
HARTREE_EV = float(units.Hartree)  # eV per hartree
EXECUTABLES = ("cp2k", "cp2k.psmp", "cp2k.ssmp", "cp2k.popt", "cp2k.sopt")

#: GTH pseudopotential valence (number of electrons, "-qN") per element for PBE (CP2K's GTH_POTENTIALS).
GTH_VALENCE: dict[str, int] = {
    "H": 1, "He": 2, "Li": 3, "Be": 4, "B": 3, "C": 4, "N": 5, "O": 6, "F": 7, "Ne": 8, "Na": 9, "Mg": 10,
    "Al": 3, "Si": 4, "P": 5, "S": 6, "Cl": 7, "Ar": 8, "K": 9, "Ca": 10, "Zn": 12, "Cu": 11, "Br": 7, "I": 7,
}  # fmt: skip


@dataclass(frozen=True)
class CP2KMetaDResult:
    """Outcome of :func:`run_cp2k_metadynamics`: hills (eV, ps, CV units as in sselab), files and timing."""

    hills: HillsData
    hills_log: Path
    plumed_hills: Path
    output: Path
    run_dir: Path
    wall_time_s: float
    executable: str


def find_cp2k() -> str | None:
    """Path of the first CP2K executable on ``PATH`` (``cp2k``, ``cp2k.psmp``, ...), else ``None``."""
    for name in EXECUTABLES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _cv_kind(cv: Any) -> str:
    if isinstance(cv, Distance):
        return "length"
    if isinstance(cv, CoordinationNumber):
        return "dimensionless"
    raise SimulationError(
        f"CV {getattr(cv, 'name', cv)!r} ({type(cv).__name__}) has no CP2K equivalent here; "
        "use Distance or CoordinationNumber for the CP2K path"
    )


def _colvar_section(cv: Any) -> str:
    """One ``&COLVAR`` block (CP2K atom indices are 1-based)."""
    if isinstance(cv, Distance):
        body = f"      &DISTANCE\n        ATOMS {cv.index_1 + 1} {cv.index_2 + 1}\n      &END DISTANCE\n"
    else:
        if cv.d0_a != 0.0:
            raise SimulationError(f"CV {cv.name}: CP2K's COORDINATION has no D_0; use d0_a = 0")
        group = " ".join(str(g + 1) for g in cv.group if g != cv.index)
        body = (
            "      &COORDINATION\n"
            f"        ATOMS_FROM {cv.index + 1}\n"
            f"        ATOMS_TO {group}\n"
            f"        R0 [angstrom] {cv.r0_a:.6f}\n"
            f"        NN {cv.nn}\n"
            f"        ND {cv.mm}\n"
            "      &END COORDINATION\n"
        )
    return f"    &COLVAR\n{body}    &END COLVAR\n"


def _force_eval_method(
    atoms: Atoms, method: str, charge: int, cutoff_ry: float, basis_set: str, functional: str
) -> tuple[str, str]:
    """The ``&DFT`` section and the ``&KIND`` blocks for ``method`` ("xtb" or "dft")."""
    periodic = bool(np.any(atoms.pbc))
    if method == "xtb":
        dft = (
            "  &DFT\n"
            f"    CHARGE {charge}\n"
            "    &QS\n      METHOD xTB\n"
            f"      &XTB\n        DO_EWALD {'T' if periodic else 'F'}\n      &END XTB\n"
            "    &END QS\n"
            "    &SCF\n      SCF_GUESS MOPAC\n      EPS_SCF 1.0E-6\n      MAX_SCF 100\n    &END SCF\n"
            + ("" if periodic else "    &POISSON\n      PERIODIC NONE\n      PSOLVER MT\n    &END POISSON\n")
            + "  &END DFT\n"
        )
        return dft, ""
    if method != "dft":
        raise SimulationError(f"unknown CP2K method {method!r}; choose 'xtb' or 'dft'")
    missing = sorted({s for s in atoms.get_chemical_symbols() if s not in GTH_VALENCE})
    if missing:
        raise SimulationError(f"no GTH valence known for {missing}; extend sselab.simulate.cp2k.GTH_VALENCE")
    dft = (
        "  &DFT\n"
        "    BASIS_SET_FILE_NAME BASIS_MOLOPT\n"
        "    POTENTIAL_FILE_NAME GTH_POTENTIALS\n"
        f"    CHARGE {charge}\n"
        f"    &MGRID\n      CUTOFF {cutoff_ry:g}\n      REL_CUTOFF 50\n    &END MGRID\n"
        "    &QS\n      EPS_DEFAULT 1.0E-10\n    &END QS\n"
        "    &SCF\n      SCF_GUESS ATOMIC\n      EPS_SCF 1.0E-6\n      MAX_SCF 50\n"
        "      &OT\n        MINIMIZER DIIS\n        PRECONDITIONER FULL_SINGLE_INVERSE\n      &END OT\n"
        "      &OUTER_SCF\n        MAX_SCF 10\n        EPS_SCF 1.0E-6\n      &END OUTER_SCF\n    &END SCF\n"
        f"    &XC\n      &XC_FUNCTIONAL {functional}\n      &END XC_FUNCTIONAL\n    &END XC\n"
        + ("" if periodic else "    &POISSON\n      PERIODIC NONE\n      PSOLVER MT\n    &END POISSON\n")
        + "  &END DFT\n"
    )
    kinds = "".join(
        f"    &KIND {s}\n      BASIS_SET {basis_set}\n      POTENTIAL GTH-{functional}-q{GTH_VALENCE[s]}\n"
        "    &END KIND\n"
        for s in sorted(set(atoms.get_chemical_symbols()))
    )
    return dft, kinds


def cp2k_metad_input(
    atoms: Atoms,
    colvars: Sequence[Any],
    height_ev: float,
    widths: Sequence[float],
    pace: int,
    bias_factor: float,
    temperature_k: float,
    steps: int,
    timestep_fs: float = 1.0,
    method: str = "xtb",
    project: str = "sselab",
    charge: int = 0,
    thermostat_timecon_fs: float = 100.0,
    seed: int = 2000,
    cutoff_ry: float = 400.0,
    basis_set: str = "DZVP-MOLOPT-SR-GTH",
    functional: str = "PBE",
) -> str:
    """Text of a CP2K input for well-tempered metadynamics of ``atoms`` (see the module docstring).

    Parameters
    ----------
    colvars
        :class:`Distance` (Å) or :class:`CoordinationNumber` (dimensionless, rational switching with
        ``d0_a = 0``).
    height_ev, widths, pace, bias_factor, temperature_k
        As for :func:`sselab.simulate.run_metadynamics`: initial hill height (eV), Gaussian widths (CV
        units: Å or
        none), steps between hills, γ (``inf``: plain metadynamics), temperature (K).
    steps, timestep_fs
        MD steps and time step (fs).
    method
        ``"xtb"`` (GFN1-xTB, cheap) or ``"dft"`` (GPW, ``functional`` with GTH pseudopotentials and
        ``basis_set``).
    seed
        CP2K's ``&GLOBAL SEED`` (positive; CP2K's default is 2000).
    """
    if len(widths) != len(colvars) or not colvars:
        raise SimulationError(f"need one width per CV: {len(colvars)} CVs, {len(widths)} widths")
    if not bias_factor > 1.0 or height_ev <= 0 or pace < 1 or temperature_k <= 0 or steps < 1:
        raise SimulationError("bias_factor must be > 1; height_ev, pace, temperature_k and steps positive")
    if seed <= 0:
        raise SimulationError(f"CP2K needs a positive seed, got {seed}")
    kinds = [_cv_kind(cv) for cv in colvars]
    dft, kind_blocks = _force_eval_method(atoms, method, charge, cutoff_ry, basis_set, functional)
    cell = np.asarray(atoms.cell)
    periodic = (
        "XYZ"
        if np.all(atoms.pbc)
        else "NONE"
        if not np.any(atoms.pbc)
        else "".join(axis for axis, p in zip("XYZ", atoms.pbc, strict=True) if p)
    )
    if not atoms.cell.rank == 3:
        raise SimulationError("CP2K needs a 3D cell (use vacuum around a molecule)")
    coords = "".join(
        f"      {s} {x:.10f} {y:.10f} {z:.10f}\n"
        for s, (x, y, z) in zip(atoms.get_chemical_symbols(), atoms.positions, strict=True)
    )
    metavars = "".join(
        f"      &METAVAR\n        COLVAR {k + 1}\n        SCALE {w / BOHR_A if kind == 'length' else w:.8f}\n"
        "      &END METAVAR\n"
        for k, (w, kind) in enumerate(zip(widths, kinds, strict=True))
    )
    well_tempered = np.isfinite(bias_factor)
    wt = (
        f"      WELL_TEMPERED T\n      DELTA_T {(bias_factor - 1.0) * temperature_k:.6f}\n"
        if well_tempered
        else "      WELL_TEMPERED F\n"
    )
    printing = "".join(
        f"        &{key}\n          COMMON_ITERATION_LEVELS 3\n          &EACH\n            MD 1\n"
        f"          &END EACH\n        &END {key}\n"
        for key in ("COLVAR", "HILLS")
    )
    return (
        f"&GLOBAL\n  PROJECT {project}\n  RUN_TYPE MD\n  PRINT_LEVEL LOW\n  SEED {seed}\n&END GLOBAL\n"
        f"&FORCE_EVAL\n  METHOD QS\n{dft}"
        "  &SUBSYS\n    &CELL\n"
        + "".join(
            f"      {n} [angstrom] {v[0]:.10f} {v[1]:.10f} {v[2]:.10f}\n"
            for n, v in zip("ABC", cell, strict=True)
        )
        + f"      PERIODIC {periodic}\n    &END CELL\n    &COORD\n{coords}    &END COORD\n{kind_blocks}"
        + "".join(_colvar_section(cv) for cv in colvars)
        + "  &END SUBSYS\n&END FORCE_EVAL\n"
        "&MOTION\n  &MD\n    ENSEMBLE NVT\n"
        f"    STEPS {steps}\n    TIMESTEP {timestep_fs:g}\n    TEMPERATURE {temperature_k:g}\n"
        f"    &THERMOSTAT\n      TYPE CSVR\n      &CSVR\n        TIMECON {thermostat_timecon_fs:g}\n"
        "      &END CSVR\n    &END THERMOSTAT\n  &END MD\n"
        "  &FREE_ENERGY\n    METHOD METADYN\n    &METADYN\n      DO_HILLS T\n"
        f"      NT_HILLS {pace}\n      WW [eV] {height_ev:.8f}\n{wt}{metavars}"
        f"      &PRINT\n{printing}      &END PRINT\n"
        "    &END METADYN\n  &END FREE_ENERGY\n&END MOTION\n"
    )


def read_cp2k_hills(
    path: str | Path, cv_names: Sequence[str], cv_kinds: Sequence[str], bias_factor: float
) -> HillsData:
    """Read CP2K's ``PROJECT-HILLS.metadynLog`` into :class:`HillsData` (deposited heights eV, times ps).

    Parameters
    ----------
    cv_names
        Names of the CVs, in ``&METAVAR`` order.
    cv_kinds
        ``"length"`` (CP2K writes bohr; converted to Å) or ``"dimensionless"`` per CV.
    bias_factor
        γ of the run (``inf`` for plain metadynamics): the printed heights are divided by ``γ/(γ-1)``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataImportError("CP2K hills log not found", file=str(path))
    n = len(cv_names)
    if len(cv_kinds) != n or any(k not in ("length", "dimensionless") for k in cv_kinds):
        raise SimulationError(f"cv_kinds must be 'length' or 'dimensionless', one per CV: {list(cv_kinds)}")
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 + 2 * n:
            raise DataImportError(
                f"{len(parts)} columns, expected {2 + 2 * n} for {n} CVs", file=str(path), row=number
            )
        try:
            rows.append([float(p) for p in parts])
        except ValueError as exc:
            raise DataImportError(f"not a number: {exc}", file=str(path), row=number) from exc
    data = np.array(rows, dtype=float).reshape(-1, 2 + 2 * n)
    to_sselab = np.array([BOHR_A if k == "length" else 1.0 for k in cv_kinds])
    factor = bias_factor / (bias_factor - 1.0) if np.isfinite(bias_factor) else 1.0
    return HillsData(
        cv_names=tuple(cv_names),
        times_ps=data[:, 0] / 1000.0,
        centers=data[:, 1 : 1 + n] * to_sselab,
        sigmas=data[:, 1 + n : 1 + 2 * n] * to_sselab,
        heights_ev=data[:, 1 + 2 * n] * HARTREE_EV / factor,
        bias_factor=float(bias_factor),
    )


def run_cp2k_metadynamics(
    atoms: Atoms,
    colvars: Sequence[Any],
    run_dir: str | Path,
    height_ev: float,
    widths: Sequence[float],
    pace: int,
    bias_factor: float,
    temperature_k: float,
    steps: int,
    timestep_fs: float = 1.0,
    method: str = "xtb",
    executable: str | None = None,
    omp_threads: int = 1,
    timeout_s: float | None = None,
    **input_options: Any,
) -> CP2KMetaDResult:
    """Write the CP2K input into ``run_dir/inputs``, run CP2K in ``run_dir/outputs`` and read the hills back.

    Also writes ``outputs/HILLS`` (PLUMED format, via :func:`sselab.simulate.metad.hills.write_hills`) and
    ``summary.json``. Analyse the hills with ``free_energy_surface(result.hills, bias_factor)`` and
    ``find_barriers``; ``sselab fes`` needs a COLVAR and ``inputs/parameters.json``, which a CP2K run lacks.

    Raises
    ------
    SimulationError
        No CP2K executable, CP2K failed (its output file is named), or it wrote no hills.
    """
    from sselab.simulate.metad.plumed import write_hills
    from sselab.simulate.runfolder import RunFolder, utc_now

    exe = executable or find_cp2k()
    if exe is None:
        raise SimulationError(
            f"no CP2K executable on PATH (looked for {', '.join(EXECUTABLES)}); "
            "install it, e.g. 'apt-get install cp2k'"
        )
    started = utc_now()
    folder = RunFolder.create(run_dir)
    project = "sselab"
    text = cp2k_metad_input(
        atoms,
        colvars,
        height_ev,
        widths,
        pace,
        bias_factor,
        temperature_k,
        steps,
        timestep_fs,
        method,
        project=project,
        **input_options,
    )
    inp = folder.inputs / f"{project}.inp"
    inp.write_text(text)
    out = folder.outputs / f"{project}.out"
    env = {**os.environ, "OMP_NUM_THREADS": str(omp_threads)}
    clock = time.perf_counter()
    try:
        subprocess.run(
            [exe, "-i", str(inp.resolve()), "-o", str(out.resolve())],
            cwd=folder.outputs,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.CalledProcessError as exc:
        raise SimulationError(f"CP2K failed (exit {exc.returncode}); see {out}: {exc.stderr[-500:]}") from exc
    except subprocess.TimeoutExpired as exc:
        raise SimulationError(f"CP2K did not finish within {timeout_s} s; see {out}") from exc
    wall = time.perf_counter() - clock
    log = folder.outputs / f"{project}-HILLS.metadynLog"
    if not log.is_file():
        raise SimulationError(f"CP2K wrote no hills log {log.name} (fewer steps than pace?); see {out}")
    names = [cv.name for cv in colvars]
    hills = read_cp2k_hills(log, names, [_cv_kind(cv) for cv in colvars], bias_factor)
    plumed = folder.outputs / "HILLS"
    write_hills(plumed, hills.to_hillset(), names, bias_factor)
    parameters = {
        "engine": "cp2k",
        "method": method,
        "cv_names": names,
        "height_ev": height_ev,
        "widths": list(widths),
        "pace": pace,
        "bias_factor": bias_factor,
        "temperature_k": temperature_k,
        "steps": steps,
        "timestep_fs": timestep_fs,
        "natoms": len(atoms),
        **input_options,
    }
    results = {"n_hills": len(hills.heights_ev), "wall_time_s": wall, "executable": exe}
    folder.write_summary("cp2k-metad", parameters, results, seed=input_options.get("seed"), started=started)
    return CP2KMetaDResult(hills, log, plumed, out, folder.root, wall, exe)
