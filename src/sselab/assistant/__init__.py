"""The LLM assistant: tools over the store, an agent loop, insight recipes and an MCP server.

Example::

    >>> from sselab.assistant import ToolContext, build_registry
    >>> registry = build_registry()
    >>> "run_sql" in registry.names()
    True
"""

from __future__ import annotations

from sselab.assistant import figures, insights, tools_analysis, tools_data
from sselab.assistant.registry import Tool, ToolContext, ToolRegistry
from sselab.assistant.results import ToolResult


def build_registry() -> ToolRegistry:
    """All assistant tools: data, analysis, figures and the insight recipes."""
    return ToolRegistry(tools_data.TOOLS + tools_analysis.TOOLS + figures.TOOLS + insights.TOOLS)


__all__ = ["Tool", "ToolContext", "ToolRegistry", "ToolResult", "build_registry"]
