"""MCP server with the assistant's tools (``sselab mcp``, stdio transport) and the same read-only guarantees.

Each tool of the registry becomes an MCP tool with the same name, description and argument schema; calls go
through :meth:`ToolRegistry.call`, so free SQL still passes the read-only guard and errors come back as
``{"ok": false, ...}`` objects.

Example::

    >>> from sselab.assistant import ToolContext, build_registry
    >>> server = build_mcp_server(ToolContext(), build_registry())  # doctest: +SKIP
    >>> server.run("stdio")  # doctest: +SKIP
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field
from pydantic_core import PydanticUndefined

from sselab.assistant.registry import Tool, ToolContext, ToolRegistry

SERVER_NAME = "sselab"
INSTRUCTIONS = (
    "Read-only access to an sselab store of solid-state electrolyte data (conductivity in S/cm at T in K, "
    "activation energies in eV). Prefer filter_materials and the insight_* tools; run_sql takes one SELECT."
)


def _signature(tool: Tool) -> inspect.Signature:
    parameters = []
    for name, info in tool.args_model.model_fields.items():
        annotation: Any = Annotated[info.annotation, Field(description=info.description)]  # type: ignore[name-defined]
        if info.default is not PydanticUndefined:
            default = info.default
        elif info.default_factory is not None:
            default = info.default_factory()  # type: ignore[call-arg]
        else:
            default = inspect.Parameter.empty
        parameters.append(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        )
    return inspect.Signature(parameters, return_annotation=str)


def tool_function(tool: Tool, context: ToolContext, registry: ToolRegistry) -> Callable[..., str]:
    """A plain function ``fn(**arguments) -> JSON text`` running ``tool`` through the registry."""

    def run(**arguments: Any) -> str:
        result = registry.call(context, tool.name, arguments)
        result_id = context.remember(result) if result.ok else None
        return str(result.model_message(result_id))

    run.__name__ = tool.name
    run.__doc__ = tool.description
    run.__signature__ = _signature(tool)  # type: ignore[attr-defined]
    return run


def build_mcp_server(context: ToolContext, registry: ToolRegistry) -> Any:
    """An MCP server (``mcp`` SDK: ``MCPServer`` in mcp 2, ``FastMCP`` in mcp 1) with every registry tool."""
    try:  # lazy: mcp is the optional mcp extra
        from mcp.server.mcpserver import MCPServer as Server
    except ImportError:  # mcp 1.x
        from mcp.server.fastmcp import FastMCP as Server  # type: ignore[no-redef,attr-defined,unused-ignore]
    server = Server(SERVER_NAME, instructions=INSTRUCTIONS)
    for name in registry.names():
        tool = registry.get(name)
        server.add_tool(
            tool_function(tool, context, registry),
            name=tool.name,
            description=tool.description,
            structured_output=False,
        )
    return server
