"""Simulations of ion migration with any ASE calculator: potentials, structure preparation, MD, metadynamics
(:mod:`sselab.simulate.metad`), CI-NEB, MD-Arrhenius and CP2K, each writing a run folder.

The recipes (:mod:`sselab.simulate.recipes`) are the entry points: one function per method, its settings
(:mod:`sselab.simulate.settings`) owning the defaults, its result round-tripping through ``summary.json``.

Example
-------
>>> from sselab.simulate import MetaDSettings, list_potentials
>>> "emt" in [p.name for p in list_potentials()]
True
>>> MetaDSettings().protocol
'frenkel'
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
    find_barriers,
    find_minima,
    free_energy_surface,
    read_colvar,
    read_hills,
    reweight_fes,
    run_metadynamics,
    walker_uncertainty,
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
from sselab.simulate.recipes import (
    md_arrhenius_of_structure,
    metad_of_structure,
    neb_of_structure,
    relax_structure,
)
from sselab.simulate.recording import RecordOutcome, record_activation_energy
from sselab.simulate.reference import libh4_pnma, naalh4_i41a
from sselab.simulate.relaxation import RelaxationResult
from sselab.simulate.results import EaEstimate, StructureInfo
from sselab.simulate.runfolder import RunFolder, read_summary
from sselab.simulate.settings import MDArrheniusSettings, MetaDSettings, NEBSettings, RelaxSettings

__all__ = [
    "FES",
    "BarrierResult",
    "BiasGrid",
    "ColvarData",
    "CoordinationNumber",
    "Distance",
    "DoubleWell1D",
    "DoubleWell2D",
    "EaEstimate",
    "HillSet",
    "HillsData",
    "MDArrheniusResult",
    "MDArrheniusSettings",
    "MDResult",
    "MetaDResult",
    "MetaDSettings",
    "NEBResult",
    "NEBSettings",
    "PotentialInfo",
    "ProjectedDisplacement",
    "RecordOutcome",
    "RelaxSettings",
    "RelaxationResult",
    "RunFolder",
    "StructureInfo",
    "TwoStepLandscape",
    "VacancyHop",
    "VacancyResult",
    "WellTemperedMetaD",
    "analyse_metadynamics",
    "cation_hop_endpoints",
    "cp2k_metad_input",
    "displacement_2d",
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
    "md_arrhenius_of_structure",
    "metad_of_structure",
    "naalh4_i41a",
    "neb_of_structure",
    "particle_in_box",
    "pick_cation",
    "read_colvar",
    "read_cp2k_hills",
    "read_hills",
    "read_structure",
    "read_summary",
    "record_activation_energy",
    "relax",
    "relax_structure",
    "reweight_fes",
    "run_cp2k_metadynamics",
    "run_md",
    "run_metadynamics",
    "run_neb",
    "walker_uncertainty",
]
