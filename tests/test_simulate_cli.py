"""``sselab metad`` and ``sselab fes`` end to end (EMT copper with a vacancy: no MLIP needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ase.build import bulk
from ase.io import write
from typer.testing import CliRunner

from sselab.cli.main import app
from sselab.errors import SimulationError
from sselab.simulate.metad.result import MetaDResult
from sselab.simulate.settings import MetaDSettings


def test_metad_then_fes_write_a_complete_run_folder(tmp_path: Path) -> None:
    write(tmp_path / "Cu.cif", bulk("Cu", cubic=True))
    out = tmp_path / "run"
    args = [
        "metad",
        str(tmp_path / "Cu.cif"),
        "--cation",
        "Cu",
        "--potential",
        "emt",
        "--temperature-k",
        "800",
        "--steps",
        "300",
        "--timestep-fs",
        "2",
        "--height-ev",
        "0.1",
        "--width",
        "0.2",
        "--pace",
        "10",
        "--bias-factor",
        "20",
        "--cv",
        "displacement",
        "--supercell-min-length-a",
        "7",
        "--protocol",
        "vacancy",
        "--npt-steps",
        "0",
        "--equilibration-steps",
        "0",
        "--relax-steps",
        "0",
        "--seed",
        "3",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "run folder" in result.output and "NOT converged: not converged at the cap" in result.output
    assert "host drift" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "metad" and summary["settings"]["seed"] == 3
    assert summary["settings"]["potential"] == "emt" and summary["structure"]["cation"] == "Cu"
    assert summary["steps_done"] == 300 and summary["n_hills"] == 30
    assert summary["settings"]["protocol"] == "vacancy" and summary["converged"] is False
    assert summary["max_host_drift_a"] < 0.5
    result_back = MetaDResult.from_dict(summary)
    assert result_back.settings.width_a == 0.2 and result_back.settings.temperature_k == 800.0
    assert len(result_back.hills.heights_ev) == 30  # read back from outputs/HILLS
    for name in (
        "outputs/HILLS",
        "outputs/COLVAR",
        "inputs/start.extxyz",
        "figures/track.png",
        "figures/fes.png",
    ):
        assert (out / name).is_file(), name

    again = CliRunner().invoke(app, ["fes", str(out), "--bins", "100"])
    assert again.exit_code == 0, again.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["reanalysed_with"]["bins"] == 100
    reanalysed = MetaDResult.from_dict(summary)
    assert reanalysed.settings.fes_bins == 100 and reanalysed.steps_done == 300


def test_metad_reports_bad_input(tmp_path: Path) -> None:
    write(tmp_path / "Cu.cif", bulk("Cu", cubic=True))
    result = CliRunner().invoke(
        app, ["metad", str(tmp_path / "Cu.cif"), "--cation", "Mg", "--potential", "emt"]
    )
    assert result.exit_code == 2
    assert "no Mg atom" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--temperature-k", "nan", "--temperature-k: Input should be a finite number"),
        ("--temperature-k", "-300", "--temperature-k: Input should be greater than 0"),
        ("--width-a", "0", "--width-a: Input should be greater than 0"),
        ("--steps", "0", "--steps: Input should be greater than or equal to 1"),
        ("--seed", "-1", "--seed: Input should be greater than or equal to 0"),
        ("--threads", "0", "--threads: Input should be greater than or equal to 1"),
        ("--potential", "chgnet-typo", "--potential: unknown potential"),
        ("--supercell-min-length-a", "40", "--supercell-min-length-a: 40 Å makes a cell of"),
        (
            "--protocol",
            "frankel",
            "--protocol: Input should be 'frenkel', 'vacancy', 'interstitial' or 'paper'",
        ),
        ("--direction", "1,0", "--direction: expected three numbers"),
    ],
)
def test_metad_refuses_impossible_options_before_any_work(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    write(tmp_path / "Cu.cif", bulk("Cu", cubic=True))
    args = ["metad", str(tmp_path / "Cu.cif"), "--cation", "Cu", "--potential", "emt", "--out"]
    result = CliRunner().invoke(app, [*args, str(tmp_path / "run"), option, value])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "run" / "outputs" / "HILLS").exists()  # nothing ran


def test_metad_refuses_an_element_the_potential_cannot_describe_and_a_file_as_run_folder(
    tmp_path: Path,
) -> None:
    write(tmp_path / "LiCu.cif", bulk("Cu", cubic=True))
    atoms = bulk("Cu", cubic=True)
    atoms.symbols[0] = "Li"
    write(tmp_path / "LiCu.cif", atoms)
    result = CliRunner().invoke(
        app, ["metad", str(tmp_path / "LiCu.cif"), "--cation", "Cu", "--potential", "emt"]
    )
    assert result.exit_code == 2 and "--potential: emt does not support Li" in result.output
    (tmp_path / "afile").write_text("x")
    result = CliRunner().invoke(
        app, ["metad", str(tmp_path / "LiCu.cif"), "--cation", "Cu", "--potential", "emt", "--out",
              str(tmp_path / "afile")],
    )  # fmt: skip
    assert result.exit_code == 2 and "--out:" in result.output and "is a file, not a folder" in result.output


def test_metad_config_file_with_explicit_options_overriding_it(tmp_path: Path, monkeypatch) -> None:
    """``--config run.toml`` sets the options; one given on the command line wins over the file."""
    seen: dict[str, MetaDSettings] = {}

    def fake_recipe(structure, cation, *, settings, run_dir, **kwargs):
        seen["settings"], seen["run_dir"], seen["cation"] = settings, run_dir, cation
        raise SimulationError("stopped by the test")

    monkeypatch.setattr("sselab.cli.simulate.metad_of_structure", fake_recipe)
    write(tmp_path / "Cu.cif", bulk("Cu", cubic=True))
    config = tmp_path / "run.toml"
    config.write_text(
        'cation = "Cu"\npotential = "emt"\ntemperature_k = 900.0\nsteps = 1234\nwidth-a = 0.15\n'
        f'out = "{tmp_path / "from-config"}"\ndirection = [1.0, 0.0, 0.0]\n'
    )
    result = CliRunner().invoke(
        app, ["metad", str(tmp_path / "Cu.cif"), "--config", str(config), "--steps", "77"]
    )
    assert "stopped by the test" in result.output
    settings = seen["settings"]
    assert settings == MetaDSettings(
        potential="emt", temperature_k=900.0, steps=77, width_a=0.15, direction=(1.0, 0.0, 0.0)
    )
    assert seen["cation"] == "Cu" and Path(seen["run_dir"]) == tmp_path / "from-config"
    bad = tmp_path / "bad.toml"
    bad.write_text("temprature_k = 900.0\n")
    result = CliRunner().invoke(app, ["metad", str(tmp_path / "Cu.cif"), "--config", str(bad)])
    assert result.exit_code == 2 and "unknown option(s) temprature_k" in result.output


def test_cli_defaults_are_the_settings_defaults(tmp_path: Path, monkeypatch) -> None:
    """The CLI builds exactly ``MetaDSettings()`` when no option is given (one home of the defaults)."""
    seen: dict[str, MetaDSettings] = {}

    def fake_recipe(structure, cation, *, settings, **kwargs):
        seen["settings"] = settings
        raise SimulationError("stopped by the test")

    monkeypatch.setattr("sselab.cli.simulate.metad_of_structure", fake_recipe)
    write(tmp_path / "Cu.cif", bulk("Cu", cubic=True))
    CliRunner().invoke(app, ["metad", str(tmp_path / "Cu.cif")])
    assert seen["settings"] == MetaDSettings()


def test_report_shows_missing_uncertainty_as_n_a_with_its_reason(tmp_path: Path) -> None:
    import numpy as np
    from rich.console import Console

    from sselab.cli.simulate import report_barriers
    from sselab.simulate.metad.analysis import MetaDAnalysis
    from sselab.simulate.metad.barriers import find_barriers
    from sselab.simulate.metad.fes import FES

    x = np.linspace(-0.5, 2.5, 301)
    fes = FES(("x",), (x,), 0.5 * (1 - (x - 1) ** 2) ** 2, "hills")
    analysis = MetaDAnalysis(
        fes, find_barriers(fes, start=[0.0]), None, {"uncertainty_reason": "too little sampling (run longer)"}
    )
    result = MetaDResult(MetaDSettings(), tmp_path, analysis, 100, 2, 1.0, ("x",), (0.1,), (0.0,))
    console = Console(record=True, width=120)
    report_barriers(console, result)
    text = console.export_text()
    assert "uncertainty" in text and "n/a" in text and "0.500" in text
    assert "too little sampling (run longer)" in text
    assert MetaDResult.from_dict(result.as_dict()).as_dict() == result.as_dict()
