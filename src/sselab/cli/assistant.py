"""``sselab ask``, ``sselab insights list|run`` and ``sselab mcp``: the LLM assistant and its recipes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from sselab.assistant import ToolContext, build_registry
from sselab.assistant.agent import LLMSettings, ask
from sselab.assistant.insights import RECIPES, rank_recipes, run_recipe
from sselab.assistant.mcp_server import build_mcp_server
from sselab.assistant.transcript import load_transcript, replay
from sselab.cli.common import DbOption
from sselab.errors import ConfigError

OutOption = Annotated[Path, typer.Option("--out", help="Folder for figures, CSV tables and the transcript.")]


def _context(db: str | None, out: Path) -> Any:
    return ToolContext(url=db, out_dir=out)


def _print_result(result: Any) -> None:
    console = Console(soft_wrap=True)
    if not result.ok:
        console.print(f"[red]{result.error_type}[/red]: {result.error}")
        raise typer.Exit(1)
    findings = result.data.get("findings") or [result.summary]
    for line in findings:
        console.print(f"- {line}")
    numbers = {k: v for k, v in result.data.items() if k != "findings"}
    console.print("numbers:", json.dumps(numbers, indent=2, default=str))
    for path in (*result.figures, *result.files):
        console.print(f"wrote {path}")
    if result.dois:
        console.print(f"DOIs ({len(result.dois)}): {', '.join(result.dois)}")


def _parse_params(params: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in params:
        if "=" not in item:
            raise typer.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--param")
        key, value = item.split("=", 1)
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def ask_command(
    question: Annotated[str | None, typer.Argument(help="The question, in plain language.")] = None,
    db: DbOption = None,
    max_steps: Annotated[int, typer.Option("--max-steps", help="Most model turns.")] = 8,
    out: OutOption = Path("sselab-ask"),
    replay_path: Annotated[
        Path | None,
        typer.Option("--replay", help="Re-run a saved transcript's tool calls without the model."),
    ] = None,
) -> None:
    """Ask the assistant a question about the store; prints the answer, the SQL it ran and figure paths."""
    console = Console(soft_wrap=True)
    registry = build_registry()
    if replay_path is not None:
        transcript = load_transcript(replay_path)
        report = replay(transcript, _context(db or transcript.store_url, out), registry)
        console.print(f"replayed {report.n_calls} tool calls of {replay_path}")
        for m in report.mismatches:
            console.print(
                f"[red]mismatch[/red] call {m.index} {m.name}: "
                f"was {m.expected_summary!r}, now {m.actual_summary!r}"
            )
        if not report.matches:
            raise typer.Exit(1)
        console.print("all results match the transcript")
        return
    if not question:
        raise typer.BadParameter("give a QUESTION or --replay TRANSCRIPT")
    settings = LLMSettings.from_settings()
    if not settings.configured:
        console.print(
            "No LLM configured: set SSELAB_LLM_BASE_URL, SSELAB_LLM_MODEL (and SSELAB_LLM_API_KEY) to ask "
            "questions, "
            "e.g. SSELAB_LLM_BASE_URL=http://localhost:11434/v1 SSELAB_LLM_MODEL=qwen2.5:7b-instruct "
            "SSELAB_LLM_API_KEY=ollama (see docs/assistant.md)."
        )
        console.print("Closest insight recipes, runnable without an LLM:")
        for recipe, score in rank_recipes(question):
            console.print(f"  {recipe.name:<24} similarity {score:.2f}  {recipe.title}")
            console.print(f"      sselab insights run {recipe.name}")
        raise typer.Exit(2)
    try:
        result = ask(question, _context(db, out), registry, settings=settings, max_steps=max_steps)
    except ConfigError as exc:
        console.print(f"[red]error[/red]: {exc}")
        raise typer.Exit(1) from exc
    console.print(result.answer or f"[yellow]no final answer ({result.stopped_reason})[/yellow]")
    for sql in result.sql:
        console.print(f"SQL: {sql}")
    for path in result.figures:
        console.print(f"figure: {path}")
    if result.dois:
        console.print(f"DOIs ({len(result.dois)}): {', '.join(result.dois)}")
    console.print(f"transcript: {result.transcript_path}")


def register(app: typer.Typer) -> None:
    """Add ``ask``, ``insights`` and ``mcp`` to the ``sselab`` command."""
    app.command("ask")(ask_command)
    insights_app = typer.Typer(help="Insight recipes: the paper's LLM insights as analyses that need no LLM.")

    @insights_app.command("list")
    def insights_list() -> None:
        """List the insight recipes."""
        for recipe in RECIPES:
            typer.echo(f"{recipe.name:<24} {recipe.title}")
            params = ", ".join(recipe.args_model.model_fields)
            typer.echo(f"{'':<24} parameters: {params}")

    @insights_app.command("run")
    def insights_run(
        name: Annotated[str, typer.Argument(help="Recipe name (see `sselab insights list`).")],
        db: DbOption = None,
        out: OutOption = Path("sselab-insights"),
        param: Annotated[
            list[str] | None,
            typer.Option("--param", "-p", help="Recipe parameter KEY=VALUE (JSON value), repeatable."),
        ] = None,
    ) -> None:
        """Run an insight recipe and print the numbers behind its findings."""
        try:
            result = run_recipe(name, _context(db, out), **_parse_params(param or []))
        except (LookupError, ValidationError) as exc:
            raise typer.BadParameter(str(exc)) from exc
        _print_result(result)

    app.add_typer(insights_app, name="insights")

    @app.command("mcp")
    def mcp_command(db: DbOption = None, out: OutOption = Path("sselab-mcp")) -> None:
        """Serve the assistant's read-only tools over MCP (stdio) for desktop LLM clients."""
        build_mcp_server(_context(db, out), build_registry()).run("stdio")
