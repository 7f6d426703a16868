"""Which elements each registered potential can describe (checked before a run starts).

Example
-------
>>> unsupported_elements("chgnet", ["Li", "B", "H"])
[]
"""

from __future__ import annotations

from ase.calculators.emt import parameters as emt_parameters
from ase.data import atomic_numbers, chemical_symbols

__all__ = ["CHGNET_ELEMENTS", "MPTRJ_ELEMENTS", "supported_elements", "unsupported_elements"]

#: The 89 elements of the MPtrj training set (the ``chemical_species`` in the checkpoints of SevenNet-0,
#: SevenNet-l3i5 and SevenNet-MF-0 shipped with sevenn 0.13; MACE-MP-0 covers the same set).
_MPTRJ_SYMBOLS = """
    Ac Ag Al Ar As Au B Ba Be Bi Br C Ca Cd Ce Cl Co Cr Cs Cu Dy Er Eu F Fe Ga Gd Ge H He Hf Hg Ho I In
    Ir K Kr La Li Lu Mg Mn Mo N Na Nb Nd Ne Ni Np O Os P Pa Pb Pd Pm Pr Pt Pu Rb Re Rh Ru S Sb Sc Se Si
    Sm Sn Sr Ta Tb Tc Te Th Ti Tl Tm U V W Xe Y Yb Zn Zr
    """
MPTRJ_ELEMENTS = frozenset(_MPTRJ_SYMBOLS.split())
#: CHGNet's atom embedding covers atomic numbers 1-94.
CHGNET_ELEMENTS = frozenset(chemical_symbols[1:95])


def supported_elements(name: str) -> frozenset[str] | None:
    """Elements the potential ``name`` can describe; ``None`` when any element (DFT, xTB) or not known here.

    Example
    -------
    >>> sorted(supported_elements("emt"))[:3]
    ['Ag', 'Al', 'Au']
    """
    key = name.lower()
    if key == "emt":
        return frozenset(emt_parameters)
    if key.startswith("chgnet"):
        return CHGNET_ELEMENTS
    if key.startswith("sevennet") or key == "mace-mp":
        return MPTRJ_ELEMENTS
    return None


def unsupported_elements(name: str, symbols: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    """The elements of ``symbols`` that the potential ``name`` cannot describe, in the periodic table's order.

    Example
    -------
    >>> unsupported_elements("emt", ["Cu", "Li", "Cu"])
    ['Li']
    """
    allowed = supported_elements(name)
    if allowed is None:
        return []
    return sorted(set(symbols) - allowed, key=lambda s: atomic_numbers.get(s, 0))
