"""``sselab data ...`` and ``sselab demo`` through Typer's test runner, on the mirror."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sselab.cli.main import app

runner = CliRunner()


def test_data_list_shows_the_registry() -> None:
    result = runner.invoke(app, ["data", "list"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for name in ("wang2025-ea", "obelix", "liverpool-ionics", "laskowski2023"):
        assert name in result.output


def test_data_fetch_reports_verified_paths(dataset_mirror: Path) -> None:
    result = runner.invoke(app, ["data", "fetch", "obelix"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "all_cifs.zip" in result.output and "sha256 verified" in result.output


def test_data_fetch_unknown_name_fails_clearly() -> None:
    result = runner.invoke(app, ["data", "fetch", "nope"])
    assert result.exit_code == 2
    assert "unknown dataset 'nope'" in result.output


def test_data_import_prints_report_and_rejects_bad_unit(tmp_path: Path, dataset_mirror: Path) -> None:
    db = str(tmp_path / "s.sqlite")
    result = runner.invoke(
        app, ["data", "import", "liverpool-ionics", "--db", db, "--temperature-unit", "C"], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    assert "820 rows read, 820 imported" in result.output and "820 rows added" in result.output
    assert "temperature unit C set by the user" in result.output
    bad = runner.invoke(app, ["data", "import", "liverpool-ionics", "--db", db, "--temperature-unit", "F"])
    assert bad.exit_code == 2 and "use C, K or auto" in bad.output


def test_demo_imports_everything_and_writes_the_figure(tmp_path: Path, dataset_mirror: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["demo", "--out", str(out), "--db", str(tmp_path / "demo.sqlite")], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    assert "Per dataset" in result.output and "Per cation" in result.output
    figure = out / "figure1b_hydride_conductivity.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
