"""The eight descriptors of Ea (Wang et al. 2025, Figure 3a), each with its unit.

========== ==================== =====================================================================
descriptor unit                 source
========== ==================== =====================================================================
``V``      Å³ per formula unit  structure: cell volume / formula units in the cell
``X``      1                    formula: Pauling electronegativity, aggregated over the formula unit
``Z``      1                    formula: atomic number, aggregated (summed: electrons per formula unit)
``b_m``    eV                   structure + potential: E(crystal) − E(crystal − cation) − E(cation)
``d``      Å                    structure: mean nearest anion-centre to anion-centre distance
``n``      1                    formula: neutral molecules per formula unit
``r_atom`` pm                   formula: atomic radius (pymatgen ``atomic_radius``), aggregated
``r_ion``  pm                   formula: ionic radius (pymatgen ``average_ionic_radius``; H: 0)
========== ==================== =====================================================================

The aggregation of the composition descriptors (``sum``, ``mean``, ``per_cation``, ``cation``) is explicit;
see :mod:`sselab.descriptors.composition`.
"""

from __future__ import annotations

from sselab.descriptors.composition import (
    AGGREGATIONS,
    COMPOSITION_DESCRIPTORS,
    ElementCounts,
    composition_descriptor_frame,
    composition_descriptors,
    descriptor_arrays,
    element_count_matrix,
)
from sselab.descriptors.elements import DescriptorError, element_properties
from sselab.descriptors.structure import (
    STRUCTURE_DESCRIPTOR_UNITS,
    anion_centre_distance,
    moving_cation_binding_energy,
    structure_descriptors,
    volume_per_formula_unit,
)

#: The paper's eight descriptors, in Figure 3a's order.
DESCRIPTORS: tuple[str, ...] = ("V", "X", "Z", "b_m", "d", "n", "r_atom", "r_ion")

#: Unit of each descriptor.
DESCRIPTOR_UNITS: dict[str, str] = {
    "V": "Å^3 per formula unit",
    "X": "1 (Pauling)",
    "Z": "1",
    "b_m": "eV",
    "d": "Å",
    "n": "1 (molecules per formula unit)",
    "r_atom": "pm",
    "r_ion": "pm",
}

__all__ = [
    "AGGREGATIONS",
    "COMPOSITION_DESCRIPTORS",
    "DESCRIPTORS",
    "DESCRIPTOR_UNITS",
    "STRUCTURE_DESCRIPTOR_UNITS",
    "DescriptorError",
    "ElementCounts",
    "anion_centre_distance",
    "composition_descriptor_frame",
    "composition_descriptors",
    "descriptor_arrays",
    "element_count_matrix",
    "element_properties",
    "moving_cation_binding_energy",
    "structure_descriptors",
    "volume_per_formula_unit",
]
