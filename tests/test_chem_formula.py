"""Examples of formulas as the literature writes them, and the errors for unreadable ones."""

from __future__ import annotations

import json

import pytest

from sselab.chem import Component, ParsedFormula, parse_formula
from sselab.chem import families as fam
from sselab.errors import FormulaParseError


def amounts(text: str, **kwargs: str) -> dict[str, float]:
    return {el: round(n, 6) for el, n in parse_formula(text, **kwargs).element_amounts.items()}


def test_contract_example_mg_borohydride_ammoniate() -> None:
    p = parse_formula("Mg(BH4)2·2NH3")
    assert p.text == "Mg(BH4)2·2NH3"
    assert amounts("Mg(BH4)2·2NH3") == {"Mg": 1.0, "B": 2.0, "H": 14.0, "N": 2.0}
    assert (p.cation, p.cation_count, p.valence) == ("Mg", 1.0, 2)
    assert p.anions == (Component("BH4", "BH4", 2.0, -1, fam.NIDO_BORANE, False),)
    assert p.neutral_molecules == (Component("NH3", "NH3", 2.0, 0, fam.NEUTRAL_MOLECULE, False),)
    assert p.neutral_molecule_count == 2.0
    assert p.anion_family == "nido-borane"
    assert p.additive is None and p.phase_label is None
    assert ParsedFormula.from_dict(json.loads(json.dumps(p.as_dict()))) == p


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mg(BH4)2-1.6NH3", {"Mg": 1, "B": 2, "H": 12.8, "N": 1.6}),
        ("LiBH4·1/2NH3", {"Li": 1, "B": 1, "H": 5.5, "N": 0.5}),
        ("LiBH4-0.5NH3", {"Li": 1, "B": 1, "H": 5.5, "N": 0.5}),
        ("2(LiBH4)-NH3BH3", {"Li": 2, "B": 3, "H": 14, "N": 1}),
        ("Mg(BH4)2(NH3BH3)2", {"Mg": 1, "B": 4, "H": 20, "N": 2}),
        ("Mg(en)3(BH4)2", {"Mg": 1, "B": 2, "H": 32, "C": 6, "N": 6}),
        ("Na5/3(CB11H12)1/3(B12H12)2/3", {"Na": 1.666667, "C": 0.333333, "B": 11.666667, "H": 12}),
        ("Li(CB9H10)0.7(CB11H12)0.3", {"Li": 1, "C": 1, "B": 9.6, "H": 10.6}),
        ("β-Mg(BH4)2·6(CH3)2CHNH2", {"Mg": 1, "B": 2, "H": 62, "C": 18, "N": 6}),
        ("Mg(BH4)2·1.6NH3–Al2O3", {"Mg": 1, "B": 2, "H": 12.8, "N": 1.6}),
        ("Mg(BH4)2-1.5NH3@MgO", {"Mg": 1, "B": 2, "H": 12.5, "N": 1.5}),
        ("ZnB12H12-12H2O", {"Zn": 1, "B": 12, "H": 36, "O": 12}),
        ("Li7La3Zr2O12", {"Li": 7, "La": 3, "Zr": 2, "O": 12}),
        ("Li6.4La3Zr1.4Ta0.6O12", {"Li": 6.4, "La": 3, "Zr": 1.4, "Ta": 0.6, "O": 12}),
        ("Li2OHBr", {"Li": 2, "O": 1, "H": 1, "Br": 1}),
        ('"(Li2O)50 (Al2O3)2 (P2O5)48"', {"Li": 100, "O": 296, "Al": 4, "P": 96}),
        ("Li0.6[Li0.2Sn0.8S2]", {"Li": 0.8, "Sn": 0.8, "S": 2}),
        ("Mg(diglyme)0.5(BH4)2", {"Mg": 1, "C": 3, "H": 15, "O": 1.5, "B": 2}),
    ],
)
def test_element_amounts_of_literature_formulas(text: str, expected: dict[str, float]) -> None:
    assert amounts(text) == pytest.approx({k: float(v) for k, v in expected.items()}, abs=1e-6)


def test_separators_are_interchangeable() -> None:
    written = ["Mg(BH4)2·2NH3", "Mg(BH4)2•2NH3", "Mg(BH4)2-2NH3", "Mg(BH4)2–2NH3", "Mg(BH4)2—2NH3",
               "Mg(BH4)2*2NH3", "Mg(BH4)2 2NH3", "Mg(BH4)2 · 2 NH3"]  # fmt: skip
    assert {parse_formula(t).composition.formula for t in written} == {"Mg1 B2 H14 N2"}


