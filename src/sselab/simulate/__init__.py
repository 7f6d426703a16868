"""Simulations of ion migration with any ASE calculator: potentials, structure preparation, MD, metadynamics
(:mod:`sselab.simulate.metad`), CI-NEB, MD-Arrhenius and CP2K, each writing a run folder.

Example
-------
>>> from sselab.simulate import get_calculator, list_potentials
>>> "emt" in [p.name for p in list_potentials()]
True
"""

from sselab.simulate.analytic import DoubleWell1D, DoubleWell2D, TwoStepLandscape, particle_in_box
from sselab.simulate.cp2k import cp2k_metad_input, read_cp2k_hills, run_cp2k_metadynamics
from sselab.simulate.diffusion import MDArrheniusResult, md_arrhenius
from sselab.simulate.md import MDResult, make_dynamics, run_md
from sselab.simulate.metad import (
    FES,
    BarrierResult,
    BiasGrid,
    ColvarData,
    CoordinationNumber,
    Distance,
    HillsData,
    HillSet,
    MetaDResult,
    ProjectedDisplacement,
    WellTemperedMetaD,
    analyse_metadynamics,
    displacement_2d,
    estimate_uncertainty,
    find_barriers,
    find_minima,
    free_energy_surface,
    read_colvar,
    read_hills,
    reweight_fes,
    run_metadynamics,
)
from sselab.simulate.neb import NEBResult, VacancyHop, cation_hop_endpoints, run_neb
from sselab.simulate.potentials import PotentialInfo, get_calculator, list_potentials
from sselab.simulate.prepare import (
    VacancyResult,
    make_supercell,
    make_vacancy,
    pick_cation,
    read_structure,
    relax,
)
from sselab.simulate.recording import record_activation_energy
from sselab.simulate.reference import libh4_pnma
from sselab.simulate.runfolder import RunFolder, read_summary

__all__ = [
    "FES",
    "BarrierResult",
    "BiasGrid",
    "ColvarData",
    "CoordinationNumber",
    "Distance",
    "DoubleWell1D",
    "DoubleWell2D",
    "HillSet",
    "HillsData",
    "MDArrheniusResult",
    "MDResult",
    "MetaDResult",
    "NEBResult",
    "PotentialInfo",
    "ProjectedDisplacement",
    "RunFolder",
    "TwoStepLandscape",
    "VacancyHop",
    "VacancyResult",
    "WellTemperedMetaD",
    "analyse_metadynamics",
    "cation_hop_endpoints",
    "cp2k_metad_input",
    "displacement_2d",
    "estimate_uncertainty",
    "find_barriers",
    "find_minima",
    "free_energy_surface",
    "get_calculator",
    "libh4_pnma",
    "list_potentials",
    "make_dynamics",
    "make_supercell",
    "make_vacancy",
    "md_arrhenius",
    "particle_in_box",
    "pick_cation",
    "read_colvar",
    "read_cp2k_hills",
    "read_hills",
    "read_structure",
    "read_summary",
    "record_activation_energy",
    "relax",
    "reweight_fes",
    "run_cp2k_metadynamics",
    "run_md",
    "run_metadynamics",
    "run_neb",
]
