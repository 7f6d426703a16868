"""Hostile SQL proposed by the "model" through run_sql: every statement is refused, the store is unchanged.

Each statement is tried directly through the tool registry (one test case each, so a failure names the
statement), then all of them in one session of the agent loop against the scripted LLM server, then through
the MCP server; the store file's sha256 is compared before and after.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from sselab.assistant import ToolContext, build_registry
from sselab.assistant.agent import LLMSettings, ask
from test_assistant_support import (
    answer_reply,
    copy_store,
    real_store_file,
    scripted_llm_server,
    sha256_of,
    tool_call_reply,
    tool_messages,
)

HOSTILE = {
    "insert": "INSERT INTO sources (doi) VALUES ('10.0/evil')",
    "insert_returning": "INSERT INTO sources (doi) VALUES ('10.0/evil') RETURNING id",
    "replace": "REPLACE INTO sources (id, doi) VALUES (1, '10.0/evil')",
    "update": "UPDATE activation_energies SET activation_energy_ev = 0",
    "update_subquery": "UPDATE materials SET formula = 'x' WHERE id IN (SELECT id FROM materials)",
    "delete": "DELETE FROM activation_energies",
    "drop_table": "DROP TABLE materials",
    "create_table": "CREATE TABLE evil (x INTEGER)",
    "create_temp_table_as": "CREATE TEMP TABLE t AS SELECT * FROM materials",
    "create_trigger": "CREATE TRIGGER t AFTER INSERT ON sources BEGIN DELETE FROM materials; END",
    "alter_table": "ALTER TABLE materials ADD COLUMN evil TEXT",
    "attach": "ATTACH DATABASE '/tmp/sselab-evil.sqlite' AS evil",
    "detach": "DETACH DATABASE main",
    "pragma_write": "PRAGMA user_version = 42",
    "pragma_journal": "PRAGMA journal_mode = DELETE",
    "pragma_writable_schema": "PRAGMA writable_schema = ON",
    "pragma_query_only_off": "PRAGMA query_only = OFF",
    "two_statements": "SELECT 1; DELETE FROM materials",
    "select_then_drop_comment": "SELECT * FROM materials; -- harmless\nDROP TABLE materials",
    "comment_hidden_write": "/* SELECT */ DELETE FROM materials",
    "transaction": "BEGIN; DELETE FROM materials; COMMIT",
    "load_extension": "SELECT load_extension('/tmp/evil.so')",
    "writefile": "SELECT writefile('/tmp/sselab-evil.txt', 'x')",
    "writable_cte_postgres": "WITH gone AS (DELETE FROM materials RETURNING *) SELECT * FROM gone",
    "cte_insert": "WITH t AS (SELECT 1 AS x) INSERT INTO sources (doi) SELECT 'evil' FROM t",
    "vacuum": "VACUUM",
    "vacuum_into": "VACUUM INTO '/tmp/sselab-copy.sqlite'",
    "reindex": "REINDEX",
    "analyze": "ANALYZE",
    "savepoint": "SAVEPOINT s1",
    "very_long": "SELECT " + " + ".join(["1"] * 6000),
    "nul_byte": "SELECT 1\x00; DROP TABLE materials",
    "select_into_postgres": "SELECT * INTO evil FROM materials",
    "pg_read_file": "SELECT pg_read_file('/etc/passwd')",
    "set_config": "SELECT set_config('default_transaction_read_only', 'off', false)",
}


@pytest.fixture
def store_path(tmp_path_factory: pytest.TempPathFactory, dataset_mirror: Path, tmp_path: Path) -> Path:
    return copy_store(real_store_file(tmp_path_factory), tmp_path / "store")


def test_the_suite_is_large_enough() -> None:
    assert len(HOSTILE) >= 20


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_statement_is_refused(name: str, store_path: Path, tmp_path: Path) -> None:
    before = sha256_of(store_path)
    context = ToolContext(url=str(store_path), out_dir=tmp_path)
    result = build_registry().call(context, "run_sql", {"sql": HOSTILE[name]})
    assert not result.ok, f"{name} was not refused"
    assert result.error_type == "UnsafeQueryError", result.error
    assert sha256_of(store_path) == before
    assert not Path("/tmp/sselab-evil.sqlite").exists() and not Path("/tmp/sselab-copy.sqlite").exists()


def test_hostile_session_through_the_agent_loop_leaves_the_store_unchanged(
    store_path: Path, tmp_path: Path
) -> None:
    before = sha256_of(store_path)
    context = ToolContext(url=str(store_path), out_dir=tmp_path / "out")
    count_sql = "SELECT count(*) AS n FROM activation_energies"
    script = [
        tool_call_reply([("run_sql", {"sql": sql}) for sql in HOSTILE.values()]),
        tool_call_reply([("run_sql", {"sql": count_sql})]),
        answer_reply("I could not change anything."),
    ]
    with scripted_llm_server(script) as llm:
        result = ask(
            "Please clean the database.",
            context,
            build_registry(),
            LLMSettings(model="m", base_url=llm.base_url),
        )
    refused = tool_messages(llm.requests[1])
    assert len(refused) == len(HOSTILE)
    assert all(r["ok"] is False and r["error_type"] == "UnsafeQueryError" for r in refused)
    count = tool_messages(llm.requests[2])[-1]
    assert count["ok"] is True and count["rows"][0]["n"] == 189
    assert result.answer == "I could not change anything." and result.sql == (count_sql,)
    assert sha256_of(store_path) == before


def test_hostile_statements_through_the_mcp_server_are_refused(store_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("mcp", reason="the mcp extra is not installed")
    from sselab.assistant.mcp_server import build_mcp_server

    before = sha256_of(store_path)
    server = build_mcp_server(ToolContext(url=str(store_path), out_dir=tmp_path), build_registry())

    async def run_all() -> list[dict]:
        out = []
        for sql in HOSTILE.values():
            result = await server.call_tool("run_sql", {"sql": sql})
            out.append(json.loads(result.content[0].text))
        return out

    answers = asyncio.run(run_all())
    assert all(a["ok"] is False and a["error_type"] == "UnsafeQueryError" for a in answers)
    assert sha256_of(store_path) == before
