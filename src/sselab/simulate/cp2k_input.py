"""The CP2K input of a well-tempered metadynamics: MD, ``&METADYN`` with one ``&METAVAR`` per CV, the CVs and
a ``&FORCE_EVAL`` (GFN1-xTB, or DFT: GPW, PBE, GTH pseudopotentials and MOLOPT basis sets).

The collective variables are those of :mod:`sselab.simulate.metad.colvars`
(:class:`~sselab.simulate.metad.colvars.Distance`, :class:`~sselab.simulate.metad.colvars.CoordinationNumber`)
and the hill parameters those of sselab's MetaD (height in eV, widths in CV units, pace, bias factor γ,
temperature): ``&MOTION &MD`` (NVT, CSVR thermostat) and ``&FREE_ENERGY &METADYN`` (``DO_HILLS``,
``NT_HILLS``, ``WW``, ``WELL_TEMPERED`` with ``DELTA_T = (γ - 1) T``, ``SCALE`` per CV).

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

from collections.abc import Sequence
from typing import Any

import numpy as np
from ase import Atoms, units

from sselab.errors import SimulationError
from sselab.simulate.metad.colvars import CoordinationNumber, Distance

__all__ = ["BOHR_A", "GTH_VALENCE", "HARTREE_EV", "cp2k_metad_input", "cv_kind"]

BOHR_A = float(units.Bohr)  # Å per bohr
HARTREE_EV = float(units.Hartree)  # eV per hartree


#: GTH pseudopotential valence (number of electrons, "-qN") per element for PBE (CP2K's GTH_POTENTIALS).
GTH_VALENCE: dict[str, int] = {
    "H": 1, "He": 2, "Li": 3, "Be": 4, "B": 3, "C": 4, "N": 5, "O": 6, "F": 7, "Ne": 8, "Na": 9, "Mg": 10,
    "Al": 3, "Si": 4, "P": 5, "S": 6, "Cl": 7, "Ar": 8, "K": 9, "Ca": 10, "Zn": 12, "Cu": 11, "Br": 7, "I": 7,
}  # fmt: skip


def cv_kind(cv: Any) -> str:
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
    kinds = [cv_kind(cv) for cv in colvars]
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
