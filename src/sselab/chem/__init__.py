"""Chemistry of solid-electrolyte formulas: parsing into cation, anions, neutral molecules and additives.

>>> from sselab.chem import parse_formula
>>> parse_formula("LiBH4·1/2NH3").neutral_molecule_count
0.5
"""

from __future__ import annotations

from sselab.chem.families import ANION_FAMILIES, NEUTRAL_MOLECULE
from sselab.chem.formula import CONDUCTING_IONS, Component, ParsedFormula, parse_formula

__all__ = [
    "ANION_FAMILIES",
    "CONDUCTING_IONS",
    "NEUTRAL_MOLECULE",
    "Component",
    "ParsedFormula",
    "parse_formula",
]
