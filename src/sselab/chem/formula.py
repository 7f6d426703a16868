"""Parse solid-electrolyte formulas as the literature writes them.

Example
-------
>>> from sselab.chem import parse_formula
>>> p = parse_formula("Mg(BH4)2·2NH3")
>>> p.cation, p.valence, p.anion_family, p.neutral_molecule_count
('Mg', 2, 'nido-borane', 2.0)
>>> p.composition.formula
'Mg1 B2 H14 N2'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from pymatgen.core import Composition, Element

from sselab.chem import families as fam
from sselab.chem import registry
from sselab.chem._scan import Part, RawUnit, normalise_dashes, scan_body, split_parts
from sselab.errors import FormulaParseError

#: Conducting-ion candidates in order of preference when no hint is given, with their valence.
CONDUCTING_IONS: dict[str, int] = {
    "Li": 1,
    "Na": 1,
    "Mg": 2,
    "K": 1,
    "Zn": 2,
    "Ca": 2,
    "Al": 3,
    "Rb": 1,
    "Cs": 1,
    "Sr": 2,
    "Ba": 2,
    "Be": 2,
    "Ag": 1,
    "Cu": 1,
}

#: Conducting ions with one oxidation state in solid electrolytes; every other cation (Cu, Fe, Co, Sn, ...)
#: takes its valence from the charge balance of the anions when that is a whole, known oxidation state.
FIXED_VALENCE: frozenset[str] = frozenset(
    {"Li", "Na", "K", "Rb", "Cs", "Mg", "Ca", "Sr", "Ba", "Be", "Zn", "Al", "Ag"}
)

MAX_FORMULA_CHARS = 255
"""Longest formula accepted, in characters (the store's formula column; real formulas have at most ~60)."""
COMPOSITE_MARKS = "-–—‐−/+"
"""Separators that mark a composite (``LiBH4–Al2O3``, ``LiBH4/SiO2``); ``·`` joins one compound."""

_PHASE_WORDS = r"α|β|γ|δ|ε|ζ|η|θ|alpha|beta|gamma|delta|epsilon|LT|HT|RT|cis|trans|ortho|para|o|c|t|h|m"
_PHASE_PREFIX = re.compile(rf"^(?P<label>{_PHASE_WORDS})(?:\s*-\s*|\s+|(?<=[α-ω])(?=[A-Z(\[]))")
_PHASE_SUFFIX = re.compile(rf"[(\[](?P<label>{_PHASE_WORDS}|[a-z]-phase)[)\]]\s*$")
_GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε"}
_QUOTES = "\"'“”‘’"


@dataclass(frozen=True)
class Component:
    """An anion or neutral molecule of a formula.

    Attributes
    ----------
    name
        Canonical name as chemists write it (``"BH4"``, ``"en"``, ``"7-CB10H13"`` with an isomer locant).
    formula
        Expanded formula (``"C2H8N2"`` for ``en``).
    count
        Units per formula as written (``2.0`` in ``Mg(BH4)2``).
    charge
        Formal charge; 0 for molecules; ``None`` when it could neither be looked up nor derived by charge
        balance.
    family
        One of :mod:`sselab.chem.families`.
    contains_carbon
        True when the unit contains C.
    """

    name: str
    formula: str
    count: float
    charge: int | None
    family: str
    contains_carbon: bool


@dataclass(frozen=True)
class ParsedFormula:
    """A formula read into its chemistry (see :func:`parse_formula`).

    Attributes
    ----------
    text
        The formula as written.
    composition
        Element amounts of the conducting compound (composite additive excluded), fractions allowed.
    cation, cation_count, valence
        Conducting cation, its amount per formula as written and its oxidation state (``None`` if not found).
    anions, neutral_molecules
        Components, in order of first appearance, equal names merged.
    co_cations
        Other cations and framework elements as ``(symbol, amount)`` pairs (``Y`` in ``Cs2LiY(BH4)6``).
    additive
        Composite additive (``"Al2O3"`` in ``Mg(BH4)2·1.6NH3–Al2O3``, ``"MgO"`` in ``...@MgO``), else
        ``None``.
    phase_label
        Phase or isomer written with the formula (``"β"``, ``"HT"``, ``"cis"``), else ``None``.
    """

    text: str
    composition: Composition
    cation: str | None
    cation_count: float
    valence: int | None
    anions: tuple[Component, ...]
    neutral_molecules: tuple[Component, ...]
    co_cations: tuple[tuple[str, float], ...]
    additive: str | None
    phase_label: str | None

    @property
    def element_amounts(self) -> dict[str, float]:
        """Element symbol -> amount per formula as written."""
        return {str(el): float(amount) for el, amount in self.composition.items()}

    @property
    def neutral_molecule_count(self) -> float:
        """Sum of the neutral-molecule counts (0.0 if none)."""
        return float(sum(m.count for m in self.neutral_molecules))

    @property
    def anion_family(self) -> str | None:
        """Family of the dominant anion: largest count x |charge| (count alone when a charge is unknown)."""
        if not self.anions:
            return None
        return max(self.anions, key=lambda a: a.count * abs(a.charge if a.charge is not None else 1)).family

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "text": self.text,
            "composition": self.composition.formula,
            "element_amounts": self.element_amounts,
            "cation": self.cation,
            "cation_count": self.cation_count,
            "valence": self.valence,
            "anions": [vars(a).copy() for a in self.anions],
            "neutral_molecules": [vars(m).copy() for m in self.neutral_molecules],
            "neutral_molecule_count": self.neutral_molecule_count,
            "anion_family": self.anion_family,
            "co_cations": [list(pair) for pair in self.co_cations],
            "additive": self.additive,
            "phase_label": self.phase_label,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParsedFormula:
        """Rebuild from :meth:`as_dict` output (derived keys such as ``anion_family`` are ignored)."""
        return cls(
            text=data["text"],
            composition=Composition(data["element_amounts"]),
            cation=data["cation"],
            cation_count=float(data["cation_count"]),
            valence=data["valence"],
            anions=tuple(Component(**c) for c in data["anions"]),
            neutral_molecules=tuple(Component(**c) for c in data["neutral_molecules"]),
            co_cations=tuple((str(el), float(n)) for el, n in data["co_cations"]),
            additive=data["additive"],
            phase_label=data["phase_label"],
        )


def parse_formula(text: str, cation_hint: str | None = None) -> ParsedFormula:
    """Read a solid-electrolyte formula.

    Parameters
    ----------
    text
        The formula as written, e.g. ``"Mg(BH4)2·2NH3"``, ``"LiBH4-1/2NH3"``, ``"β-Mg(BH4)2·6(CH3)2CHNH2"``,
        ``"Mg(BH4)2-1.5NH3@MgO"``, ``"Li6.4La3Zr1.4Ta0.6O12"``. Parts are separated by ``·•*+``,
        dashes (a dash is never a charge), spaces, or ``.``; leading coefficients may be integers, decimals or
        fractions. ``.`` followed by a digit is a decimal point: write ``Mg(BH4)2·2NH3``, not
        ``Mg(BH4)2.2NH3``.
        An oxide is an inert composite additive only when marked as one: after ``@`` (``...@MgO``), or as
        the last part joined by a dash or ``/`` to an electrolyte with a non-oxide anion
        (``Mg(BH4)2·1.6NH3–Al2O3``, ``0.8LiI-0.2Al2O3``); ``Na2O·11Al2O3`` is one compound (β-alumina).
        At most :data:`MAX_FORMULA_CHARS` characters, brackets nested at most 8 deep, amounts of at most 12
        characters and at most 10 000.
    cation_hint
        Element symbol of the conducting ion when known (``"Li"``); else the first of :data:`CONDUCTING_IONS`
        present is taken (Li before Na before Mg ...). The valence of a cation outside
        :data:`FIXED_VALENCE` (Cu, Fe, ...) comes from the anions' charge balance (``Cu(BH4)2`` -> 2).

    Returns
    -------
    ParsedFormula

    Raises
    ------
    FormulaParseError
        With the position where reading failed and what was expected.
    """
    if not isinstance(text, str):
        raise FormulaParseError(
            str(text)[:MAX_FORMULA_CHARS], 0, f"a formula must be text, got {type(text).__name__}"
        )
    if len(text) > MAX_FORMULA_CHARS:
        raise FormulaParseError(
            text, MAX_FORMULA_CHARS, f"formula longer than {MAX_FORMULA_CHARS} characters ({len(text)})"
        )
    start, end = _strip_quotes(text)
    if start >= end:
        raise FormulaParseError(text, 0, "empty formula")
    phase_label, start, end = _phase_label(text, start, end)
    additive, end = _additive_at(text, start, end)
    parts = split_parts(text, start, end)
    scanned = [scan_body(text, part.body_start, part.end, part.coefficient) for part in parts]
    if additive is None and _is_composite_oxide(text, parts, scanned):
        additive = text[parts[-1].body_start : parts[-1].end]
        parts, scanned = parts[:-1], scanned[:-1]
    raw: list[RawUnit] = [unit for units in scanned for unit in units]
    composition = sum((u.composition * u.amount for u in raw), Composition())
    cation, valence = _choose_cation(text, composition, cation_hint)
    state = _Classifier(cation)
    for unit in raw:
        state.add(unit, 1.0)
    if cation is not None and cation not in FIXED_VALENCE:
        valence = _balanced_valence(cation, state) or valence
    anions = _balance(state.anions, state.cation_count * (valence or 0), state.co_cations)
    return ParsedFormula(
        text=text,
        composition=composition,
        cation=cation,
        cation_count=state.cation_count,
        valence=valence,
        anions=anions,
        neutral_molecules=tuple(state.molecules.values()),
        co_cations=tuple(state.co_cations.items()),
        additive=additive,
        phase_label=phase_label,
    )


def _strip_quotes(text: str) -> tuple[int, int]:
    start, end = 0, len(text)
    while start < end and (text[start].isspace() or text[start] in _QUOTES):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _QUOTES):
        end -= 1
    return start, end


