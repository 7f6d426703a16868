"""``sselab db init | stats | query`` through Typer's CliRunner."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from sselab.cli import db as db_cli
from sselab.store import ConductivityRecord, ImportBatch, MaterialRecord, open_store
from sselab.store.engine import head_revision


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Test root."""

    db_cli.register(root)
    return root


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    path = tmp_path / "cli.sqlite"
    store = open_store(str(path))
    m = MaterialRecord.from_formula("Mg(BH4)2·2NH3")
    rows = [ConductivityRecord(m, 300.0 + 10 * i, 1e-6 * (i + 1), source="10.1/cli") for i in range(5)]
    store.import_batch(ImportBatch("demo", "f" * 64, "cli.csv", conductivities=rows))
    store.close()
    return path


def test_db_init_creates_store_and_prints_url(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "new" / "s.sqlite"
    result = CliRunner().invoke(app, ["db", "init", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert f"sqlite:///{path}" in result.output and str(head_revision()) in result.output
    assert path.is_file()


def test_db_init_uses_sselab_db_env(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sselab.config import get_settings

    monkeypatch.setenv("SSELAB_DB", f"sqlite:///{tmp_path / 'env.sqlite'}")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["db", "init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env.sqlite").is_file()


def test_db_stats_counts_rows(app: typer.Typer, store_file: Path) -> None:
    result = CliRunner().invoke(app, ["db", "stats", "--db", str(store_file)])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "conductivity_measurements" in x)
    assert line.split("│")[2].strip() == "5"


def test_db_query_prints_rows_truncates_and_writes_csv(
    app: typer.Typer, store_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "rows.csv"
    sql = "SELECT temperature_k, conductivity_s_per_cm FROM conductivity_measurements ORDER BY id"
    args = ["db", "query", sql, "--db", str(store_file), "--max-rows", "3", "--csv", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "3 rows (truncated at --max-rows 3)" in result.output
    table = result.output.split("rows written to")[0]  # the CSV's path may hold any digits (pytest-330)
    assert "320" in table and "330" not in table
    frame = pd.read_csv(out)
    assert frame.temperature_k.tolist() == [300.0, 310.0, 320.0]


def test_db_query_refuses_writes_and_leaves_file_unchanged(app: typer.Typer, store_file: Path) -> None:
    before = hashlib.sha256(store_file.read_bytes()).hexdigest()
    for sql in ("DELETE FROM materials", "SELECT 1; DROP TABLE materials", "PRAGMA user_version=5"):
        result = CliRunner().invoke(app, ["db", "query", sql, "--db", str(store_file)])
        assert result.exit_code == 2
        assert "query refused" in result.output
    assert hashlib.sha256(store_file.read_bytes()).hexdigest() == before
