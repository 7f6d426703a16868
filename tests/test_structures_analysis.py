"""Search results: cation coordination, formation energy, convergence figure, CIFs, and the ``search show``
command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.lj import LennardJones
from typer.testing import CliRunner

from sselab.errors import SearchInputError
from sselab.structures import (
    MemoryCheckpoint,
    ReferencePhase,
    SearchSettings,
    cation_coordination,
    convergence_figure,
    formation_energy_ev_per_atom,
    run_search,
    search_cell,
    search_cell_from_formula,
    write_best_cifs,
)
from sselab.structures.units import get_unit


def _place(unit_name: str, centre: np.ndarray, towards: np.ndarray | None = None) -> np.ndarray:
    pos = np.array(get_unit(unit_name).positions_a)
    if towards is not None and len(pos) > 1:  # put the first hydrogen-free end (B or N) at `centre`
        pos = pos - pos[0]
    return pos + centre


def _mg_complex(nh3_far: bool) -> Atoms:
    """Mg with two BH4 (B at 2.4 Å) and two NH3 (N at 2.1 Å, or one moved 6 Å away), one unit per tag."""
    box = 14.0
    mg = np.array([7.0, 7.0, 7.0])
    symbols, positions, tags = ["Mg"], [mg], [0]
    centres = [
        ("BH4", mg + np.array([2.4, 0, 0])),
        ("BH4", mg + np.array([-2.4, 0, 0])),
        ("NH3", mg + np.array([0, 2.1, 0])),
        ("NH3", mg + np.array([0, -6.0, 0] if nh3_far else [0, -2.1, 0])),
    ]
    for tag, (name, centre) in enumerate(centres, start=1):
        pos = _place(name, centre, towards=mg)
        symbols += list(get_unit(name).symbols)
        positions += list(pos)
        tags += [tag] * len(pos)
    atoms = Atoms(symbols=symbols, positions=np.array(positions), cell=[box] * 3, pbc=True)
    atoms.set_tags(tags)
    return atoms


def test_coordination_counts_anions_and_molecules_around_the_cation() -> None:
    cell = search_cell_from_formula("Mg(BH4)2·2NH3", z=1)
    summary = cation_coordination(_mg_complex(nh3_far=False), cell)
    assert summary.per_cation == ({"BH4": 2, "NH3": 2},)
    assert summary.label() == "Mg: 2 BH4 + 2 NH3"
    far = cation_coordination(_mg_complex(nh3_far=True), cell)
    assert far.per_cation == ({"BH4": 2, "NH3": 1},)
    assert far.mean() == {"BH4": 2.0, "NH3": 1.0}


def test_formation_energy_against_references() -> None:
    # Mg(BH4)2·2NH3 = Mg(BH4)2 + 2 NH3: (E − E_MgBH4 − 2 E_NH3) / 19 atoms
    refs = [ReferencePhase("Mg(BH4)2", "MgB2H8", -40.0), ReferencePhase("NH3", "NH3", -19.0)]
    energy_total = -40.0 - 2 * 19.0 - 0.95
    value = formation_energy_ev_per_atom("MgB2H14N2", energy_total / 19, refs)
    assert value == pytest.approx(-0.95 / 19)
    with pytest.raises(SearchInputError, match="cannot make"):
        formation_energy_ev_per_atom("MgB2H14N2", -4.0, refs[:1])


def test_convergence_figure_and_best_cifs(tmp_path: Path) -> None:
    calc = LennardJones(sigma=1.0, epsilon=0.05, rc=4.0, smooth=True)
    cell = search_cell("LiBH4", 4, [("Li", 1), ("BH4", 1)])
    result = run_search(
        cell,
        calc,
        MemoryCheckpoint(),
        "fig",
        SearchSettings(budget=4, population_size=2, relax_steps=1, release_steps=1),
    )
    fig = convergence_figure({"ga": result}, title="LiBH4")
    fig.savefig(tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 1000
    paths = write_best_cifs(result, tmp_path / "best", n_best=2)
    assert len(paths) == 2 and all(p.read_text().startswith("# generated using pymatgen") for p in paths)


def test_search_show_prints_best_individuals_with_coordination(tmp_path: Path) -> None:
    from sselab.cli.main import app
    from sselab.store import open_store

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    calc = LennardJones(sigma=1.0, epsilon=0.05, rc=4.0, smooth=True)
    cell = search_cell_from_formula("LiBH4", z=2)
    run_search(
        cell,
        calc,
        open_store(url),
        "shown",
        SearchSettings(budget=3, population_size=2, relax_steps=1, release_steps=1),
    )
    result = CliRunner().invoke(app, ["search", "show", "shown", "--db", url, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "shown: 3 individuals" in result.output and "Li:" in result.output
    assert (tmp_path / "out" / "convergence.png").exists()
    assert list((tmp_path / "out" / "best").glob("rank1_*.cif"))
    missing = CliRunner().invoke(app, ["search", "show", "nope", "--db", url])
    assert missing.exit_code == 1 and "no search run named 'nope'" in missing.output


def test_coordination_label_lists_every_environment() -> None:
    from sselab.structures.analysis import CoordinationSummary

    mixed = CoordinationSummary(cation="Mg", cutoff_a=2.6, per_cation=({"BH4": 3}, {"BH4": 2, "NH3": 1}))
    assert mixed.label() == "Mg: 3 BH4 (×1); 2 BH4 + 1 NH3 (×1)"
