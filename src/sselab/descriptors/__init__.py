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

Derived from them (:data:`DERIVED_DESCRIPTORS`): ``x_wang2025`` = −0.059·X + 0.0029·r_atom, the paper's
combined axis of Figure 3b (its definition, copied from the text; see :mod:`sselab.descriptors.combined`).
``x_wang2025_ds2`` is the x column of the paper's Supplementary Dataset 2 as the data define it: a per-element
table derived from that dataset (:mod:`sselab.descriptors.wang2025_x`), held by an
:class:`~sselab.descriptors.additive.AdditiveDescriptor` stored with the published models.

The aggregation of the composition descriptors (``sum``, ``mean``, ``per_cation``, ``cation``) is explicit;
see :mod:`sselab.descriptors.composition`.
"""

from __future__ import annotations

from sselab.descriptors.additive import AdditiveDescriptor
from sselab.descriptors.combined import X_WANG2025, X_WANG2025_UNIT, X_WANG2025_WEIGHTS, x_wang2025
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

#: Descriptors derived from the eight (computed from the formula like X and r_atom).
DERIVED_DESCRIPTORS: tuple[str, ...] = (X_WANG2025,)

#: Every descriptor a model may use: the eight, then the derived ones.
ALL_DESCRIPTORS: tuple[str, ...] = (*DESCRIPTORS, *DERIVED_DESCRIPTORS)

#: Unit of each descriptor (the eight and the derived ones).
DESCRIPTOR_UNITS: dict[str, str] = {
    "V": "Å^3 per formula unit",
    "X": "1 (Pauling)",
    "Z": "1",
    "b_m": "eV",
    "d": "Å",
    "n": "1 (molecules per formula unit)",
    "r_atom": "pm",
    "r_ion": "pm",
    X_WANG2025: X_WANG2025_UNIT,
}

__all__ = [
    "AGGREGATIONS",
    "ALL_DESCRIPTORS",
    "COMPOSITION_DESCRIPTORS",
    "DERIVED_DESCRIPTORS",
    "DESCRIPTORS",
    "DESCRIPTOR_UNITS",
    "STRUCTURE_DESCRIPTOR_UNITS",
    "X_WANG2025",
    "X_WANG2025_UNIT",
    "X_WANG2025_WEIGHTS",
    "AdditiveDescriptor",
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
    "x_wang2025",
]
