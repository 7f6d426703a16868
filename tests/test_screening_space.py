"""Candidate spaces: the paper's 558 predictions, charge balance, element counts, TOML specs, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sselab.chem import parse_formula
from sselab.errors import ConfigError
from sselab.screening import CandidateSpace, enumerate_candidates, paper_space, route_mask


def test_paper_space_routes_give_270_plus_108_plus_180() -> None:
    candidates = enumerate_candidates(paper_space())
    frame = candidates.frame
    assert len(frame) == 3 * 5 * 5 * 6 == 450
    y1, y2 = (route_mask(route, frame) for route in paper_space().routes)
    assert y1.sum() == 270 and y2.sum() == 288 and y1.sum() + y2.sum() == 558
    boranes_with_carbon_molecule = y2 & ~frame["anion_contains_carbon"].to_numpy()
    assert boranes_with_carbon_molecule.sum() == 108
    assert (y2 & frame["anion_contains_carbon"].to_numpy()).sum() == 180
    assert set(frame.loc[boranes_with_carbon_molecule, "molecule"]) == {"CH3NH2", "(CH3)2CHNH2"}


def test_counts_are_charge_balanced_and_match_the_parsed_formulas() -> None:
    candidates = enumerate_candidates(paper_space())
    frame = candidates.frame
    # the paper's space is written as Dataset 2 writes it: two anions per formula unit, cations to balance
    closo = frame["anion"].isin(["B10H10", "B12H12"])
    assert (frame["anion_count"] == 2).all()
    assert (frame.loc[closo, "cation_count"] == 2).all() and (frame.loc[~closo, "cation_count"] == 1).all()
    for i in range(len(frame)):
        parsed = parse_formula(frame["formula"].iloc[i])
        expected = parsed.composition.get_el_amt_dict()
        row = dict(zip(candidates.counts.elements, candidates.counts.counts[i], strict=True))
        assert {k: v for k, v in row.items() if v} == pytest.approx(expected), frame["formula"].iloc[i]
        assert parsed.valence == 2 and parsed.neutral_molecule_count == frame["n"].iloc[i]


def test_space_from_toml_with_custom_components(tmp_path: Path) -> None:
    spec = tmp_path / "space.toml"
    spec.write_text(
        """
name = "mixed"
n_values = [0.5, 1]
cations = ["Li", {symbol = "Mg", charge = 2}]
anions = ["B12H12", {name = "BH4", formula = "BH4", charge = -1, family = "nido-borane"}]
molecules = ["NH3", {name = "MeNH2", formula = "CH5N"}]
[[routes]]
model = "a"
molecule_contains_carbon = false
[[routes]]
model = "b"
anion_families = ["nido-borane"]
""",
        encoding="utf-8",
    )
    space = CandidateSpace.from_toml(spec)
    assert space.name == "mixed" and space.size == 2 * 2 * 2 * 2
    frame = enumerate_candidates(space).frame
    assert "Li2B12H12·0.5NH3" in set(frame["formula"]) and "Mg(BH4)2·MeNH2" in set(frame["formula"])
    li = frame[(frame["cation"] == "Li") & (frame["anion"] == "B12H12")]
    assert (li["cation_count"] == 2).all() and (li["anion_count"] == 1).all()
    a, b = (route_mask(r, frame) for r in space.routes)
    assert a.sum() == 8 and b.sum() == 8 and np.all(frame.loc[b, "anion"] == "BH4")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cations = ['Mg']\nanions = ['BH4']\nmolecules = ['NH3']", "missing key 'n_values'"),
        (
            "cations = ['Mg']\nanions = ['XYZ9']\nmolecules = ['NH3']\nn_values = [1]",
            "'XYZ9' is not a known unit",
        ),
        ("cations = ['Mg']\nanions = ['NH3']\nmolecules = ['NH3']\nn_values = [1]", "negative charges"),
        (
            "cations = ['Mg']\nanions = ['BH4']\nmolecules = ['NH3']\nn_values = [1]\n"
            "[[routes]]\nmodel='y'\ncolour=1",
            "unknown key",
        ),
        ("cations = [", "cannot read candidate space"),
    ],
)
def test_bad_specs_name_the_file_and_the_problem(tmp_path: Path, text: str, message: str) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        CandidateSpace.from_toml(spec)
    assert "bad.toml" in str(info.value)
