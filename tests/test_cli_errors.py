"""No sselab command prints a traceback on bad input: every command's error paths, found by walking the app.

Every command (new ones are picked up automatically) is run with ``--help``, an unknown option, a missing
argument, a corrupted store file, a store path that is a folder, and nonexistent input files; each must end
with a message and an exit code (2 for bad input), never an exception. The top-level handler
(:class:`sselab.cli.errors.SselabGroup`) is also tested directly: an internal error gives one line with a
hint, ``--verbose`` gives the traceback, Ctrl-C gives exit code 130.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sselab.cli.errors import describe
from sselab.cli.lazy import LazyGroup
from sselab.cli.main import app
from sselab.errors import DataImportError

runner = CliRunner()
SKIP_STORE_CASES = {("mcp",)}
"""Commands that serve forever once started (mcp reads stdin): only their parse errors are tested."""


def _commands() -> Iterator[tuple[tuple[str, ...], object]]:
    def walk(command: object, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], object]]:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():  # the top-level commands are loaded on demand: load them
                real = command.real_command(name) if isinstance(command, LazyGroup) else sub
                yield from walk(real, (*path, name))
        else:
            yield path, command

    yield from walk(typer.main.get_command(app), ())


COMMANDS = list(_commands())
IDS = [" ".join(path) for path, _ in COMMANDS]


def _required_arguments(command: object, value: str) -> list[str]:
    return [value for p in getattr(command, "params", []) if p.param_type_name == "argument" and p.required]


def _options(command: object) -> set[str]:
    return {opt for p in getattr(command, "params", []) for opt in getattr(p, "opts", [])}


def assert_clean(result, *, codes: tuple[int, ...] = (2,)) -> None:  # type: ignore[no-untyped-def]
    """Ended by an exit code (no escaped exception), no traceback in the output."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output, result.output
    assert result.exit_code in codes, (result.exit_code, result.output)


def test_the_walk_finds_every_command_group() -> None:
    names = {path[0] for path, _ in COMMANDS}
    assert {"db", "data", "arrhenius", "ask", "pipeline"} <= names and len(COMMANDS) >= 30
    paths = {path for path, _ in COMMANDS}
    assert {("db", "init"), ("data", "import-table"), ("search", "run"), ("insights", "run")} <= paths


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_help_and_usage_errors_are_clean(path: tuple[str, ...], command: object) -> None:
    assert_clean(runner.invoke(app, [*path, "--help"]), codes=(0,))
    assert_clean(runner.invoke(app, [*path, "--no-such-option"]))
    if _required_arguments(command, "x"):
        assert_clean(runner.invoke(app, list(path)))  # a missing argument


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_corrupted_store_and_missing_files_are_clean(
    path: tuple[str, ...], command: object, tmp_path: Path
) -> None:
    if path in SKIP_STORE_CASES:
        pytest.skip("serves forever once started")
    options = _options(command)
    arguments = _required_arguments(command, str(tmp_path / "missing.cif"))
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database\n" * 100)
    outs = ["--out", str(tmp_path / "out")] if "--out" in options else []
    if "--db" in options:
        for store in (garbage, tmp_path):  # a corrupted file, a folder
            result = runner.invoke(app, [*path, *arguments, "--db", str(store), *outs])
            assert_clean(result, codes=(1, 2))
            assert "internal error" not in result.output, result.output
    elif arguments:
        result = runner.invoke(app, [*path, *arguments, *outs])
        assert_clean(result, codes=(1, 2))


def test_db_and_data_options_with_impossible_values(tmp_path: Path) -> None:
    db = str(tmp_path / "s.sqlite")
    for args in (
        ["db", "query", "SELECT 1", "--db", db, "--timeout", "nan"],
        ["db", "query", "SELECT 1", "--db", db, "--timeout", "-1"],
        ["db", "query", "SELECT 1", "--db", db, "--max-rows", "0"],
        ["db", "query", "DELETE FROM materials", "--db", db],
        ["db", "query", "SELECT 1", "--db", db, "--csv", str(tmp_path)],  # --csv is a folder
        ["db", "query", "SELECT 1", "--db", "postgresql+nosuchdriver://x/y"],
        ["data", "import", "nope", "--db", db],
        ["data", "import", "liverpool-ionics", "--db", db, "--temperature-unit", "F"],
        ["data", "import", "all", "--db", db, "--file", str(tmp_path)],
        ["data", "import", "obelix", "--db", db, "--archive", str(tmp_path / "a.zip")],
        ["arrhenius", "LiBH4", "--db", db, "--breakpoint-k", "nan"],
        ["arrhenius", "LiBH4", "--db", db, "--form", "cubic"],
        ["ask", "--replay", str(tmp_path / "missing.json")],
        ["ask", "--replay", str(tmp_path)],
        ["insights", "run", "no-such-recipe", "--db", db],
    ):
        assert_clean(runner.invoke(app, args), codes=(1, 2))