def test_components_additive_and_phase() -> None:
    p = parse_formula("β-Mg(BH4)2·6(CH3)2CHNH2")
    assert p.phase_label == "β"
    assert p.neutral_molecules[0].name == "(CH3)2CHNH2" and p.neutral_molecules[0].contains_carbon
    assert parse_formula("beta-Mg(BH4)2-6CH3NH2").phase_label == "β"
    assert parse_formula("cis-Mg(NH2CH2CH2NH2)(BH4)2").neutral_molecules[0].name == "en"
    assert parse_formula("Mg(BH4)2·1.6NH3–Al2O3").additive == "Al2O3"
    assert parse_formula("Mg(BH4)2-1.5NH3@MgO").additive == "MgO"
    en = parse_formula("Mg(en)3(BH4)2").neutral_molecules[0]
    assert (en.name, en.formula, en.count) == ("en", "C2H8N2", 3.0)
    thf = parse_formula("Mg(BH4)2·2THF").neutral_molecules[0]
    assert (thf.formula, thf.count) == ("C4H8O", 2.0)


@pytest.mark.parametrize(
    ("text", "anion", "charge", "family"),
    [
        ("KB3H8", "B3H8", -1, fam.ARACHNO_BORANE),
        ("Na2B10H10", "B10H10", -2, fam.CLOSO_BORANE),
        ("LiCB11H12", "CB11H12", -1, fam.CLOSO_CARBORANE),
        ("NaCB9H9Br", "CB9H9Br", -1, fam.CLOSO_CARBORANE),  # not in the registry: Wade's rules
        ("Na2B12Cl12", "B12Cl12", -2, fam.CLOSO_BORANE),
        ("Na-7,8-C2B9H12", "7,8-C2B9H12", -1, fam.NIDO_CARBORANE),
        ("Na2B11H13", "B11H13", -2, fam.NIDO_BORANE),
        ("Na3B24H23", "B24H23", -3, fam.CLOSO_BORANE),  # linked cages: charge from balance
        ("LiNH2", "NH2", -1, fam.AMIDE),
        ("Li2NH", "NH", -2, fam.IMIDE),
        ("NaAlH4", "AlH4", -1, fam.ALANATE),
        ("LiNH2BH3", "NH2BH3", -1, fam.AMIDOBORANE),
        ("LiH", "H", -1, fam.HYDRIDE),
        ("K(B3H7NH2BH2NH2B3H7)", "B3H7NH2BH2NH2B3H7", -1, fam.OTHER),
    ],
)
def test_anion_families_and_charges(text: str, anion: str, charge: int, family: str) -> None:
    p = parse_formula(text)
    found = {a.name: a for a in p.anions}[anion]
    assert (found.charge, found.family) == (charge, family)


def test_cation_detection_and_hint() -> None:
    assert parse_formula("Cs2LiY(BH4)6").cation == "Li"
    assert parse_formula("Li3K3Ce2(BH4)12").co_cations == (("K", 3.0), ("Ce", 2.0))
    p = parse_formula("Li7La3Zr2O12", cation_hint="Li")
    assert (p.cation, p.cation_count, p.valence, p.anion_family) == ("Li", 7.0, 1, fam.OXIDE)
    assert parse_formula("Ca(CB11H12)2-12H2O").valence == 2
    assert parse_formula("BN").cation is None
    assert parse_formula("Li2OHCl", cation_hint=" li ").cation == "Li"
    with pytest.raises(FormulaParseError, match="not an element symbol"):
        parse_formula("LiBH4", cation_hint="Xq")


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("", 0, "empty"),
        ("Mg((BH4)2", 9, "never closed"),
        ("Li2)", 3, "without an opening"),
        ("LiXx3", 2, "unknown element"),
        ("-LiBH4", 0, "starts with a separator"),
        ("LiBH4·", 5, "ends with a separator"),
        ("LiBH4@", 5, "nothing after '@'"),
        ("Li0BH4", 2, "positive"),
        ("LiBH4·1/0NH3", 6, "division by zero"),
        ("LiB12H11NH3 Hydrate", 12, "unspecified amount of water"),
        ("Mg(BH4)2·xNH3", 9, "unknown element or abbreviation 'x'"),
        ("Mg(BH4)2·xH2O", 9, "unspecified amount of water"),
        ("Mg(BH4)2#", 8, "unexpected character"),
    ],
)
def test_unreadable_formula_points_at_the_failure(text: str, position: int, reason: str) -> None:
    with pytest.raises(FormulaParseError) as info:
        parse_formula(text)
    assert info.value.position == position
    assert reason in info.value.reason
    assert info.value.formula == text


def test_cation_hint_absent_from_formula_is_an_error() -> None:
    with pytest.raises(FormulaParseError, match="'Na' \\(hint\\) does not occur"):
        parse_formula("LiBH4-0.5NH3", cation_hint="Na")
