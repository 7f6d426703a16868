"""Crystal structure search with rigid molecular units: building blocks, random symmetric crystals (PyXtal), a
genetic algorithm (``ase-ga`` operators with ``use_tags``), a random-search baseline, duplicate removal
(pymatgen ``StructureMatcher``), checkpointing in the store, and analysis (cation coordination, formation
energy,
convergence figure).

Example::

    >>> from sselab.structures import search_cell_from_formula
    >>> cell = search_cell_from_formula("Mg(BH4)2·2NH3", z=2)
    >>> [(u.name, n) for u, n in cell.units], cell.n_atoms
    ([('Mg', 2), ('BH4', 4), ('NH3', 4)], 38)
"""

from sselab.structures.analysis import (
    CoordinationSummary,
    ReferencePhase,
    cation_coordination,
    convergence_figure,
    crystal_reference,
    formation_energy_ev_per_atom,
    molecule_reference,
    write_best_cifs,
)
from sselab.structures.cell import (
    SearchCell,
    scan_z,
    search_cell,
    search_cell_from_formula,
    with_relaxed_units,
)
from sselab.structures.checkpoint import MemoryCheckpoint, SearchCheckpoint, copy_individuals, open_checkpoint
from sselab.structures.generate import GeneratorSettings, random_structure
from sselab.structures.recipe import BestStructure, SearchSummary, default_run_name, search_structures
from sselab.structures.relax import RelaxResult, relax_candidate
from sselab.structures.search import Individual, SearchResult, load_search, run_search
from sselab.structures.settings import PROFILES, SearchSettings, settings_for_profile
from sselab.structures.units import MolecularUnit, get_unit, known_units, relaxed_unit

__all__ = [
    "PROFILES",
    "BestStructure",
    "CoordinationSummary",
    "GeneratorSettings",
    "Individual",
    "MemoryCheckpoint",
    "MolecularUnit",
    "ReferencePhase",
    "RelaxResult",
    "SearchCell",
    "SearchCheckpoint",
    "SearchResult",
    "SearchSettings",
    "SearchSummary",
    "cation_coordination",
    "convergence_figure",
    "copy_individuals",
    "crystal_reference",
    "default_run_name",
    "formation_energy_ev_per_atom",
    "get_unit",
    "known_units",
    "load_search",
    "molecule_reference",
    "open_checkpoint",
    "random_structure",
    "relax_candidate",
    "relaxed_unit",
    "run_search",
    "scan_z",
    "search_cell",
    "search_cell_from_formula",
    "search_structures",
    "settings_for_profile",
    "with_relaxed_units",
    "write_best_cifs",
]