def test_arrhenius_on_a_store_with_no_points_and_a_bad_replay_file(tmp_path: Path) -> None:
    replay = tmp_path / "t.json"
    replay.write_text("{not json", encoding="utf-8")
    assert_clean(runner.invoke(app, ["ask", "--replay", str(replay)]))
    replay.write_text('{"version": 1}', encoding="utf-8")
    assert_clean(runner.invoke(app, ["ask", "--replay", str(replay)]))
    result = runner.invoke(app, ["arrhenius", "LiBH4", "--db", str(tmp_path / "empty.sqlite")])
    assert_clean(result, codes=(1,))  # nothing to fit is not bad input: exit 1 with a message
    assert "no conductivity points" in result.output


def test_invalid_setting_in_the_environment_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from sselab.config import get_settings

    monkeypatch.setenv("SSELAB_THREADS", "many")
    get_settings.cache_clear()
    result = runner.invoke(app, ["db", "stats", "--db", str(tmp_path / "s.sqlite")])
    assert_clean(result)
    assert "threads" in result.output


def test_describe_maps_errors_to_codes_and_one_line() -> None:
    code, message = describe(DataImportError("bad cell", file="f.csv", row=3, field="target"))
    assert code == 2 and message == "error: file f.csv, row 3, field 'target': bad cell"
    assert describe(FileNotFoundError(2, "No such file or directory", "x.cif")) == (
        2,
        "error: No such file or directory: x.cif",
    )
    code, message = describe(ZeroDivisionError("division by zero\nsecond line"))
    assert code == 1 and message.startswith("internal error: ZeroDivisionError: division by zero (run with")
    assert "\n" not in message


def test_internal_error_is_one_line_with_a_hint_and_verbose_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sselab.store import Store

    def broken(self: Store) -> dict[str, int]:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(Store, "stats", broken)
    db = str(tmp_path / "s.sqlite")
    quiet = runner.invoke(app, ["db", "stats", "--db", db])
    assert_clean(quiet, codes=(1,))
    assert "internal error: ZeroDivisionError: a bug" in quiet.output and "--verbose" in quiet.output
    loud = runner.invoke(app, ["--verbose", "db", "stats", "--db", db])
    assert loud.exit_code == 1 and "Traceback" in loud.output and "ZeroDivisionError" in loud.output
    monkeypatch.setenv("SSELAB_DEBUG", "1")
    from sselab.config import get_settings

    get_settings.cache_clear()
    assert "Traceback" in runner.invoke(app, ["db", "stats", "--db", db]).output


def test_real_entry_point_prints_no_traceback(tmp_path: Path) -> None:
    garbage = tmp_path / "g.sqlite"
    garbage.write_bytes(b"\x00garbage" * 64)
    done = subprocess.run(
        [sys.executable, "-m", "sselab", "arrhenius", "LiBH4", "--db", str(garbage)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stdout + done.stderr
    assert done.stderr.strip().startswith("error:") and len(done.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sselab.store import ConductivityRecord, ImportBatch, MaterialRecord, open_store

    path = tmp_path_factory.mktemp("cli_fuzz") / "s.sqlite"
    store = open_store(f"sqlite:///{path}")
    rows = [
        ConductivityRecord(MaterialRecord.from_formula("LiBH4"), 300.0 + 20 * i, 1e-6 * (i + 1))
        for i in range(4)
    ]
    store.import_batch(ImportBatch("d", "a" * 64, "d.csv", conductivities=rows))
    store.close()
    return path


_FUZZ_TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(["SELECT", "*", "FROM", "materials", ";", "'", "--", "(", ")", "zeroblob(1e9)",
                              "WITH", "RECURSIVE", "x", "1e999", "\x00", "LiBH4", "·", "((((", "9" * 40]),
             max_size=12).map(" ".join),
)  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_FUZZ_TEXT, command=st.sampled_from(["query", "arrhenius", "descriptors"]))
def test_fuzzed_cli_inputs_end_in_an_exit_code(
    small_store: Path, tmp_path: Path, text: str, command: str
) -> None:
    if command == "query":
        args = ["db", "query", text, "--db", str(small_store), "--timeout", "1"]
    elif command == "arrhenius":
        args = ["arrhenius", text, "--db", str(small_store), "--out", str(tmp_path / "out")]
    else:
        args = ["descriptors", text]
    assert_clean(runner.invoke(app, args), codes=(0, 1, 2))
