"""``sselab metad`` and ``sselab fes`` end to end (EMT copper with a vacancy: no MLIP needed)."""

from __future__ import annotations

import json
from pathlib import Path

from ase.build import bulk
from ase.io import write
from typer.testing import CliRunner

from sselab.cli.main import app


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
        "--seed",
        "3",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "run folder" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "metad" and summary["seed"] == 3
    assert summary["parameters"]["potential"] == "emt" and summary["parameters"]["cation"] == "Cu"
    assert summary["results"]["steps_done"] == 300 and summary["results"]["n_hills"] == 30
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


def test_metad_reports_bad_input(tmp_path: Path) -> None:
    write(tmp_path / "Cu.cif", bulk("Cu", cubic=True))
    result = CliRunner().invoke(
        app, ["metad", str(tmp_path / "Cu.cif"), "--cation", "Mg", "--potential", "emt"]
    )
    assert result.exit_code == 1
    assert "no Mg atom" in result.output


def test_barrier_is_recorded_in_the_store(tmp_path: Path) -> None:
    import pytest

    store_module = pytest.importorskip("sselab.store")
    from sselab.simulate.recording import record_activation_energy
    from sselab.simulate.runfolder import RunFolder

    folder = RunFolder.create(tmp_path / "run")
    summary = folder.write_summary(
        "metad", {"potential": "emt", "pace": 10}, {"barriers": {"kind": "one-step"}}, 1
    )
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    ea_id = record_activation_energy(
        url, summary, folder.root, "LiBH4", 0.61, 0.04, potential="chgnet", temperature_k=500.0
    )
    frame = store_module.open_store(url).activation_energy_frame(method="MetaD")
    row = frame.set_index("ea_id").loc[ea_id]
    assert row["activation_energy_ev"] == 0.61 and row["potential"] == "chgnet"
    assert row["run_folder"] == str(folder.root.resolve())


def test_activation_energy_with_temperature_range_and_no_uncertainty(tmp_path: Path) -> None:
    import pytest

    from sselab.errors import SimulationError

    store_module = pytest.importorskip("sselab.store")
    from sselab.simulate.recording import record_activation_energy
    from sselab.simulate.runfolder import RunFolder

    folder = RunFolder.create(tmp_path / "run")
    summary = folder.write_summary("md-arrhenius", {"potential": "emt"}, {}, 1)
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    ea_id = record_activation_energy(
        url,
        summary,
        folder.root,
        "Li2O",
        0.4,
        None,
        method="MLMD",
        temperature_min_k=600.0,
        temperature_max_k=900.0,
    )
    row = store_module.open_store(url).activation_energy_frame(method="MLMD").set_index("ea_id").loc[ea_id]
    assert (row["temperature_min_k"], row["temperature_max_k"]) == (600.0, 900.0)
    assert row["uncertainty_ev"] is None or row["uncertainty_ev"] != row["uncertainty_ev"]  # None / NaN
    with pytest.raises(SimulationError, match="not both"):
        record_activation_energy(
            url, summary, folder.root, "Li2O", 0.4, None, temperature_k=700.0, temperature_min_k=600.0
        )
    with pytest.raises(SimulationError, match="above"):
        record_activation_energy(
            url, summary, folder.root, "Li2O", 0.4, None, temperature_min_k=900.0, temperature_max_k=600.0
        )


def test_report_shows_missing_uncertainty_as_n_a_with_its_reason(tmp_path: Path) -> None:
    import numpy as np
    from rich.console import Console

    from sselab.cli.simulate import _report
    from sselab.simulate.metad.barriers import find_barriers
    from sselab.simulate.metad.fes import FES
    from sselab.simulate.runfolder import RunFolder

    x = np.linspace(-0.5, 2.5, 301)
    barriers = find_barriers(FES(("x",), (x,), 0.5 * (1 - (x - 1) ** 2) ** 2, "hills"), start=[0.0])
    folder = RunFolder.create(tmp_path)
    folder.write_summary("metad", {}, {"uncertainty_reason": "too little sampling (run longer)"}, 0)
    console = Console(record=True, width=120)
    _report(console, folder.root, barriers, None)
    text = console.export_text()
    assert "uncertainty" in text and "n/a" in text and "0.500" in text
    assert "too little sampling (run longer)" in text
