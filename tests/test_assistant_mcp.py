"""The MCP server: the same tools and guarantees, called in-process and over stdio with the mcp client."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from sselab.assistant import ToolContext, build_registry
from sselab.assistant.mcp_server import build_mcp_server, tool_function
from test_assistant_support import copy_store, real_store_file, sha256_of

SSELAB = Path(sys.executable).parent / "sselab"
mcp = pytest.importorskip("mcp", reason="the mcp extra is not installed")
if not hasattr(mcp, "Client"):
    pytest.skip("these tests use the client API of mcp 2.x", allow_module_level=True)


@pytest.fixture
def store_path(tmp_path_factory: pytest.TempPathFactory, dataset_mirror: Path, tmp_path: Path) -> Path:
    return copy_store(real_store_file(tmp_path_factory), tmp_path / "store")


def test_server_lists_every_registry_tool_with_its_schema(store_path: Path, tmp_path: Path) -> None:
    registry = build_registry()
    server = build_mcp_server(ToolContext(url=str(store_path), out_dir=tmp_path), registry)
    tools = {t.name: t for t in asyncio.run(server.list_tools())}
    assert set(tools) == set(registry.names())
    assert tools["run_sql"].input_schema["required"] == ["sql"]
    assert "valence" in tools["filter_materials"].input_schema["properties"]


def test_tool_functions_answer_like_the_registry(store_path: Path, tmp_path: Path) -> None:
    registry = build_registry()
    context = ToolContext(url=str(store_path), out_dir=tmp_path)
    filter_fn = tool_function(registry.get("filter_materials"), context, registry)
    answer = json.loads(filter_fn(valence=2, ea_max_ev=0.5, dataset="wang2025-ea"))
    assert answer["ok"] and answer["n_rows"] == 5 and answer["result_id"] == "r1"
    figure_fn = tool_function(registry.get("make_figure"), context, registry)
    figure = json.loads(figure_fn(source_result_id="r1", x="neutral_count", y="median_ea_ev"))
    assert figure["ok"] and Path(figure["figures"][0]).exists()
    error = json.loads(filter_fn(valence=9))
    assert error["ok"] is False and error["error_type"] == "ArgumentError"


def test_in_process_client_session(store_path: Path, tmp_path: Path) -> None:
    server = build_mcp_server(ToolContext(url=str(store_path), out_dir=tmp_path), build_registry())

    async def session() -> tuple[dict, dict]:
        async with mcp.Client(server) as client:
            insight = await client.call_tool("insight_neutral_molecules", {"valence": 2, "figure": False})
            refused = await client.call_tool("run_sql", {"sql": "DROP TABLE materials"})
            return json.loads(insight.content[0].text), json.loads(refused.content[0].text)

    insight, refused = asyncio.run(session())
    assert insight["ok"] and insight["data"]["ea_without_neutral_ev"]["n"] == 5
    assert refused["ok"] is False and refused["error_type"] == "UnsafeQueryError"


@pytest.mark.skipif(not SSELAB.exists(), reason="the sselab console script is not installed beside python")
def test_stdio_session_with_sselab_mcp(store_path: Path, tmp_path: Path) -> None:
    from mcp.client.stdio import StdioServerParameters

    before = sha256_of(store_path)
    params = StdioServerParameters(
        command=str(SSELAB),
        args=["mcp", "--db", str(store_path), "--out", str(tmp_path / "mcp")],
    )

    async def session() -> tuple[list[str], dict, dict]:
        async with mcp.Client(params, read_timeout_seconds=60) as client:
            names = [t.name for t in (await client.list_tools()).tools]
            rows = await client.call_tool("run_sql", {"sql": "SELECT count(*) AS n FROM materials"})
            bad = await client.call_tool("run_sql", {"sql": "DELETE FROM materials"})
            return names, json.loads(rows.content[0].text), json.loads(bad.content[0].text)

    names, rows, bad = asyncio.run(session())
    assert "filter_materials" in names and "insight_methods_vs_experiment" in names
    assert rows["ok"] and rows["rows"][0]["n"] > 600
    assert bad["ok"] is False
    assert sha256_of(store_path) == before
