"""The agent loop end to end against a scripted OpenAI-compatible server on 127.0.0.1 (the test double)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sselab.assistant import ToolContext, build_registry
from sselab.assistant.agent import LLMSettings, ask
from sselab.assistant.transcript import load_transcript, replay
from sselab.errors import ConfigError
from test_assistant_support import (
    answer_reply,
    copy_store,
    real_store_file,
    scripted_llm_server,
    tool_call_reply,
    tool_messages,
)

GOOD_SQL = (
    "SELECT m.formula, a.activation_energy_ev, s.doi FROM activation_energies a JOIN materials m "
    "ON m.id = a.material_id LEFT JOIN sources s ON s.id = a.source_id WHERE m.valence = 2 "
    "ORDER BY a.activation_energy_ev LIMIT 5"
)
BAD_SQL = GOOD_SQL.replace("a.activation_energy_ev,", "a.barrier,")


@pytest.fixture
def store_path(tmp_path_factory: pytest.TempPathFactory, dataset_mirror: Path, tmp_path: Path) -> Path:
    return copy_store(real_store_file(tmp_path_factory), tmp_path / "store")


def _script() -> list:
    return [
        tool_call_reply(
            [
                ("filter_materials", {"valence": 2, "ea_max_ev": 0.5}),
                ("run_sql", {"sql": BAD_SQL}),
            ],
            content="Looking up divalent materials.",
        ),
        tool_call_reply([("run_sql", {"sql": GOOD_SQL})]),
        tool_call_reply(
            [
                (
                    "make_figure",
                    {
                        "source_result_id": "r1",
                        "x": "neutral_count",
                        "y": "median_ea_ev",
                        "color_by": "formula",
                    },
                )
            ]
        ),
        answer_reply("Five divalent hydrides have Ea <= 0.5 eV; the lowest is Mg(CB11H12)2-3en (0.239 eV)."),
    ]


def test_agent_loop_reports_errors_back_and_saves_a_replayable_transcript(
    store_path: Path, tmp_path: Path
) -> None:
    context = ToolContext(url=str(store_path), out_dir=tmp_path / "out")
    with scripted_llm_server(_script()) as llm:
        settings = LLMSettings(model="scripted-model", base_url=llm.base_url, api_key="test")
        result = ask(
            "Which divalent hydrides have Ea below 0.5 eV?", context, build_registry(), settings, max_steps=6
        )

    assert result.stopped_reason == "answered"
    assert result.answer.startswith("Five divalent hydrides")
    assert len(llm.requests) == 4
    first = llm.requests[0]
    assert first["model"] == "scripted-model"
    assert {t["function"]["name"] for t in first["tools"]} >= {"run_sql", "filter_materials", "make_figure"}
    # the failing query went back to the model as a structured error; the retry succeeded
    results_after_step1 = tool_messages(llm.requests[1])
    assert results_after_step1[0]["ok"] is True and results_after_step1[0]["result_id"] == "r1"
    failed = results_after_step1[1]
    assert failed["ok"] is False and "barrier" in failed["error"]
    retried = tool_messages(llm.requests[2])[-1]
    assert retried["ok"] is True and retried["n_rows"] == 5 and retried["dois"]
    figure = tool_messages(llm.requests[3])[-1]
    assert figure["ok"] is True and Path(figure["figures"][0]).exists()

    assert result.sql == (GOOD_SQL,)
    assert len(result.figures) == 1 and Path(result.figures[0]).exists()
    assert "10.1039/D2CP05583J" in result.dois  # Mg(CB11H12)2-3en
    saved = json.loads(result.transcript_path.read_text())
    assert saved["question"] == "Which divalent hydrides have Ea below 0.5 eV?"
    assert saved["model"] == "scripted-model" and saved["answer"] == result.answer
    calls = [c for step in saved["steps"] for c in step["tool_calls"]]
    assert [c["name"] for c in calls] == ["filter_materials", "run_sql", "run_sql", "make_figure"]
    assert calls[1]["result"]["ok"] is False and calls[1]["arguments"]["sql"] == BAD_SQL
    assert saved["started_at"] <= saved["finished_at"] and saved["sql"] == [GOOD_SQL]

    transcript = load_transcript(result.transcript_path)
    report = replay(
        transcript, ToolContext(url=str(store_path), out_dir=tmp_path / "replay"), build_registry()
    )
    assert report.n_calls == 4 and report.matches, report.mismatches


def test_replay_detects_a_changed_store(store_path: Path, tmp_path: Path) -> None:
    from sselab.store import ActivationEnergyRecord, MaterialRecord, open_store

    context = ToolContext(url=str(store_path), out_dir=tmp_path / "out")
    with scripted_llm_server(_script()) as llm:
        settings = LLMSettings(model="m", base_url=llm.base_url)
        result = ask("q", context, build_registry(), settings)
    changed = ToolContext(url=str(store_path), out_dir=tmp_path / "replay")
    writer = open_store(str(store_path))
    writer.add_activation_energy(
        ActivationEnergyRecord(
            material=MaterialRecord(formula="Mg(BH4)2·6NH3"), activation_energy_ev=0.3, method="experiment"
        )
    )
    report = replay(load_transcript(result.transcript_path), changed, build_registry())
    assert not report.matches
    assert {m.name for m in report.mismatches} >= {"filter_materials"}


def test_step_limit_stops_a_model_that_never_answers(store_path: Path, tmp_path: Path) -> None:
    endless = [tool_call_reply([("describe_schema", {})]) for _ in range(5)]
    with scripted_llm_server(endless) as llm:
        settings = LLMSettings(model="m", base_url=llm.base_url)
        result = ask(
            "loop",
            ToolContext(url=str(store_path), out_dir=tmp_path),
            build_registry(),
            settings,
            max_steps=2,
        )
    assert result.stopped_reason == "step_limit" and result.answer is None
    assert len(llm.requests) == 2 and result.transcript_path.exists()


def test_unreachable_endpoint_is_a_clear_error_with_a_saved_transcript(
    store_path: Path, tmp_path: Path
) -> None:
    import socket

    with socket.socket() as sock:  # a free port with nothing listening on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = LLMSettings(model="m", base_url=f"http://127.0.0.1:{port}/v1", timeout_s=5.0)
    context = ToolContext(url=str(store_path), out_dir=tmp_path)
    with pytest.raises(ConfigError, match=f"127.0.0.1:{port}"):
        ask("q", context, build_registry(), settings)
    assert json.loads((tmp_path / "transcript.json").read_text())["stopped_reason"] == "llm_error"


def test_ask_without_a_model_is_a_config_error(store_path: Path) -> None:
    with pytest.raises(ConfigError, match="SSELAB_LLM_MODEL"):
        ask("q", ToolContext(url=str(store_path)), build_registry(), LLMSettings())


def test_cli_ask_prints_answer_sql_and_figures(store_path: Path, tmp_path: Path, monkeypatch) -> None:
    from sselab.cli.main import app
    from sselab.config import get_settings

    runner = CliRunner()
    monkeypatch.delenv("SSELAB_LLM_MODEL", raising=False)
    get_settings.cache_clear()
    offline = runner.invoke(
        app, ["ask", "How accurate is CI-NEB compared with experiment?", "--db", str(store_path)]
    )
    assert offline.exit_code == 2
    assert "No LLM configured" in offline.output
    assert offline.output.index("methods-vs-experiment") < offline.output.index("neutral-molecules")

    with scripted_llm_server(_script()) as llm:
        monkeypatch.setenv("SSELAB_LLM_BASE_URL", llm.base_url)
        monkeypatch.setenv("SSELAB_LLM_MODEL", "scripted")
        monkeypatch.setenv("SSELAB_LLM_API_KEY", "x")
        get_settings.cache_clear()
        out = tmp_path / "ask"
        ran = runner.invoke(
            app, ["ask", "Which divalent hydrides?", "--db", str(store_path), "--out", str(out)]
        )
    assert ran.exit_code == 0, ran.output
    assert "Five divalent hydrides" in ran.output
    assert f"SQL: {GOOD_SQL}" in ran.output
    assert "figure: " in ran.output and "transcript: " in ran.output
    replayed = runner.invoke(
        app,
        [
            "ask",
            "--replay",
            str(out / "transcript.json"),
            "--db",
            str(store_path),
            "--out",
            str(tmp_path / "re"),
        ],
    )
    assert replayed.exit_code == 0 and "all results match" in replayed.output
