"""``sselab pipeline run|status`` and ``sselab report``: the end-to-end workflow (paper Figure 1d)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sselab.cli.common import DbOption
from sselab.cli.progress_display import ProgressDisplay
from sselab.errors import SselabError
from sselab.pipeline import load_config, pipeline_status, read_state, run_pipeline
from sselab.pipeline.runner import PipelineFailed, validate_config
from sselab.store import as_store

ConfigArgument = Annotated[
    str, typer.Argument(help="A pipeline TOML file, or a built-in profile: 'quick' (make demo) or 'paper'.")
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler", help="Address of an existing Dask scheduler (tcp://HOST:8786); default: local cluster."
    ),
]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", help="Local Dask workers (default: one per core; 0 = in-process).")
]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Output folder (default: the configuration's).")
]


def _run(
    config_name: str, db: str | None, out: Path | None, scheduler: str | None, workers: int | None
) -> None:
    console = Console()
    try:
        config = load_config(config_name).with_overrides(out_dir=out, store_url=db)
        validate_config(config)
    except SselabError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc

    def on_stage(stage: str, event: str) -> None:
        marks = {
            "start": "[cyan]running[/cyan]",
            "cached": "[green]cached[/green]",
            "done": "[green]done[/green]",
            "failed": "[red]failed[/red]",
            "skipped": "[yellow]skipped[/yellow]",
        }
        console.print(f"  {stage:<18} {marks[event]}")

    console.print(f"pipeline [bold]{config.name}[/bold] ({config.source}) -> {config.out_dir}")
    failure: PipelineFailed | None = None
    display = ProgressDisplay(console)  # steps/s and time left inside each stage
    try:
        result = run_pipeline(
            config, scheduler=scheduler, n_workers=workers, on_stage=on_stage, on_progress=display.update
        )
    except PipelineFailed as exc:
        failure, result = exc, exc.run
    except SselabError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    finally:
        display.close()
    table = Table(title="Pipeline stages")
    for column in ("stage", "status", "seconds", "summary"):
        table.add_column(column)
    for stage in result.stages:
        status = "failed" if stage.error else ("cached" if stage.cached else "computed")
        summary = stage.error if stage.error else stage.outputs.get("summary", "")
        table.add_row(stage.name, status, f"{stage.seconds:.1f}", str(summary))
    console.print(table)
    report = next((s.outputs.get("report") for s in result.stages if s.name == "report"), None)
    if report:
        console.print(f"report: {report}")
    if failure is not None:
        console.print(f"[red]error:[/red] {failure}")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``pipeline`` (run, status) and ``report`` to the CLI."""
    pipeline_app = typer.Typer(help="Run the end-to-end workflow, resumable, on Dask.", no_args_is_help=True)

    @pipeline_app.command("run")
    def run(
        config: ConfigArgument = "quick",
        db: DbOption = None,
        out: OutOption = None,
        scheduler: SchedulerOption = None,
        workers: WorkersOption = None,
    ) -> None:
        """Run every stage of CONFIG; stages and jobs already in the store are reused, not recomputed."""
        _run(config, db, out, scheduler, workers)

    @pipeline_app.command("status")
    def status(db: DbOption = None, out: OutOption = None) -> None:
        """Show what the store holds of pipeline stages and jobs (cached results, when, how long)."""
        console = Console()
        state = read_state(out) if out is not None else None
        if state is not None:
            jobs = state.get("jobs") or {}
            console.print(
                f"{out}: {state['status']} at {state.get('time')}; stage {state.get('stage')}"
                + (f" (jobs {jobs['done']}/{jobs['total']})" if jobs else "")
                + f"; finished {state['finished']}, cached {state['cached']}, failed {list(state['failed'])}"
            )
        frame = pipeline_status(as_store(db))
        if frame.empty:
            console.print("No pipeline results in the store yet: run `sselab pipeline run quick`.")
            return
        table = Table(title="Cached pipeline results")
        frame = frame.assign(
            seconds=[f"{(p or {}).get('seconds', float('nan')):.1f}" for p in frame["provenance"]],
            finished=[(p or {}).get("finished", "") for p in frame["provenance"]],
        )
        columns = ["stage", "input_hash", "finished", "seconds"]
        for column in columns:
            table.add_column(column)
        for row in frame[columns].itertuples(index=False):
            table.add_row(
                *[str(v)[:16] if c == "input_hash" else str(v) for c, v in zip(columns, row, strict=True)]
            )
        console.print(table)

    app.add_typer(pipeline_app, name="pipeline")

    @app.command("report")
    def report(
        config: ConfigArgument = "quick",
        db: DbOption = None,
        out: OutOption = None,
        scheduler: SchedulerOption = None,
        workers: WorkersOption = None,
    ) -> None:
        """Write the HTML report of CONFIG (runs whatever stages are not cached yet, then the report)."""
        _run(config, db, out, scheduler, workers)
