"""``sselab arrhenius`` against a real SQLite store (typer's CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from sselab.cli.main import app
from sselab.store import ConductivityRecord, ImportBatch, MaterialRecord, open_store
from sselab.transport import BOLTZMANN_EV_PER_K

runner = CliRunner()


def make_store(path: Path) -> str:
    """A store with a two-phase σ(T) series (transition at 385 K) of one material from one source."""
    url = f"sqlite:///{path}"
    store = open_store(url)
    material = MaterialRecord.from_formula("LiBH4", dataset="test")
    temperature = np.linspace(300.0, 450.0, 16)
    kt = BOLTZMANN_EV_PER_K * temperature
    sigma = np.where(
        temperature < 385.0, 1e6 / temperature * np.exp(-0.7 / kt), 1e4 / temperature * np.exp(-0.3 / kt)
    )
    records = tuple(
        ConductivityRecord(material, float(t), float(s), source="10.1000/test", dataset="test", row_number=i)
        for i, (t, s) in enumerate(zip(temperature, sigma, strict=True))
    )
    store.import_batch(ImportBatch("test", file_sha256="cd" * 32, file_name="t.csv", conductivities=records))
    store.close()
    return url


def test_arrhenius_command_fits_and_writes_png(tmp_path: Path) -> None:
    url = make_store(tmp_path / "s.sqlite")
    result = runner.invoke(
        app, ["arrhenius", "LiBH4", "--db", url, "--two-phase", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    assert "low T" in result.output and "high T" in result.output
    assert "0.700 ± 0.000" in result.output and "0.300 ± 0.000" in result.output
    assert "breakpoint" in result.output and "supported" in result.output
    png = tmp_path / "o" / "arrhenius_LiBH4.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
    summary = json.loads((tmp_path / "o" / "arrhenius_LiBH4.json").read_text())
    assert 380.0 <= summary[0]["fit"]["breakpoint_k"] <= 390.0


def test_arrhenius_command_single_line_and_fixed_breakpoint(tmp_path: Path) -> None:
    url = make_store(tmp_path / "s.sqlite")
    result = runner.invoke(
        app, ["arrhenius", "LiBH4", "--db", url, "--form", "sigma", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "Arrhenius fit of LiBH4 (sigma)" in result.output and "16" in result.output
    result = runner.invoke(
        app, ["arrhenius", "LiBH4", "--db", url, "--breakpoint-k", "400", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "fixed by the user" in result.output


def test_arrhenius_command_clear_errors(tmp_path: Path) -> None:
    url = make_store(tmp_path / "s.sqlite")
    result = runner.invoke(app, ["arrhenius", "NaBH4", "--db", url, "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "no conductivity points for formula 'NaBH4'" in result.output
    result = runner.invoke(app, ["arrhenius", "LiBH4", "--db", url, "--form", "log"])
    assert result.exit_code == 2 and "--form must be one of" in result.output


def test_arrhenius_command_on_imported_liverpool_data(tmp_path: Path, dataset_mirror: Path) -> None:
    from sselab.datasets import import_dataset

    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    store = open_store(url)
    import_dataset("liverpool-ionics", store, progress=False)
    store.close()
    result = runner.invoke(app, ["arrhenius", "Li0.5La0.5TiO3", "--db", url, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.count("10.1016/") == 3  # three sources, one fit each
    assert len(list(tmp_path.glob("arrhenius_Li0.5La0.5TiO3_*.png"))) == 3
