"""Well-tempered metadynamics of a migrating ion: bias calculator, CVs, hills, PLUMED files, FES, barriers.

Modules, in the order a run uses them: :mod:`~.colvars` (collective variables), :mod:`~.hills` (the bias as a
sum of hills, on a grid), :mod:`~.bias` (the ASE calculator), :mod:`~.plumed` (``HILLS``/``COLVAR`` files),
:mod:`~.engine` (the MD loop with exact restart), :mod:`~.fes`, :mod:`~.barriers`, :mod:`~.uncertainty` and
:mod:`~.analysis` (free energy and barriers), :mod:`~.figures`, :mod:`~.relative` and :mod:`~.path`
(translation-invariant CVs of a crystal), :mod:`~.walls`, :mod:`~.sites` (interstitial voids), :mod:`~.setup`
(protocols, a crystal's CVs and grid), :mod:`~.preparation` (relaxation, NPT and unbiased equilibration),
:mod:`~.convergence` (the stopping rule), :mod:`~.replicas` (independent replicas as one result).

Example
-------
>>> from sselab.simulate.metad import HillSet
>>> hills = HillSet(ndim=1)
>>> hills.add([0.0], [0.1], 0.01)
>>> len(hills)
1
"""

from sselab.simulate.metad.analysis import MetaDAnalysis, analyse_metadynamics
from sselab.simulate.metad.barriers import BarrierResult, StationaryPoint, find_barriers, find_minima
from sselab.simulate.metad.bias import WellTemperedMetaD
from sselab.simulate.metad.colvars import (
    CollectiveVariable,
    CoordinationNumber,
    Distance,
    ProjectedDisplacement,
    displacement_2d,
)
from sselab.simulate.metad.engine import MetaDResult, run_metadynamics
from sselab.simulate.metad.fes import FES, free_energy_surface, reweight_fes
from sselab.simulate.metad.hills import BiasGrid, HillSet
from sselab.simulate.metad.path import PathCV
from sselab.simulate.metad.plumed import ColvarData, HillsData, read_colvar, read_hills, write_hills
from sselab.simulate.metad.relative import HostDisplacement, SiteDistance, cage_indices
from sselab.simulate.metad.setup import PROTOCOLS, MetaDSetup, build_metad_setup
from sselab.simulate.metad.uncertainty import walker_uncertainty
from sselab.simulate.metad.walls import Wall

__all__ = [
    "FES",
    "PROTOCOLS",
    "BarrierResult",
    "BiasGrid",
    "CollectiveVariable",
    "ColvarData",
    "CoordinationNumber",
    "Distance",
    "HillSet",
    "HillsData",
    "HostDisplacement",
    "MetaDAnalysis",
    "MetaDResult",
    "MetaDSetup",
    "PathCV",
    "ProjectedDisplacement",
    "SiteDistance",
    "StationaryPoint",
    "Wall",
    "WellTemperedMetaD",
    "analyse_metadynamics",
    "build_metad_setup",
    "cage_indices",
    "displacement_2d",
    "find_barriers",
    "find_minima",
    "free_energy_surface",
    "read_colvar",
    "read_hills",
    "reweight_fes",
    "run_metadynamics",
    "walker_uncertainty",
    "write_hills",
]
