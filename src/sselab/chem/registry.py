"""Known formula units: anions, neutral molecules (with abbreviations) and composite additives.

Each unit has a canonical ``name`` (what a chemist writes, e.g. ``en``), its expanded ``formula``
(``C2H8N2``), a charge and a family, and the text ``aliases`` under which it appears in formulas. Boron-
hydrogen cages that are not listed are classified by Wade's electron-counting rules
(:func:`classify_boron_cluster`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pymatgen.core import Composition

from sselab.chem import families as fam


@dataclass(frozen=True)
class Unit:
    """A known formula unit.

    Attributes
    ----------
    name
        Canonical name (``"BH4"``, ``"en"``).
    formula
        Expanded chemical formula (``"C2H8N2"`` for ``en``).
    charge
        Formal charge (0 for neutral molecules).
    family
        One of :mod:`sselab.chem.families`.
    aliases
        Other spellings found in formulas, matched literally.
    """

    name: str
    formula: str
    charge: int
    family: str
    aliases: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        """All literal spellings of the unit (name, formula, aliases), without duplicates."""
        return tuple(dict.fromkeys((self.name, self.formula, *self.aliases)))


ANIONS: tuple[Unit, ...] = (
    Unit("BH4", "BH4", -1, fam.NIDO_BORANE, ("H4B",)),
    Unit("B3H8", "B3H8", -1, fam.ARACHNO_BORANE),
    Unit("B10H10", "B10H10", -2, fam.CLOSO_BORANE),
    Unit("B12H12", "B12H12", -2, fam.CLOSO_BORANE),
    Unit("B11H14", "B11H14", -1, fam.NIDO_BORANE),
    Unit("B11H13", "B11H13", -2, fam.NIDO_BORANE),
    Unit("B12(OH)12", "B12H12O12", -2, fam.CLOSO_BORANE),
    Unit("B12H11NH3", "B12H14N", -1, fam.CLOSO_BORANE, ("B12H11(NH3)",)),
    Unit("CB9H10", "CB9H10", -1, fam.CLOSO_CARBORANE, ("HCB9H9",)),
    Unit("CB11H12", "CB11H12", -1, fam.CLOSO_CARBORANE, ("HCB11H11",)),
    Unit("CB10H13", "CB10H13", -1, fam.NIDO_CARBORANE),
    Unit("C2B9H12", "C2B9H12", -1, fam.NIDO_CARBORANE),
    Unit("NH2BH3", "NH2BH3", -1, fam.AMIDOBORANE, ("BH3NH2", "H2NBH3")),
    Unit("NH2", "NH2", -1, fam.AMIDE),
    Unit("NH", "NH", -2, fam.IMIDE),
    Unit("AlH4", "AlH4", -1, fam.ALANATE),
    Unit("AlH6", "AlH6", -3, fam.ALANATE),
    Unit("OH", "OH", -1, fam.HYDROXIDE, ("HO",)),
    Unit("PO4", "PO4", -3, fam.OTHER),
    Unit("PS4", "PS4", -3, fam.OTHER),
    Unit("BO3", "BO3", -3, fam.OTHER),
    Unit("SO4", "SO4", -2, fam.OTHER),
    Unit("BF4", "BF4", -1, fam.OTHER),
    Unit("PF6", "PF6", -1, fam.OTHER),
    Unit("N3", "N3", -1, fam.OTHER),
)

MOLECULES: tuple[Unit, ...] = (
    Unit("NH3", "NH3", 0, fam.NEUTRAL_MOLECULE, ("H3N",)),
    Unit("H2O", "H2O", 0, fam.NEUTRAL_MOLECULE),
    Unit("CH3NH2", "CH5N", 0, fam.NEUTRAL_MOLECULE, ("NH2CH3", "MeNH2", "H2NCH3")),
    Unit("NH3BH3", "NH3BH3", 0, fam.NEUTRAL_MOLECULE, ("BH3NH3", "H3NBH3")),
    Unit("NH3B3H7", "NH3B3H7", 0, fam.NEUTRAL_MOLECULE, ("B3H7NH3",)),
    Unit("(CH3)2CHNH2", "C3H9N", 0, fam.NEUTRAL_MOLECULE, ("iPrNH2", "CH3CH(NH2)CH3", "(CH3)2CH(NH2)")),
    Unit("CH3CH2NH2", "C2H7N", 0, fam.NEUTRAL_MOLECULE, ("EtNH2", "C2H5NH2")),
    Unit("(CH3)2NH", "C2H7N", 0, fam.NEUTRAL_MOLECULE, ("Me2NH",)),
    Unit("en", "C2H8N2", 0, fam.NEUTRAL_MOLECULE, ("NH2CH2CH2NH2", "H2NCH2CH2NH2", "C2H4(NH2)2")),
    Unit("THF", "C4H8O", 0, fam.NEUTRAL_MOLECULE, ("thf",)),
    Unit("diglyme", "C6H14O3", 0, fam.NEUTRAL_MOLECULE),
    Unit("DME", "C4H10O2", 0, fam.NEUTRAL_MOLECULE, ("monoglyme", "glyme")),
    Unit("CH3CN", "C2H3N", 0, fam.NEUTRAL_MOLECULE, ("MeCN",)),
    Unit("N2H4", "N2H4", 0, fam.NEUTRAL_MOLECULE, ("NH2NH2", "H2NNH2")),
    Unit("CO(NH2)2", "CH4N2O", 0, fam.NEUTRAL_MOLECULE, ("urea",)),
    Unit("CH3OH", "CH4O", 0, fam.NEUTRAL_MOLECULE, ("MeOH",)),
    Unit("C2H5OH", "C2H6O", 0, fam.NEUTRAL_MOLECULE, ("EtOH",)),
    Unit("py", "C5H5N", 0, fam.NEUTRAL_MOLECULE, ("C5H5N",)),
    Unit("DMSO", "C2H6OS", 0, fam.NEUTRAL_MOLECULE, ("(CH3)2SO",)),
)

#: Inert composite additives written after the conducting compound (``–Al2O3``, ``@MgO``).
ADDITIVES: frozenset[str] = frozenset(
    {
        "Al2O3",
        "MgO",
        "SiO2",
        "TiO2",
        "ZrO2",
        "CeO2",
        "Y2O3",
        "ZnO",
        "CaO",
        "BN",
        "Fe2O3",
        "Nb2O5",
        "SBA-15",
        "MCM-41",
    }
)

#: Elements that form simple anions, with (charge, family).
SIMPLE_ANIONS: dict[str, tuple[int, str]] = {
    "F": (-1, fam.HALIDE),
    "Cl": (-1, fam.HALIDE),
    "Br": (-1, fam.HALIDE),
    "I": (-1, fam.HALIDE),
    "H": (-1, fam.HYDRIDE),
    "O": (-2, fam.OXIDE),
    "S": (-2, fam.SULFIDE),
    "Se": (-2, fam.SULFIDE),
    "Te": (-2, fam.SULFIDE),
    "N": (-3, fam.NITRIDE),
}

#: Written words that mean water of unspecified amount; refused rather than guessed.
UNSPECIFIED_HYDRATE_WORDS: frozenset[str] = frozenset({"hydrate", "xh2o", "nh2o"})


@lru_cache(maxsize=1)
def spelling_table() -> tuple[tuple[str, Unit], ...]:
    """All (spelling, unit) pairs, longest spelling first, for longest-match scanning."""
    pairs = [(spelling, unit) for unit in (*MOLECULES, *ANIONS) for spelling in unit.spellings]
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


@lru_cache(maxsize=1)
def _by_composition() -> dict[tuple[tuple[str, float], ...], Unit]:
    table: dict[tuple[tuple[str, float], ...], Unit] = {}
    for unit in (*MOLECULES, *ANIONS):
        table.setdefault(composition_key(Composition(unit.formula)), unit)
    return table


def composition_key(composition: Composition) -> tuple[tuple[str, float], ...]:
    """A hashable key of a composition (element symbols and rounded amounts, sorted)."""
    return tuple(sorted((str(el), round(float(amount), 6)) for el, amount in composition.items()))


def unit_by_spelling(text: str) -> Unit | None:
    """The unit written exactly as ``text`` (a name, formula or alias), else ``None``."""
    for spelling, unit in spelling_table():
        if spelling == text:
            return unit
    return None


def unit_by_composition(composition: Composition) -> Unit | None:
    """The known unit with exactly this composition (e.g. ``H2NCH2CH2NH2`` -> ``en``), else ``None``."""
    return _by_composition().get(composition_key(composition))


def classify_boron_cluster(n_carbon: float, n_boron: float, n_terminal: float) -> tuple[str, int] | None:
    """Family and charge of a (carba)borane cage by Wade's rules.

    Parameters
    ----------
    n_carbon, n_boron
        Cage vertices (C and B atoms).
    n_terminal
        H atoms plus substituents (halogens, OH) bound to the cage.

    Returns
    -------
    tuple or None
        ``(family, charge)``: the first of closo (2v+2 skeletal electrons), nido (2v+4) and arachno
        (2v+6) that gives a negative charge. Linked cages (fewer terminal atoms than vertices) give
        ``("closo-borane", 0)``: their charge must come from charge balance. ``None`` when the counts are
        not whole numbers or the cage has fewer than three vertices.
    """
    if not all(float(x).is_integer() for x in (n_carbon, n_boron, n_terminal)):
        return None
    vertices = int(n_carbon + n_boron)
    if vertices < 3:
        return None
    extra_h = int(n_terminal) - vertices
    if extra_h < 0:
        return fam.CLOSO_BORANE, 0
    electrons = 2 * int(n_boron) + 3 * int(n_carbon) + extra_h
    for shape, needed in (
        ("closo", 2 * vertices + 2),
        ("nido", 2 * vertices + 4),
        ("arachno", 2 * vertices + 6),
    ):
        added = needed - electrons
        if added >= 1:
            kind = "carborane" if n_carbon else "borane"
            family = f"{shape}-{kind}"
            if family not in fam.ANION_FAMILIES:
                family = fam.OTHER
            return family, -added
    return None