def _phase_label(text: str, start: int, end: int) -> tuple[str | None, int, int]:
    norm = normalise_dashes(text[:end])
    prefix = _PHASE_PREFIX.match(norm, start)
    if prefix and prefix.end() < end:
        label = prefix.group("label")
        return _GREEK.get(label, label), prefix.end(), end
    suffix = _PHASE_SUFFIX.search(norm, start)
    if suffix and suffix.start() > start:
        label = suffix.group("label")
        stop = suffix.start()
        while stop > start and text[stop - 1].isspace():
            stop -= 1
        return _GREEK.get(label, label), start, stop
    return None, start, end


def _additive_at(text: str, start: int, end: int) -> tuple[str | None, int]:
    at = text.find("@", start, end)
    if at < 0:
        return None, end
    additive = text[at + 1 : end].strip()
    if not additive:
        raise FormulaParseError(text, at, "nothing after '@' (expected the additive)")
    if "@" in additive:
        raise FormulaParseError(text, text.find("@", at + 1, end), "a second '@'")
    if additive not in registry.ADDITIVES:
        for part in split_parts(text, at + 1, end):  # must at least be a readable formula
            scan_body(text, part.body_start, part.end, part.coefficient)
    if at == start:
        raise FormulaParseError(text, at, "nothing before '@' (expected the conducting compound)")
    return additive, at


