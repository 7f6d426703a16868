"""``sselab benchmark``: the method benchmark against experiment.

``sselab benchmark`` (no sub-command) prints the report over the store's activation energies, as before;
``sselab benchmark run MANIFEST|open-set`` computes barriers of a benchmark set (one resumable job per
material × method × potential); ``sselab benchmark report RUN_FOLDER`` gives R², MAE, RMSE and N per
method × potential against experiment, the parity figure (Figure 2b style) and the rows as CSV.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sselab.benchmark import load_manifest, resolve_experiments
from sselab.benchmark.dynamic import DYNAMIC_METHODS
from sselab.benchmark.recording import record_results
from sselab.benchmark.report import benchmark_report, markdown_tables, parity_figure, write_rows_csv
from sselab.benchmark.runner import plan_jobs, read_records, run_benchmark
from sselab.cli.options import DbOption, open_store_from_option
from sselab.errors import ConfigError, SselabError
from sselab.models.method_benchmark import benchmark_methods
from sselab.pipeline.executor import JobExecutor
from sselab.report.analysis_figures import parity_plot
from sselab.simulate.defects import CompositeSettings
from sselab.store import open_store

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

benchmark_app = typer.Typer(
    help="Computed activation energies against experiment (the paper's Figures 1c and 2b).",
    invoke_without_command=True,
)


def _console() -> Console:

    return Console(width=160)


def _fail(message: str) -> typer.Exit:

    Console(stderr=True).print(f"[red]error:[/red] {message}")
    return typer.Exit(code=2)


def _table(title: str, frame: pd.DataFrame, digits: int = 3) -> object:

    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column))
    for row in frame.itertuples(index=False):
        table.add_row(*[f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row])
    return table


@benchmark_app.callback()
def store_report(
    ctx: typer.Context,
    db: DbOption = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for parity.png, pairs.csv, metrics.csv.")] = Path(
        "benchmark"
    ),
) -> None:
    """Without a sub-command: per-method R², MAE, RMSE and N of the store's computed against experimental Ea
    (parity plot, Figures 1c/2b)."""
    if ctx.invoked_subcommand is not None:
        return

    console = _console()
    try:
        result = benchmark_methods(open_store_from_option(db).activation_energy_frame())
    except SselabError as exc:
        raise _fail(str(exc)) from exc
    if result.pairs.empty:
        raise _fail(f"no computed Ea matches an experiment ({len(result.unmatched)} computed rows unmatched)")
    console.print(_table("computed vs experimental Ea (eV)", result.metrics))
    if len(result.unmatched):
        console.print(f"{len(result.unmatched)} computed rows without an experiment (see unmatched.csv)")
    out.mkdir(parents=True, exist_ok=True)
    result.pairs.to_csv(out / "pairs.csv", index=False)
    result.metrics.to_csv(out / "metrics.csv", index=False)
    result.unmatched.to_csv(out / "unmatched.csv", index=False)
    console.print(f"parity plot {parity_plot(result.pairs, result.metrics, out / 'parity.png')}")


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _config(config: Path | None) -> dict[str, Any]:
    if config is None:
        return {}
    try:
        return tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"--config {config}: {exc}") from exc


def _dynamic_settings(config: Path | None, overrides: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """MetaD and MD-Arrhenius settings: the ``[metad]``/``[md-arrhenius]`` tables of ``--config`` with the
    options on top, validated once here (errors name the option or the table's key)."""
    document = _config(config)
    chosen = {}
    for method, dynamic in DYNAMIC_METHODS.items():
        table = dict(document.get(method, {}))
        given = {k: v for k, v in overrides.get(method, {}).items() if v is not None}
        where = f"--config {config} or the options" if config else "the options"
        options = _DYNAMIC_OPTIONS.get(method, {})

        def label(name: str, method: str = method, options: dict[str, str] = options) -> str:
            return options.get(name, f"[{method}] {name}")

        chosen[method] = dynamic.settings.build(table, source=where, label=label, **given)
    return chosen


#: The command-line options of the dynamic methods' settings (for error messages).
_DYNAMIC_OPTIONS = {
    "metad": {"steps": "--metad-steps", "protocol": "--metad-protocol", "temperature_k": "--temperature"}
}


def _settings(config: Path | None, overrides: dict[str, Any]) -> Any:

    values: dict[str, Any] = dict(_config(config).get("composite", {}))
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return CompositeSettings.from_dict(values)
    except ConfigError as exc:
        raise ConfigError(
            f"{exc} (from {'--config ' + str(config) + ' or ' if config else ''}the options)"
        ) from exc


@benchmark_app.command("run")
def run_command(
    manifest: Annotated[str, typer.Argument(help="A TOML/CSV manifest file, or 'open-set' (built in).")],
    methods: Annotated[
        str, typer.Option("--methods", help="Comma-separated: composite, neb, metad, md-arrhenius.")
    ] = "composite,neb",
    potentials: Annotated[
        str, typer.Option("--potentials", help="Comma-separated registry names, e.g. chgnet,sevennet.")
    ] = "chgnet,sevennet",
    out: Annotated[
        Path, typer.Option("--out", help="Run folder (one sub-folder per material/potential).")
    ] = Path("benchmark-run"),
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only this material name (repeat).")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="TOML with composite, metad and md-arrhenius tables of settings."),
    ] = None,
    max_atoms: Annotated[
        int | None, typer.Option("--max-atoms", help="Supercell: widest cell within this many atoms.")
    ] = None,
    min_width_a: Annotated[
        float | None, typer.Option("--min-width-a", help="Supercell: every width at least this (Å).")
    ] = None,
    fmax: Annotated[
        float | None, typer.Option("--fmax", help="Force criterion of defects and NEB (eV/Å).")
    ] = None,
    starts: Annotated[int | None, typer.Option("--starts", help="Frenkel interstitial starts.")] = None,
    images: Annotated[int | None, typer.Option("--images", help="Moving CI-NEB images.")] = None,
    metad_steps: Annotated[
        int | None, typer.Option("--metad-steps", help="MetaD: MD steps at most (it stops once converged).")
    ] = None,
    metad_protocol: Annotated[
        str | None,
        typer.Option("--metad-protocol", help="MetaD protocol: frenkel, vacancy, interstitial, paper."),
    ] = None,
    temperature_k: Annotated[
        float | None,
        typer.Option(
            "--temperature", help="MetaD temperature (K) where the manifest gives no measured range."
        ),
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(
            "--device", help="Where the potentials run: cpu or cuda (default: a GPU if there is one)."
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="Dask workers (0: in this process).")] = 1,
    threads: Annotated[int, typer.Option("--threads", help="torch threads per job.")] = 1,
    record_to_store: Annotated[
        bool, typer.Option("--record-to-store/--no-record-to-store", help="Also add the results to --db.")
    ] = False,
    store_unconverged: Annotated[
        bool,
        typer.Option(
            "--store-unconverged", help="With --record-to-store: keep unconverged values (labelled as such)."
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Compute barriers of every material × method × potential; rerun the same command to resume."""

    console = _console()
    try:
        chosen = resolve_experiments(load_manifest(manifest))
        if only:
            missing = sorted(set(only) - {m.name for m in chosen.materials})
            if missing:
                raise _fail(f"--only: no material {missing}; known: {[m.name for m in chosen.materials]}")

            chosen = replace(chosen, materials=tuple(m for m in chosen.materials if m.name in only))
        overrides = {
            "max_atoms": max_atoms,
            "min_width_a": min_width_a,
            "defect_fmax_ev_per_a": fmax,
            "neb_fmax_ev_per_a": fmax,
            "n_interstitial_starts": starts,
            "neb_images": images,
        }
        settings = _settings(config, overrides)
        dynamic = _dynamic_settings(
            config,
            {"metad": {"steps": metad_steps, "protocol": metad_protocol, "temperature_k": temperature_k}},
        )
        if device is not None and not (device == "cpu" or device.startswith("cuda")):
            raise _fail(f"--device: cpu or cuda (or cuda:N), got {device!r}")
        specs = plan_jobs(
            chosen, _split(methods), _split(potentials), out, settings, threads, dynamic, device
        )
        out.mkdir(parents=True, exist_ok=True)
        store = open_store(f"sqlite:///{(out / 'jobs.sqlite').resolve()}")
        executor = JobExecutor(n_workers=workers)
        console.print(f"{len(specs)} jobs ({len(chosen.materials)} materials) in {out}")
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        ) as bar:
            tasks: dict[str, Any] = {}

            def progress(method: str, done: int, total: int) -> None:
                if method not in tasks:
                    tasks[method] = bar.add_task(f"benchmark {method}", total=total)
                bar.update(tasks[method], completed=done)

            try:
                records, crashed = run_benchmark(specs, store, executor, progress)
            finally:
                executor.close()
        if record_to_store:
            store = open_store_from_option(db)
            console.print(f"store: {record_results(store, records, store_unconverged=store_unconverged)}")
    except SselabError as exc:
        raise _fail(str(exc)) from exc
    failed = [r for r in records if r.status != "ok"]
    console.print(
        f"{len(records) - len(failed)} jobs done, {len(failed)} failed; report: sselab benchmark report {out}"
    )
    for record in failed:
        console.print(
            f"  failed: {record.material.name} / {record.method} / {record.potential}: {record.error}"
        )
    if crashed:
        raise _fail("jobs crashed (rerun the same command to retry them): " + " | ".join(crashed))


def _flags(items: list[str] | None) -> dict[str, str]:
    flags = {}
    for item in items or []:
        name, sep, reason = item.partition("=")
        if not sep or not reason.strip():
            raise _fail(f"--flag {item!r}: write NAME=REASON (the reason is required)")
        flags[name.strip()] = reason.strip()
    return flags


@benchmark_app.command("report")
def report_command(
    run_folder: Annotated[Path, typer.Argument(help="Folder of a 'benchmark run'.")],
    flag: Annotated[
        list[str] | None,
        typer.Option("--flag", help="NAME=REASON: distrust a material's experimental Ea (repeat)."),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the figure and tables.")] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Rows CSV (default OUT/hydride_benchmark.csv).")
    ] = None,
) -> None:
    """R², MAE, RMSE and N per method × potential (converged values only; with and without flagged
    experiments), the parity figure and the rows CSV."""

    if not run_folder.is_dir():
        raise _fail(f"no run folder {run_folder}")
    records = read_records(run_folder)
    if not records:
        raise _fail(f"no benchmark results in {run_folder}")
    flags = _flags(flag)
    unknown = sorted(set(flags) - {r.material.name for r in records})
    if unknown:
        raise _fail(f"--flag: no material {unknown} in {run_folder}")
    try:
        bench = benchmark_report(records, flags)
    except SselabError as exc:
        raise _fail(str(exc)) from exc
    folder = out or run_folder / "report"
    folder.mkdir(parents=True, exist_ok=True)
    console = _console()
    console.print(_table("computed vs experimental Ea (eV), converged only", bench.metrics))
    console.print(f"rows {write_rows_csv(bench, csv or folder / 'hydride_benchmark.csv')}")
    console.print(f"parity figure {parity_figure(bench, folder / 'parity.png')}")
    (folder / "tables.md").write_text(markdown_tables(bench), encoding="utf-8")
    bench.metrics.to_csv(folder / "metrics.csv", index=False)
    console.print(f"tables {folder / 'tables.md'}, metrics {folder / 'metrics.csv'}")


def register(app: typer.Typer) -> None:
    """Add the ``benchmark`` command group to the ``sselab`` application."""
    app.add_typer(benchmark_app, name="benchmark")
