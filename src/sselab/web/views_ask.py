"""``/ask``: a question in plain language. With an LLM endpoint configured (``SSELAB_LLM_*``) the assistant
answers it with its tools (the page shows the answer, the SQL it ran, its figures and the DOIs); without
one, the insight recipes are listed (ranked by similarity to the question) and ``/ask/recipe/{name}`` runs
one. Figures are written to a temporary folder and embedded in the page; nothing is kept on the server.

Assistant runs and recipes use matplotlib, which is not thread-safe: one runs at a time (:data:`RUN_LOCK`).

Example::

    >>> from sselab.web.views_ask import recipe_arguments
    >>> from sselab.assistant.insights import get_recipe
    >>> recipe_arguments(get_recipe("methods-vs-experiment"), [("methods", "MetaD")])
    {'methods': ['MetaD']}
"""

from __future__ import annotations

import base64
import tempfile
import threading
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sselab.assistant import ToolContext, build_registry
from sselab.assistant.agent import LLMSettings
from sselab.assistant.agent import ask as ask_assistant
from sselab.assistant.insights import RECIPES, Recipe, get_recipe, rank_recipes
from sselab.errors import ConfigError
from sselab.web.common import params_of, web_of
from sselab.web.params import AskParams, BadRequest, checked_items

RUN_LOCK = threading.Lock()
MAX_FIGURE_BYTES = 5_000_000


def _embedded(paths: Iterable[str]) -> list[str]:
    """PNG files as ``data:`` URIs (the page's Content-Security-Policy allows them as images)."""
    out = []
    for path in paths:
        file = Path(path)
        if file.suffix.lower() == ".png" and file.is_file() and file.stat().st_size <= MAX_FIGURE_BYTES:
            out.append("data:image/png;base64," + base64.b64encode(file.read_bytes()).decode("ascii"))
    return out


def _settings(web: Any) -> LLMSettings:
    return web.llm if web.llm is not None else LLMSettings.from_settings()


def ask(request: Request) -> Response:
    """The Ask box: the assistant when configured, else the recipes ranked for the question."""
    web = web_of(request)
    params: AskParams = params_of(request, AskParams)
    settings = _settings(web)
    answer, figures, error = None, [], None
    if params.q and settings.configured:
        with RUN_LOCK, tempfile.TemporaryDirectory(prefix="sselab-web-ask-") as out:
            context = ToolContext(url=web.source_url, out_dir=Path(out))
            try:
                answer = ask_assistant(params.q, context, build_registry(), settings=settings)
                figures = _embedded(answer.figures)
            except ConfigError as exc:
                error = str(exc).splitlines()[0]
    ranked = rank_recipes(params.q) if params.q else [(r, None) for r in RECIPES]
    return web.render(
        request,
        "ask.html",
        q=params.q or "",
        configured=settings.configured,
        answer=answer,
        figures=figures,
        error=error,
        ranked=ranked,
    )


def recipe_arguments(recipe: Recipe, items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Query-string items as the recipe's arguments (list fields collect repeated keys)."""
    fields = recipe.args_model.model_fields
    out: dict[str, Any] = {}
    for key, value in items:
        annotation = fields[key].annotation if key in fields else None
        is_list = annotation is not None and (
            typing.get_origin(annotation) is list
            or any(typing.get_origin(a) is list for a in typing.get_args(annotation))
        )
        if is_list:
            out.setdefault(key, []).append(value)
        elif key in out:
            raise BadRequest(f"{key}: given more than once")
        else:
            out[key] = value
    return out


def recipe(request: Request) -> Response:
    """Run one insight recipe with the parameters of the query string (validated by the recipe)."""
    web = web_of(request)
    name = str(request.path_params["name"])
    try:
        chosen = get_recipe(name)
    except LookupError:
        raise HTTPException(404, f"no insight recipe {name[:60]!r}") from None
    items = checked_items(request.query_params.multi_items(), len(request.url.query))
    arguments = recipe_arguments(chosen, items)
    try:
        args = chosen.args_model.model_validate(arguments)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise BadRequest(reasons) from None
    with RUN_LOCK, tempfile.TemporaryDirectory(prefix="sselab-web-recipe-") as out:
        context = ToolContext(url=web.source_url, out_dir=Path(out))
        result = build_registry().call(context, chosen.tool_name, args.model_dump())
        figures = _embedded(result.figures)
    return web.render(
        request, "recipe.html", recipe=chosen, result=result, figures=figures, arguments=args.model_dump()
    )
