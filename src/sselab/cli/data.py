"""``sselab data list | fetch NAME | import NAME|all`` and ``sselab demo`` (import everything, summary,
figure); ``data import-table | add | export`` are in :mod:`sselab.cli.data_tables`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from sselab.cli import data_tables
from sselab.cli.common import DbOption, OutDirOption, open_store_from_option
from sselab.cli.import_display import print_report
from sselab.datasets import fetch_all, import_dataset, import_file, list_datasets, reports_dir
from sselab.datasets.demo import run_data_demo
from sselab.errors import DatasetError, SselabError

if TYPE_CHECKING:
    from sselab.datasets.report import ImportReport

TemperatureUnitOption = Annotated[
    str,
    typer.Option(
        "--temperature-unit",
        help="Unit of the liverpool-ionics temperature column: C, K or auto (auto: °C when any value < 150).",
    ),
]


def _console() -> Console:
    return Console()


def _fail(message: str) -> typer.Exit:
    Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(code=2)


def _frame_table(title: str, frame: pd.DataFrame) -> object:
    table = Table(title=title)
    for number, column in enumerate(frame.columns):
        table.add_column(str(column), no_wrap=number == 0, justify="left" if number == 0 else "right")
    for row in frame.itertuples(index=False):
        table.add_row(*[str(v) for v in row])
    return table


def _imports_frame(reports: dict[str, ImportReport]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "dataset": name,
                "rows read": r.rows_read,
                "imported": r.imported,
                "skipped": r.rows_skipped,
                "fields skipped": len(r.skipped),
                "warnings": len(r.warnings),
                "status": "already present" if r.already_present else "new",
            }
            for name, r in reports.items()
        ]
    )


def register(app: typer.Typer) -> None:
    """Add the ``data`` command group and the ``demo`` command to ``app``."""
    data_app = typer.Typer(
        help="Public datasets (list, fetch with sha256, import); your own tables (import-table, add, export)."
    )
    app.add_typer(data_app, name="data")
    data_tables.register(data_app)

    @data_app.command("list")
    def list_command() -> None:
        """List the registered datasets with their files, licence and citation."""
        table = Table("name", "files", "licence", "description")
        for info in list_datasets():
            files = "\n".join(f"{f.mirror_path} ({f.size} B)" for f in info.files)
            table.add_row(info.name, files, info.licence, info.description)
        _console().print(table)

    @data_app.command("fetch")
    def fetch_command(
        name: Annotated[str, typer.Argument(help="Dataset name (see `sselab data list`).")],
    ) -> None:
        """Fetch a dataset (mirror, then cache, then download) and verify its sha256."""
        try:
            paths = fetch_all(name)
        except DatasetError as exc:
            raise _fail(str(exc)) from exc
        for mirror_path, path in paths.items():
            _console().print(f"{mirror_path}: {path} (sha256 verified)")

    @data_app.command("import")
    def import_command(
        name: Annotated[str, typer.Argument(help="Dataset name, or 'all'.")],
        db: DbOption = None,
        temperature_unit: TemperatureUnitOption = "auto",
        file: Annotated[
            Path | None,
            typer.Option(
                "--file", help="Import this local file in the dataset's format instead of the registered one."
            ),
        ] = None,
        archive: Annotated[
            Path | None, typer.Option("--archive", help="With --file, obelix only: the CIF archive (zip).")
        ] = None,
    ) -> None:
        """Import a dataset (or all) into the store; print and save the import report.

        Every row is checked first (plausible ranges, numbers as written, duplicates, structures); refused
        rows are listed with their reason. Re-importing an edited file adds only its new rows and replaces
        the edited ones.
        """
        if temperature_unit not in ("C", "K", "auto"):
            raise _fail(f"--temperature-unit {temperature_unit!r}: use C, K or auto")
        if file is not None and name == "all":
            raise _fail("--file needs one dataset name (the file's format), not 'all'")
        if archive is not None and file is None:
            raise _fail("--archive goes with --file")
        for given, option in ((file, "--file"), (archive, "--archive")):
            if given is not None and not given.is_file():
                raise _fail(f"{option} {given}: no such file")
        names = [info.name for info in list_datasets()] if name == "all" else [name]
        console = _console()
        try:
            store = open_store_from_option(db)
            for each in names:
                if file is not None:
                    report = import_file(
                        each,
                        file,
                        store,
                        extra_path=archive,
                        temperature_unit=temperature_unit,
                        progress=True,
                    )
                else:
                    report = import_dataset(each, store, progress=True, temperature_unit=temperature_unit)
                print_report(console, report, reports_dir())
        except SselabError as exc:
            raise _fail(str(exc)) from exc

    @app.command("demo")
    def demo_command(out: OutDirOption = Path("out"), db: DbOption = None) -> None:
        """Import the four public datasets, print a summary table and write the Fig. 1b-style figure."""
        console = _console()
        try:
            store = open_store_from_option(db)
            result = run_data_demo(store, out, progress=True)
        except SselabError as exc:
            raise _fail(str(exc)) from exc
        console.print(_frame_table("Imports", _imports_frame(result["reports"])))
        console.print(f"import reports (skipped rows with reasons, warnings, assumptions): {reports_dir()}")
        console.print(_frame_table("Per dataset", result["per_dataset"]))
        console.print(_frame_table("Per cation", result["per_cation"]))
        fig = result["figure_summary"]
        console.print(
            f"figure: {result['figure']} ({fig.conductivity_points} hydride σ(T) points of "
            f"{fig.conductivity_materials} materials, {fig.points_with_ea} sized by Ea; "
            f"{fig.ea_values} hydride Ea values)"
        )
