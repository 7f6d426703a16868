"""Tool registry: name -> (JSON schema, function), with argument validation and structured errors.

Every tool is a plain function ``fn(context, args) -> ToolResult`` whose arguments are a pydantic model;
the model's JSON schema is what the LLM (or an MCP client) sees. :meth:`ToolRegistry.call` validates the
arguments and turns every foreseeable failure (bad arguments, a refused query, a fit that cannot be made)
into a failed :class:`~sselab.assistant.results.ToolResult` instead of an exception.

Example::

    >>> from sselab.assistant import build_registry, ToolContext
    >>> registry = build_registry()
    >>> sorted(registry.names())[:3]  # doctest: +SKIP
    ['compare_methods', 'describe_schema', 'filter_materials']
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import SQLAlchemyError

from sselab.assistant.access import open_readonly_store, readonly_view
from sselab.assistant.results import ToolResult
from sselab.config import get_settings
from sselab.errors import SselabError, StoreError

logger = logging.getLogger(__name__)

#: Default limits of free SQL (rows returned, seconds, characters of SQL).
DEFAULT_MAX_ROWS = 1000
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_SQL_CHARS = 10_000


@dataclass
class ToolContext:
    """What tools share during one session: the store, the output folder, limits and earlier results.

    Parameters
    ----------
    url
        SQLAlchemy URL of the store (or a SQLite file path); ``None`` uses the configured default.
    out_dir
        Folder for figures and CSV tables written by tools.
    max_rows, timeout_s, max_sql_chars
        Limits of the free-SQL tool (rows, seconds, characters).
    """

    url: str | None = None
    out_dir: Path = field(default_factory=lambda: Path("sselab-assistant"))
    max_rows: int = DEFAULT_MAX_ROWS
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_sql_chars: int = DEFAULT_MAX_SQL_CHARS
    results: dict[str, ToolResult] = field(default_factory=dict)
    _store: Any = None
    _from_store: bool = False

    def __post_init__(self) -> None:
        self.out_dir = Path(self.out_dir)

    @classmethod
    def from_store(cls, store: Any, **kwargs: Any) -> ToolContext:
        """A context over an already open store, read-only (no URL is rebuilt from it: it may hold a
        password); free-SQL tools query that store's engine."""
        context = cls(**kwargs)
        context._store = readonly_view(store)
        context._from_store = True
        return context

    @property
    def store_url(self) -> str:
        """The resolved store URL (explicit, else ``SSELAB_DB``, else the default SQLite file)."""
        if self._from_store:
            raise StoreError(
                "this assistant context was built from an open store and has no URL (free SQL needs one): "
                "build it with ToolContext(url=...)"
            )
        if self.url is None:
            return get_settings().database_url
        if "://" in self.url:
            return self.url
        return f"sqlite:///{Path(self.url).expanduser().resolve()}"

    @property
    def store(self) -> Any:
        """The store, opened read-only on first use (see :mod:`sselab.assistant.access`)."""
        if self._store is None:
            self._store = open_readonly_store(self.store_url)
        return self._store

    def remember(self, result: ToolResult) -> str:
        """Keep a successful result for later tools (figures); returns its id (``r1``, ``r2``, ...)."""
        result_id = f"r{len(self.results) + 1}"
        self.results[result_id] = result
        return result_id

    def figure_path(self, stem: str) -> Path:
        """A fresh PNG path in ``out_dir`` (``stem.png``, ``stem-2.png``, ...)."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"{stem}.png"
        index = 2
        while path.exists():
            path = self.out_dir / f"{stem}-{index}.png"
            index += 1
        return path


ToolFunction = Callable[[ToolContext, Any], ToolResult]


@dataclass(frozen=True)
class Tool:
    """One tool: its name, description for the model, argument model and function."""

    name: str
    description: str
    args_model: type[BaseModel]
    function: ToolFunction

    def parameters_schema(self) -> dict[str, Any]:
        """JSON schema of the arguments (from the pydantic model)."""
        schema = self.args_model.model_json_schema()
        schema.pop("title", None)
        return schema

    def openai_schema(self) -> dict[str, Any]:
        """The ``tools=`` entry of the Chat Completions API."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters_schema(),
            },
        }


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


class ToolRegistry:
    """Named tools; validates arguments and returns structured errors."""

    def __init__(self, tools: tuple[Tool, ...] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        """Add ``tool`` (a second tool of the same name is an error)."""
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name!r} registered twice")
        self._tools[tool.name] = tool

    def names(self) -> list[str]:
        """Tool names in registration order."""
        return list(self._tools)

    def get(self, name: str) -> Tool:
        """The tool called ``name`` (KeyError naming the known tools otherwise)."""
        try:
            return self._tools[name]
        except KeyError:
            raise KeyError(f"unknown tool {name!r}; known tools: {', '.join(self._tools)}") from None

    def openai_tools(self) -> list[dict[str, Any]]:
        """All tools as Chat Completions ``tools=`` entries."""
        return [tool.openai_schema() for tool in self._tools.values()]

    def call(self, context: ToolContext, name: str, arguments: dict[str, Any] | str | None) -> ToolResult:
        """Validate ``arguments`` and run tool ``name``; failures come back as failed results.

        Parameters
        ----------
        context
            Shared tool context.
        name
            Tool name as the model gave it.
        arguments
            A dict, or the JSON text the model produced (``None`` means no arguments).
        """
        if name not in self._tools:
            return ToolResult.failure(
                name, "UnknownTool", f"no tool {name!r}; tools: {', '.join(self._tools)}"
            )
        tool = self._tools[name]
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except json.JSONDecodeError as exc:
                return ToolResult.failure(name, "ArgumentError", f"arguments are not valid JSON: {exc}")
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            return ToolResult.failure(name, "ArgumentError", "arguments must be a JSON object")
        try:
            args = tool.args_model.model_validate(arguments)
        except ValidationError as exc:
            return ToolResult.failure(name, "ArgumentError", _validation_message(exc))
        try:
            return tool.function(context, args)
        except (SselabError, SQLAlchemyError, ValueError, LookupError, TypeError, OSError) as exc:
            logger.info("tool %s failed: %s", name, exc)
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if isinstance(exc, SQLAlchemyError):
                message = str(getattr(exc, "orig", None) or message).splitlines()[0]
            return ToolResult.failure(name, type(exc).__name__, message)
