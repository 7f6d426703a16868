"""Simulations of ion migration with any ASE calculator: potentials, MD, well-tempered metadynamics,
free-energy surfaces and barriers (and, in sibling modules, NEB and MD-Arrhenius).

Names are imported lazily, so ``import sselab.simulate`` is cheap. See ``docs/metadynamics.md``.

Example
-------
>>> from sselab.simulate import DoubleWell1D, ProjectedDisplacement, particle_in_box, run_metadynamics
>>> atoms = particle_in_box()
>>> cv = ProjectedDisplacement(0, tuple(atoms.positions[0]), (1.0, 0.0, 0.0), "x")
>>> result = run_metadynamics(atoms, DoubleWell1D(), [cv], temperature_k=400, steps=2000,
...                           run_dir="/tmp/dw")  # doctest: +SKIP
>>> result.barriers.barrier_ev  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    # potentials
    "get_calculator": "potentials",
    "list_potentials": "potentials",
    "PotentialInfo": "potentials",
    # preparation
    "read_structure": "prepare",
    "make_supercell": "prepare",
    "pick_cation": "prepare",
    "make_vacancy": "prepare",
    "VacancyResult": "prepare",
    "relax": "prepare",
    # MD
    "run_md": "md",
    "MDResult": "md",
    "make_dynamics": "md",
    # collective variables
    "ProjectedDisplacement": "colvars",
    "CoordinationNumber": "colvars",
    "Distance": "colvars",
    "displacement_2d": "colvars",
    # metadynamics
    "WellTemperedMetaD": "metad",
    "run_metadynamics": "metad",
    "MetaDResult": "metad",
    "HillSet": "hills",
    "BiasGrid": "hills",
    "read_hills": "hills",
    "read_colvar": "hills",
    # free energy and barriers
    "FES": "fes",
    "free_energy_surface": "fes",
    "reweight_fes": "fes",
    "find_barriers": "barriers",
    "find_minima": "barriers",
    "estimate_uncertainty": "barriers",
    "BarrierResult": "barriers",
    # model potentials
    "DoubleWell1D": "analytic",
    "DoubleWell2D": "analytic",
    "TwoStepLandscape": "analytic",
    "particle_in_box": "analytic",
    # run folders
    "RunFolder": "runs",
    "read_summary": "runs",
    "analyse_metadynamics": "runs",
    "record_activation_energy": "runs",
    "HillsData": "hills",
    "ColvarData": "hills",
    # other methods (sibling modules)
    "run_neb": "neb",
    "cation_hop_endpoints": "neb",
    "record_neb_result": "neb",
    "md_arrhenius": "diffusion",
    "record_md_arrhenius_result": "diffusion",
    # CP2K metadynamics (input writer, runner, HILLS reader)
    "cp2k_metad_input": "cp2k",
    "run_cp2k_metadynamics": "cp2k",
    "read_cp2k_hills": "cp2k",
    # reference structures
    "libh4_pnma": "reference",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sselab.simulate' has no attribute {name!r}")
    module = importlib.import_module(f"sselab.simulate.{_EXPORTS[name]}")
    return getattr(module, name)


def __dir__() -> list[str]:
    return __all__
