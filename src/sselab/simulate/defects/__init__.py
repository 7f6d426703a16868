"""Defect energetics of a cation conductor: the composite activation energy (issue 12's ``composite``
protocol) and the migration-only CI-NEB barrier.

``Ea = Em + ½·min(Ef Frenkel, Ef Schottky)``: an undoped crystal conducts through thermally created defect
pairs, so the measured activation energy holds half the pair formation energy on top of the migration
energy of a defect (here the cation vacancy hop by CI-NEB).

Example
-------
>>> from sselab.simulate.defects import CompositeSettings, composite_barrier
>>> CompositeSettings().n_interstitial_starts
3
"""

from sselab.simulate.defects.composite import composite_barrier, vacancy_hop_barrier
from sselab.simulate.defects.migration import MigrationResult
from sselab.simulate.defects.pairs import FrenkelResult, FrenkelStart, SchottkyResult
from sselab.simulate.defects.relaxation import RelaxationRecord, relax_structure
from sselab.simulate.defects.result import PROTOCOLS, DefectBarrierResult, SupercellInfo
from sselab.simulate.defects.settings import CompositeSettings
from sselab.simulate.defects.sites import InterstitialSite, interstitial_sites, molecular_units

__all__ = [
    "PROTOCOLS",
    "CompositeSettings",
    "DefectBarrierResult",
    "FrenkelResult",
    "FrenkelStart",
    "InterstitialSite",
    "MigrationResult",
    "RelaxationRecord",
    "SchottkyResult",
    "SupercellInfo",
    "composite_barrier",
    "interstitial_sites",
    "molecular_units",
    "relax_structure",
    "vacancy_hop_barrier",
]
