"""Insight recipes on the real wang2025-ea data, their ranking for questions, and the insights CLI."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu
from typer.testing import CliRunner

from sselab.assistant import ToolContext
from sselab.assistant.insights import RECIPES, rank_recipes, run_recipe
from test_assistant_support import real_store_file

# Neutral molecules written in the spreadsheet's formulas (its note row: diglyme, en, THF), matched
# independently of sselab.chem so that the recipe's grouping is checked against a second reading of the file.
NEUTRAL = re.compile(r"NH3|H2O|CH3NH2|CHNH2|\(en\)|\den|-en|NH2CH2CH2NH2|THF|diglyme")


@pytest.fixture
def store_path(tmp_path_factory: pytest.TempPathFactory, dataset_mirror: Path) -> Path:
    return real_store_file(tmp_path_factory)


@pytest.fixture
def divalent_groups(dataset_mirror: Path) -> tuple[pd.Series, pd.Series]:
    rows = pd.read_excel(dataset_mirror / "wang2025/supplementary_dataset_1.xlsx").dropna(subset=["Ea (eV)"])
    divalent = rows[rows["Valence"] == "Divalent"]
    has = divalent["Pretty_Formula"].astype(str).str.contains(NEUTRAL)
    return divalent.loc[has, "Ea (eV)"], divalent.loc[~has, "Ea (eV)"]


def test_neutral_molecules_recipe_reports_the_numbers_behind_its_findings(
    store_path: Path, tmp_path: Path, divalent_groups: tuple[pd.Series, pd.Series]
) -> None:
    result = run_recipe("neutral-molecules", ToolContext(url=str(store_path), out_dir=tmp_path))
    assert result.ok
    with_nm, without = divalent_groups
    data = result.data
    assert data["ea_with_neutral_ev"]["n"] == len(with_nm)
    assert data["ea_without_neutral_ev"]["n"] == len(without)
    assert data["ea_with_neutral_ev"]["median"] == pytest.approx(np.median(with_nm))
    assert data["ea_without_neutral_ev"]["median"] == pytest.approx(np.median(without))
    assert data["mann_whitney"]["p_value"] == pytest.approx(mannwhitneyu(with_nm, without).pvalue)
    # The paper: divalent SSEs without neutral molecules are rare.
    assert len(without) < len(with_nm)
    assert "rarer group" in data["findings"][0]
    # The Ea verdict follows the data, whichever way they point.
    lower = np.median(with_nm) < np.median(without)
    assert ("do NOT show lower barriers" in data["findings"][1]) == (not lower)
    assert any("no σ(T) points" in f for f in data["findings"])  # wang2025-ea holds Ea only
    assert Path(result.figures[0]).read_bytes()[:4] == b"\x89PNG"
    assert Path(result.files[0]).exists() and len(result.dois) > 10


def test_neutral_molecules_recipe_uses_conductivities_when_present(store_path: Path, tmp_path: Path) -> None:
    result = run_recipe("neutral-molecules", ToolContext(url=str(store_path), out_dir=tmp_path), valence=1)
    sigma = result.data["conductivity"]
    assert sigma["n_points"] >= 820  # liverpool-ionics Li points
    assert sigma["without"]["n_materials"] > 0
    assert any(f.startswith("σ(T):") for f in result.data["findings"])


def test_recipe_parameters_are_validated(store_path: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="valence"):
        run_recipe("neutral-molecules", ToolContext(url=str(store_path), out_dir=tmp_path), valence="two")
    with pytest.raises(LookupError, match="methods-vs-experiment"):
        run_recipe("nope", ToolContext(url=str(store_path), out_dir=tmp_path))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How far are CI-NEB and AIMD barriers from experiment?", "methods-vs-experiment"),
        ("Does NH3 in Mg(BH4)2 help divalent conduction?", "neutral-molecules"),
        ("Which simulation method is most accurate for activation energies?", "methods-vs-experiment"),
        ("Are neutral molecules good for divalent hydrides?", "neutral-molecules"),
    ],
)
def test_questions_rank_the_matching_recipe_first(question: str, expected: str) -> None:
    ranked = rank_recipes(question)
    assert ranked[0][0].name == expected
    assert ranked[0][1] > ranked[1][1]
    assert len(ranked) == len(RECIPES)


def test_insights_cli_list_and_run(store_path: Path, tmp_path: Path) -> None:
    from sselab.cli.main import app

    runner = CliRunner()
    listed = runner.invoke(app, ["insights", "list"])
    assert (
        listed.exit_code == 0
        and "neutral-molecules" in listed.output
        and "methods-vs-experiment" in listed.output
    )
    ran = runner.invoke(
        app,
        [
            "insights",
            "run",
            "neutral-molecules",
            "--db",
            str(store_path),
            "--out",
            str(tmp_path),
            "-p",
            "valence=2",
        ],
    )
    assert ran.exit_code == 0, ran.output
    assert "median Ea with neutral molecules" in ran.output and "p_value" in ran.output
    assert "insight-neutral-molecules-valence2.png" in ran.output
    methods = runner.invoke(
        app, ["insights", "run", "methods-vs-experiment", "--db", str(store_path), "--out", str(tmp_path)]
    )
    assert methods.exit_code == 0 and "no computed Ea in the store yet" in methods.output
    bad = runner.invoke(app, ["insights", "run", "nope", "--db", str(store_path)])
    assert bad.exit_code != 0