def _is_composite_oxide(text: str, parts: list[Part], scanned: list[list[RawUnit]]) -> bool:
    """True when the last part is an inert additive of a composite (see :func:`parse_formula`).

    The part must be a known additive (:data:`registry.ADDITIVES`), joined to the rest by a composite mark
    (a dash or ``/``, not ``·``), and the rest must be an electrolyte with a non-oxide anion: in
    ``Mg(BH4)2·1.6NH3–Al2O3`` or ``0.8LiI-0.2Al2O3`` the oxide is an additive; in ``Na2O·11Al2O3``
    (β-alumina), ``65Li2O·27B2O3·8SiO2`` or ``Li2O–Al2O3–SiO2`` it is part of the compound.
    """
    if len(parts) < 2 or text[parts[-1].body_start : parts[-1].end] not in registry.ADDITIVES:
        return False
    between = text[parts[-2].end : parts[-1].start].strip()
    if len(between) != 1 or between not in COMPOSITE_MARKS:
        return False
    return any(_has_non_oxide_anion(unit) for units in scanned[:-1] for unit in units)


def _has_non_oxide_anion(unit: RawUnit) -> bool:
    if unit.kind == "cluster":
        return True
    if unit.kind == "unit" and unit.unit is not None:
        return unit.unit.charge < 0
    if unit.kind == "element":
        return unit.name in registry.SIMPLE_ANIONS and unit.name != "O"
    return any(_has_non_oxide_anion(child) for child in unit.children)


def _balanced_valence(cation: str, state: _Classifier) -> int | None:
    """The cation's oxidation state from the charge balance, when every charge is known and it is whole.

    ``Cu(BH4)2`` and ``CuCl2`` give 2, ``CuCl`` gives 1; ``None`` when an anion charge or a co-cation state is
    unknown, or when the balance is not a known oxidation state of the element.
    """
    if state.cation_count <= 0 or not state.anions:
        return None
    if any(a.charge is None for a in state.anions.values()):
        return None
    negative = -sum(a.count * (a.charge or 0) for a in state.anions.values())
    for symbol, amount in state.co_cations.items():
        co_state = _common_positive_state(symbol)
        if co_state is None:
            return None
        negative -= co_state * amount
    value = negative / state.cation_count
    whole = round(value)
    if not math.isclose(value, whole, abs_tol=0.05) or whole <= 0:
        return None
    return whole if whole in Element(cation).oxidation_states else None


