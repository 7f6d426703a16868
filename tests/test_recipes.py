"""The recipe contract: one home for each method's defaults (CLI, pipeline stage and profiles agree),
recipes run from a notebook call, MetaD in chunks with a stopping rule, and every result rebuilt from
``summary.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones
from ase.io import write
from typer.testing import CliRunner

from sselab.cli.main import app
from sselab.errors import SimulationError
from sselab.pipeline import load_config
from sselab.pipeline.sim_stages import metad_settings, search_settings
from sselab.recipes import RECIPES, get_recipe, load_result
from sselab.simulate import (
    MDArrheniusSettings,
    MetaDSettings,
    NEBSettings,
    RelaxSettings,
    metad_of_structure,
    relax_structure,
)
from sselab.simulate.metad.result import MetaDResult
from sselab.simulate.relaxation import RelaxationResult
from sselab.simulate.runfolder import RunFolder
from sselab.structures import MemoryCheckpoint, SearchSettings, run_search, search_cell
from sselab.structures.recipe import SearchSummary, summarise_search
from sselab.structures.settings import settings_for_profile


def _capture(monkeypatch: pytest.MonkeyPatch, target: str) -> dict[str, Any]:
    """Replace the recipe ``target`` (as the CLI module imported it) by one that records its settings."""
    seen: dict[str, Any] = {}

    def fake(*args: Any, settings: Any, **kwargs: Any) -> Any:
        seen["settings"], seen["kwargs"] = settings, kwargs
        raise SimulationError("stopped by the test")

    monkeypatch.setattr(target, fake)
    return seen


@pytest.mark.parametrize(
    ("command", "target", "cls"),
    [
        ("metad", "sselab.cli.simulate.metad_of_structure", MetaDSettings),
        ("neb", "sselab.cli.methods.neb_of_structure", NEBSettings),
        ("md-arrhenius", "sselab.cli.methods.md_arrhenius_of_structure", MDArrheniusSettings),
        ("relax", "sselab.cli.methods.relax_structure", RelaxSettings),
    ],
)
def test_cli_defaults_are_the_settings_class_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, target: str, cls: Any
) -> None:
    seen = _capture(monkeypatch, target)
    write(tmp_path / "Cu.cif", bulk("Cu", cubic=True))
    result = CliRunner().invoke(app, [command, str(tmp_path / "Cu.cif")])
    assert "stopped by the test" in result.output
    assert seen["settings"] == cls()


def test_metad_settings_agree_between_cli_pipeline_stage_and_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every field a profile does not set is the settings default, in the CLI and in the stage alike."""
    defaults = MetaDSettings()
    assert metad_settings("metad", {})[1] == defaults
    seen = _capture(monkeypatch, "sselab.cli.simulate.metad_of_structure")
    write(tmp_path / "Cu.cif", bulk("Cu", cubic=True))
    for profile in ("quick", "paper"):
        config = load_config(profile)
        for stage in ("metad", "validation"):
            params = config.params(stage)
            own, settings = metad_settings(stage, params)
            listed = set(params) - set(own)
            for field in MetaDSettings.model_fields:
                expected = params[field] if field in listed else getattr(defaults, field)
                assert getattr(settings, field) == pytest.approx(expected), (profile, stage, field)
            # the same values given on the command line build the same settings
            args = [
                (f"--{k.replace('_', '-')}" if v else f"--no-{k.replace('_', '-')}")
                if isinstance(v, bool)
                else f"{'--' + k.replace('_', '-')}={v}"
                for k, v in params.items()
                if k in listed
            ]
            CliRunner().invoke(app, ["metad", str(tmp_path / "Cu.cif"), *args])
            assert seen.pop("settings") == settings, (profile, stage)


def test_pipeline_paper_and_search_run_profile_paper_use_the_same_search_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own, stage = search_settings("search", load_config("paper").params("search"))
    assert own["profile"] == "paper"
    seen = _capture(monkeypatch, "sselab.cli.search.search_structures")
    runner = CliRunner()
    db = ["--db", str(tmp_path / "s.sqlite")]
    runner.invoke(app, ["search", "run", "Mg(BH4)2·2NH3", "--z", "2", "--profile", "paper", *db])
    cli = seen.pop("settings")
    # identical settings; only where the computation runs (threads) is the pipeline profile's own choice
    assert cli.as_dict() | {"threads": None} == stage.as_dict() | {"threads": None}
    assert cli == settings_for_profile("paper")
    runner.invoke(
        app, ["search", "run", "Mg(BH4)2·2NH3", "--z", "2", "--profile", "paper", "--threads", "4", *db]
    )
    assert seen.pop("settings") == stage
    quick_own, quick = search_settings("search", load_config("quick").params("search"))
    assert quick == settings_for_profile(
        "quick", budget=8, population_size=4, relax_steps=10, release_steps=5
    )
    assert quick_own["z"] == 1 and quick_own["n_best"] == 3


