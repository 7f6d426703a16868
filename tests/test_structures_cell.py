"""Search cells from compositions: unit counts per Z, and bad input rejected before any computation."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sselab.errors import SearchInputError
from sselab.structures.cell import scan_z, search_cell, search_cell_from_formula


def test_mg_borohydride_diammoniate_cell_for_z2() -> None:
    cell = search_cell_from_formula("Mg(BH4)2·2NH3", z=2)
    assert [(u.name, n) for u, n in cell.units] == [("Mg", 2), ("BH4", 4), ("NH3", 4)]
    assert cell.n_atoms == 2 + 4 * 5 + 4 * 4
    assert cell.cation == "Mg"


def test_isopropylamine_and_closo_units_are_recognised() -> None:
    cell = search_cell_from_formula("Mg(BH4)2·6(CH3)2CHNH2", z=1)
    assert {u.name: n for u, n in cell.units} == {"Mg": 1, "BH4": 2, "(CH3)2CHNH2": 6}
    assert search_cell_from_formula("Li2B12H12", z=1).n_atoms == 26


@pytest.mark.parametrize(
    ("formula", "z", "message"),
    [
        ("Mg(BH4)3", 1, "not charge balanced"),
        ("Mg(AlH4)2", 1, "unknown structure-search unit"),
        ("Mg(BH4)2·2THF", 1, "unknown structure-search unit"),
        ("Mg(BH4)2·1.5NH3", 1, "not a positive whole number"),
        ("Mg(BH4)2·6(CH3)2CHNH2", 4, "more than the limit"),
        ("LiBH4", 0, "Z must be a positive integer"),
        ("Li(BH4", 1, "cannot search"),
    ],
)
def test_bad_compositions_raise_search_input_error(formula: str, z: int, message: str) -> None:
    with pytest.raises(SearchInputError, match=message):
        search_cell_from_formula(formula, z)


def test_scan_z_keeps_the_valid_cells() -> None:
    assert [c.z for c in scan_z("Mg(BH4)2·1.5NH3", range(1, 7))] == [2, 4, 6]


def test_search_cell_from_unit_names() -> None:
    cell = search_cell("LiBH4", 4, [("Li", 1), ("BH4", 1)])
    assert cell.n_atoms == 24 and cell.n_units == 8


def test_cli_rejects_bad_input_before_loading_a_potential() -> None:
    from sselab.cli.main import app

    # mace-mp is not installed here: loading it would fail with its own message
    result = CliRunner().invoke(app, ["search", "run", "Mg(BH4)3", "--z", "1", "--potential", "mace-mp"])
    assert result.exit_code == 2
    assert "not charge balanced" in result.output
    assert "needs the Python package" not in result.output  # checked before the potential was loaded
    unknown = CliRunner().invoke(app, ["search", "run", "Mg(BH4)3", "--potential", "no-such-potential"])
    assert unknown.exit_code == 2
    assert "--potential: unknown potential, got 'no-such-potential'" in unknown.output


def test_cli_rejects_an_unknown_optimizer_before_loading_a_potential() -> None:
    from sselab.cli.main import app

    result = CliRunner().invoke(
        app,
        ["search", "run", "LiBH4", "--z", "4", "--optimizer", "CG", "--potential", "mace-mp"],
    )
    assert result.exit_code == 2
    assert "--optimizer: must be one of ('BFGS', 'LBFGS', 'FIRE'), got 'CG'" in result.output
    assert "needs the Python package" not in result.output