def _choose_cation(text: str, composition: Composition, hint: str | None) -> tuple[str | None, int | None]:
    symbols = {str(el) for el in composition}
    if hint is not None:
        hint = hint.strip().capitalize()  # "LI", "li" -> "Li"
        if not Element.is_valid_symbol(hint):
            raise FormulaParseError(text, 0, f"conducting-ion hint {hint!r} is not an element symbol")
        if hint not in symbols:
            raise FormulaParseError(text, 0, f"conducting ion {hint!r} (hint) does not occur in the formula")
        return hint, CONDUCTING_IONS.get(hint) or _common_positive_state(hint)
    for symbol, valence in CONDUCTING_IONS.items():
        if symbol in symbols:
            return symbol, valence
    return None, None


def _common_positive_state(symbol: str) -> int | None:
    states = [s for s in Element(symbol).common_oxidation_states if s > 0]
    return int(states[0]) if states else None


class _Classifier:
    """Sorts raw units into cation amount, anions, molecules and co-cations."""

    def __init__(self, cation: str | None) -> None:
        self.cation = cation
        self.cation_count = 0.0
        self.anions: dict[str, Component] = {}
        self.molecules: dict[str, Component] = {}
        self.co_cations: dict[str, float] = {}

    def add(self, unit: RawUnit, scale: float) -> None:
        amount = unit.amount * scale
        if unit.kind == "unit" and unit.unit is not None:
            known = unit.unit
            target = self.molecules if known.charge == 0 else self.anions
            self._merge(target, unit, known.formula, known.charge, known.family, amount)
        elif unit.kind == "cluster":
            self._merge(self.anions, unit, unit.name, unit.charge, unit.family or fam.OTHER, amount)
        elif unit.kind == "element":
            self._add_element(unit.name, amount)
        elif self._is_anion_group(unit):
            family = _group_family(unit)
            self._merge(self.anions, unit, unit.composition.formula.replace(" ", ""), None, family, amount)
        else:
            for child in unit.children:
                self.add(child, amount)

    def _add_element(self, symbol: str, amount: float) -> None:
        if symbol == self.cation:
            self.cation_count += amount
        elif symbol in registry.SIMPLE_ANIONS:
            charge, family = registry.SIMPLE_ANIONS[symbol]
            known = self.anions.get(symbol)
            count = amount + (known.count if known else 0.0)
            self.anions[symbol] = Component(symbol, symbol, count, charge, family, symbol == "C")
        else:
            self.co_cations[symbol] = self.co_cations.get(symbol, 0.0) + amount

    def _is_anion_group(self, unit: RawUnit) -> bool:
        symbols = {str(el): float(n) for el, n in unit.composition.items()}
        if self.cation in symbols or not symbols:
            return False
        centres = {s: n for s, n in symbols.items() if s not in registry.SIMPLE_ANIONS}
        ligands = sum(n for s, n in symbols.items() if s in registry.SIMPLE_ANIONS)
        if "B" in centres and "H" in symbols and set(centres) <= {"B", "C"}:
            return True  # substituted borane cage, e.g. (B3H7NH2BH2NH2B3H7)
        return len(centres) == 1 and next(iter(centres.values())) == 1 and ligands >= 3

    @staticmethod
    def _merge(
        target: dict[str, Component],
        unit: RawUnit,
        formula: str,
        charge: int | None,
        family: str,
        amount: float,
    ) -> None:
        name = f"{unit.locant}-{unit.name}" if unit.locant else unit.name
        known = target.get(name)
        count = amount + (known.count if known else 0.0)
        target[name] = Component(name, formula, count, charge, family, "C" in Composition(formula))


def _group_family(unit: RawUnit) -> str:
    symbols = {str(el) for el in unit.composition}
    if "B" in symbols and "H" in symbols:
        return fam.CLOSO_CARBORANE if "C" in symbols and symbols <= {"B", "C", "H"} else fam.OTHER
    return fam.OTHER


def _balance(
    anions: dict[str, Component], cation_charge: float, co_cations: dict[str, float]
) -> tuple[Component, ...]:
    """Give a charge to the one anion whose charge is unknown, by charge balance, when it comes out whole."""
    unknown = [a for a in anions.values() if a.charge is None]
    if len(unknown) != 1:
        return tuple(anions.values())
    positive = cation_charge
    for symbol, amount in co_cations.items():
        state = _common_positive_state(symbol)
        if state is None:
            return tuple(anions.values())
        positive += state * amount
    negative = sum(a.count * a.charge for a in anions.values() if a.charge is not None)
    target = unknown[0]
    charge = -(positive + negative) / target.count
    if charge < -0.5 and math.isclose(charge, round(charge), abs_tol=0.05):
        fixed = Component(target.name, target.formula, target.count, round(charge), target.family,
                          target.contains_carbon)  # fmt: skip
        return tuple(fixed if a is target else a for a in anions.values())
    return tuple(anions.values())