def test_metad_runs_in_chunks_that_restart_exactly_and_stops_when_the_rule_says_so(tmp_path: Path) -> None:
    cell = bulk("Cu", cubic=True)
    settings = MetaDSettings(
        potential="emt", temperature_k=800.0, steps=300, timestep_fs=2.0, height_ev=0.1, pace=10,
        bias_factor=20.0, supercell_min_length_a=7.0, seed=3, checkpoint_every=50, protocol="vacancy",
        width_a=0.2, npt_steps=0, equilibration_steps=0, relax_steps=0,
    )  # fmt: skip
    whole = metad_of_structure(cell, "Cu", settings=settings, run_dir=tmp_path / "whole")
    # the default stopping rule judges it: 0.6 ps cannot converge
    assert whole.steps_done == 300 and whole.converged is False
    assert "not converged at the cap of 300 steps" in str(whole.convergence_reason)

    seen: list[int] = []

    def rule(result: MetaDResult) -> tuple[bool | None, str]:
        seen.append(result.steps_done)
        return result.steps_done >= 200, f"test rule at {result.steps_done} steps"

    stopped = metad_of_structure(
        cell,
        "Cu",
        settings=settings.replace(chunk_steps=100),
        run_dir=tmp_path / "chunks",
        stopping_rule=rule,
    )
    assert seen == [100, 200] and stopped.steps_done == 200
    assert stopped.converged is True and stopped.convergence_reason == "test rule at 200 steps"
    summary = json.loads((tmp_path / "chunks" / "summary.json").read_text())
    assert summary["converged"] is True and summary["settings"]["steps"] == 300
    # carrying on to the full length continues exactly: the same hills as one uninterrupted run
    rest = metad_of_structure(
        cell, "Cu", settings=settings.replace(chunk_steps=100), run_dir=tmp_path / "chunks"
    )
    assert rest.steps_done == 300
    assert (tmp_path / "chunks" / "outputs" / "HILLS").read_text() == (
        tmp_path / "whole" / "outputs" / "HILLS"
    ).read_text()


def test_every_run_folder_result_is_rebuilt_from_its_summary(tmp_path: Path) -> None:
    relaxed = relax_structure(
        bulk("Cu", cubic=True, a=3.7), potential="emt", fmax=0.02, steps=50, run_dir=tmp_path / "relax"
    )
    summary = json.loads((tmp_path / "relax" / "summary.json").read_text())
    back = RelaxationResult.from_dict(summary)
    assert back.as_dict() == relaxed.as_dict() and back.converged
    assert np.allclose(back.atoms.cell, relaxed.atoms.cell)
    assert isinstance(load_result(tmp_path / "relax"), RelaxationResult)
    with pytest.raises(SimulationError, match="not a 'metad' one"):
        MetaDResult.from_dict(summary)


def test_a_search_summary_round_trips_through_its_summary_file(tmp_path: Path) -> None:
    cell = search_cell("LiBH4", 2, [("Li", 1), ("BH4", 1)])
    settings = SearchSettings(budget=3, population_size=2, relax_steps=1, release_steps=1)
    lj = LennardJones(sigma=1.0, epsilon=0.05, rc=4.0, smooth=True)
    result = run_search(cell, lj, MemoryCheckpoint(), "rt", settings)
    summary = summarise_search(result, tmp_path / "out", n_best=2)
    RunFolder(tmp_path / "out").write_summary(summary)
    stored = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert SearchSummary.from_dict(stored) == summary
    assert load_result(stored) == summary and len(summary.best) == 2


def test_the_registry_names_every_method_with_its_settings_and_result() -> None:
    assert sorted(RECIPES) == ["md-arrhenius", "metad", "metad-replicas", "neb", "relax", "search"]
    for name, recipe in RECIPES.items():
        assert recipe.result.kind == name
        assert callable(recipe.function) and hasattr(recipe.settings, "from_dict")
    with pytest.raises(SimulationError, match="unknown method 'defects'"):
        get_recipe("defects")


def test_cli_relax_writes_a_run_folder_that_round_trips(tmp_path: Path) -> None:
    write(tmp_path / "Cu.cif", bulk("Cu", cubic=True, a=3.7))
    out = tmp_path / "relax"
    args = [
        "relax",
        str(tmp_path / "Cu.cif"),
        "--potential",
        "emt",
        "--fmax",
        "0.02",
        "--steps",
        "60",
        "--out",
    ]
    result = CliRunner().invoke(app, [*args, str(out)])
    assert result.exit_code == 0, result.output
    assert "eV/atom (converged" in result.output
    relaxed = load_result(out)
    assert isinstance(relaxed, RelaxationResult) and relaxed.settings.fmax == 0.02
    assert relaxed.atoms.cell.volume < (3.7**3)  # EMT copper's lattice constant is 3.59 Å


def test_search_run_config_file_with_explicit_options_overriding_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _capture(monkeypatch, "sselab.cli.search.search_structures")
    config = tmp_path / "search.toml"
    config.write_text('profile = "paper"\nbudget = 40\nrelax_steps = 20\nseed = 9\n')
    args = ["search", "run", "LiBH4", "--z", "2", "--db", str(tmp_path / "s.sqlite"), "--config", str(config)]
    CliRunner().invoke(app, [*args, "--budget", "12"])
    assert seen["settings"] == settings_for_profile("paper", budget=12, relax_steps=20, seed=9)
