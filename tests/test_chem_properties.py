"""Property-based tests of the formula parser (hypothesis)."""

from __future__ import annotations

import contextlib
import json
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st
from pymatgen.core import Composition

from sselab.chem import ParsedFormula, parse_formula
from sselab.errors import FormulaParseError

CATIONS = {"Li": 1, "Na": 1, "K": 1, "Mg": 2, "Ca": 2, "Zn": 2}
# written form, expanded formula, charge
ANIONS = [("BH4", "BH4", -1), ("B3H8", "B3H8", -1), ("B10H10", "B10H10", -2), ("B12H12", "B12H12", -2),
          ("CB9H10", "CB9H10", -1), ("CB11H12", "CB11H12", -1), ("NH2", "NH2", -1), ("AlH4", "AlH4", -1),
          ("NH2BH3", "NH2BH3", -1)]  # fmt: skip
MOLECULES = [("NH3", "NH3"), ("H2O", "H2O"), ("CH3NH2", "CH5N"), ("NH3BH3", "NH3BH3"), ("en", "C2H8N2"),
             ("THF", "C4H8O"), ("diglyme", "C6H14O3"), ("CH3CN", "C2H3N"), ("N2H4", "N2H4"),
             ("(CH3)2CHNH2", "C3H9N")]  # fmt: skip
SEPARATORS = ["·", "•", "-", "–", "—", "*", " ", " · "]


def written_count(value: Fraction, style: str) -> str:
    if value == 1 and style != "explicit":
        return ""
    if style == "fraction" and value.denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):g}"


counts = st.sampled_from([Fraction(1, 2), Fraction(1, 4), Fraction(3, 2), Fraction(1), Fraction(2),
                          Fraction(3), Fraction(6), Fraction(12), Fraction(8, 5)])  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    cation=st.sampled_from(sorted(CATIONS)),
    anion=st.sampled_from(ANIONS),
    molecule=st.one_of(st.none(), st.sampled_from(MOLECULES)),
    n=counts,
    separator=st.sampled_from(SEPARATORS),
    style=st.sampled_from(["decimal", "fraction", "explicit"]),
    phase=st.sampled_from(["", "β-", "α-", "HT-"]),
)
def test_element_amounts_round_trip(cation, anion, molecule, n, separator, style, phase) -> None:
    written_anion, anion_formula, charge = anion
    valence = CATIONS[cation]
    cation_count, anion_count = (2, 1) if -charge == 2 * valence else (1, valence // -charge)
    if -charge > valence and -charge != 2 * valence:
        cation_count, anion_count = -charge, valence
    text = phase + (f"{cation}{cation_count if cation_count > 1 else ''}({written_anion})"
                    f"{anion_count if anion_count > 1 else ''}")  # fmt: skip
    expected = Composition({cation: cation_count}) + Composition(anion_formula) * anion_count
    if molecule is not None:
        text += f"{separator}{written_count(n, style)}{molecule[0]}"
        expected += Composition(molecule[1]) * float(n)
    parsed = parse_formula(text)
    assert parsed.composition.almost_equals(expected, atol=1e-6), (text, parsed.composition, expected)
    assert (parsed.cation, parsed.valence, parsed.cation_count) == (cation, valence, cation_count)
    assert parsed.anions[0].count == anion_count and parsed.anions[0].charge == charge
    assert parsed.neutral_molecule_count == (float(n) if molecule else 0.0)
    assert parsed.phase_label == ({"β-": "β", "α-": "α", "HT-": "HT"}.get(phase))
    assert ParsedFormula.from_dict(json.loads(json.dumps(parsed.as_dict()))) == parsed


@settings(max_examples=100, deadline=None)
@given(
    left=st.sampled_from(["LiBH4", "Mg(BH4)2", "Na2B12H12", "Ca(CB11H12)2", "ZnB12H12"]),
    right=st.sampled_from(["NH3", "1.6NH3", "1/2NH3", "12H2O", "3en", "2THF", "NH3BH3"]),
    first=st.sampled_from(SEPARATORS),
    second=st.sampled_from(SEPARATORS),
)
def test_separators_give_the_same_composition(left, right, first, second) -> None:
    a = parse_formula(f"{left}{first}{right}")
    b = parse_formula(f"{left}{second}{right}")
    assert a.composition.almost_equals(b.composition)
    assert a.neutral_molecules == b.neutral_molecules


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("LiMgBHNCOa()[]0123456789./·-–@ *xzβ")), max_size=24))
def test_garbage_raises_formula_parse_error_only(text: str) -> None:
    try:
        parsed = parse_formula(text)
    except FormulaParseError as error:
        assert 0 <= error.position <= len(text)
        assert error.formula == text
    else:
        assert all(amount > 0 for amount in parsed.element_amounts.values())


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_unicode_text_raises_formula_parse_error_only(text: str) -> None:
    with contextlib.suppress(FormulaParseError):
        parse_formula(text)


@settings(max_examples=60, deadline=None)
@given(
    formula=st.sampled_from(["Li7La3Zr2O12", "Mg(BH4)2(NH3)2", "Na3(BH4)(B12H12)", "Li6PS5Cl"]),
    factor=st.integers(min_value=2, max_value=9),
)
def test_leading_coefficient_scales_all_amounts(formula: str, factor: int) -> None:
    one = parse_formula(formula)
    many = parse_formula(f"{factor}({formula})")
    assert many.composition.almost_equals(one.composition * factor)
