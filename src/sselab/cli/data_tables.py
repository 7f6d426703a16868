"""``sselab data import-table FILE | add FORMULA | export OUT``: a researcher's own σ(T) and Ea in and out.

The column map of ``import-table`` comes from ``--map FILE`` (TOML or YAML) and/or ``--col FIELD=COLUMN``,
``--unit FIELD=UNIT``, ``--set FIELD=VALUE`` (options win); see :mod:`sselab.datasets.columnmap`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sselab.cli.common import DbOption, open_store_from_option
from sselab.cli.import_display import print_report
from sselab.datasets.columnmap import build_column_map, load_map_file, parse_assignments
from sselab.datasets.importing import import_parsed, reports_dir
from sselab.datasets.tables import add_entry, read_table
from sselab.datasets.validation import screen_parsed_file
from sselab.errors import SselabError

if TYPE_CHECKING:
    from sselab.datasets.report import ImportReport

_FIELDS_HELP = (
    "formula, temperature, conductivity, activation_energy, uncertainty, method, potential, phase, "
    "temperature_min, temperature_max, doi, citation, note, entry, cation, dataset, family, parameters, "
    "run_folder"
)
ColOption = Annotated[
    list[str] | None,
    typer.Option("--col", help=f"FIELD=COLUMN: the column holding FIELD (repeat). Fields: {_FIELDS_HELP}."),
]
UnitOption = Annotated[
    list[str] | None,
    typer.Option(
        "--unit",
        help="FIELD=UNIT (repeat): temperature K|°C|1000/K; conductivity S/cm|mS/cm|µS/cm|S/m|log10(S/cm)|"
        "log10(S K/cm); activation_energy eV|meV|kJ/mol|kcal/mol. Every number column needs one.",
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="FIELD=VALUE for every row without one (repeat): method, potential, phase, doi, citation, note, "
        "cation, temperature, family.",
    ),
]


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(code=2)


def _print(report: ImportReport, saved: Path | None = None) -> None:
    print_report(Console(), report, saved)


def import_table_command(
    file: Annotated[Path, typer.Argument(help="The table: .csv, .tsv, .xlsx or .parquet.")],
    db: DbOption = None,
    map_file: Annotated[
        Path | None, typer.Option("--map", help="Column map file (.toml or .yaml); options override it.")
    ] = None,
    col: ColOption = None,
    unit: UnitOption = None,
    set_: SetOption = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Store the rows under this dataset (default: file name).")
    ] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Excel: the sheet (default: first).")] = None,
    delimiter: Annotated[
        str | None, typer.Option("--delimiter", help="CSV field separator (default ',', TSV tab).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read and check every row, print the report, store nothing.")
    ] = False,
) -> None:
    """Import a table of σ(T) and/or Ea (measured or computed) with declared units and sources.

    Every row is checked as the registered datasets are (physical ranges after the unit conversion,
    numbers as written, duplicates) and refused rows are listed with file line, column and raw text. Every
    row needs a source (a DOI or citation column, or --set doi=... for the whole table). Re-importing adds
    nothing; an edited row replaces only itself (reported).
    """
    try:
        options: dict[str, Any] = {
            "columns": parse_assignments(col or [], "--col"),
            "units": parse_assignments(unit or [], "--unit"),
            "defaults": parse_assignments(set_ or [], "--set"),
            "sheet": sheet,
            "delimiter": delimiter,
        }
        file_map = load_map_file(map_file) if map_file is not None else None
        source = f"column map {map_file} with options" if map_file else "column-map options"
        column_map = build_column_map(file_map, options, source=source)
        parsed = read_table(file, column_map, dataset=dataset, progress=True)
        if dry_run:
            report = screen_parsed_file(parsed).to_report(None)
            _print(report)
            typer.echo("dry run: nothing stored")
            return
        report = import_parsed(parsed, open_store_from_option(db))
    except SselabError as exc:
        raise _fail(str(exc)) from exc
    _print(report, reports_dir())
    if report.imported == 0 and report.rows_read > 0:
        raise _fail(f"no row of {file.name} could be imported (reasons above)")


def add_command(
    formula: Annotated[str, typer.Argument(help="Formula as written, e.g. 'Mg(BH4)2·2NH3'.")],
    db: DbOption = None,
    temperature: Annotated[
        str | None, typer.Option("--temperature", help="T of σ (unit: --temperature-unit).")
    ] = None,
    temperature_unit: Annotated[str, typer.Option("--temperature-unit", help="K, °C or 1000/K.")] = "K",
    conductivity: Annotated[
        str | None, typer.Option("--conductivity", help="σ (unit: --conductivity-unit).")
    ] = None,
    conductivity_unit: Annotated[
        str, typer.Option("--conductivity-unit", help="S/cm, mS/cm, µS/cm, S/m, log10(S/cm) ...")
    ] = "S/cm",
    ea: Annotated[str | None, typer.Option("--ea", help="Activation energy (unit: --ea-unit).")] = None,
    ea_unit: Annotated[str, typer.Option("--ea-unit", help="eV, meV, kJ/mol or kcal/mol.")] = "eV",
    uncertainty: Annotated[
        str | None, typer.Option("--uncertainty", help="Ea uncertainty (--ea-unit).")
    ] = None,
    method: Annotated[
        str | None, typer.Option("--method", help="experiment, MetaD, CI-NEB, AIMD, MLMD, BVSE, regression.")
    ] = None,
    potential: Annotated[
        str | None, typer.Option("--potential", help="Potential or functional (PBE ...).")
    ] = None,
    phase: Annotated[str | None, typer.Option("--phase", help="Phase label.")] = None,
    doi: Annotated[str | None, typer.Option("--doi", help="DOI of the source.")] = None,
    citation: Annotated[
        str | None, typer.Option("--citation", help="Free-text citation of the source.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Note stored with an Ea.")] = None,
    entry: Annotated[str | None, typer.Option("--entry", help="The source's id of this value.")] = None,
    cation: Annotated[str | None, typer.Option("--cation", help="Conducting ion (parser hint).")] = None,
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset to store the entry under.")] = "user",
) -> None:
    """Add one measurement (σ at T) and/or one Ea from the command line, with the checks of import-table.

    The same material, source and conditions again replaces the stored value (reported).
    """
    values = {
        "formula": formula,
        "temperature": temperature,
        "conductivity": conductivity,
        "activation_energy": ea,
        "uncertainty": uncertainty,
        "method": method,
        "potential": potential,
        "phase": phase,
        "doi": doi,
        "citation": citation,
        "note": note,
        "entry": entry,
        "cation": cation,
    }
    if conductivity is None and ea is None:
        raise _fail("give --conductivity (with --temperature) and/or --ea")
    units = {"temperature": temperature_unit, "conductivity": conductivity_unit, "activation_energy": ea_unit}
    try:
        report = add_entry(open_store_from_option(db), values, units, dataset=dataset)
    except SselabError as exc:
        raise _fail(str(exc)) from exc
    _print(report)
    if report.imported == 0:
        raise _fail("the entry was not stored (reasons above)")


def export_command(
    out: Annotated[Path, typer.Argument(help="Folder for conductivity.<fmt> and activation_energy.<fmt>.")],
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    dataset: Annotated[str | None, typer.Option("--dataset", help="Only this dataset.")] = None,
    cation: Annotated[str | None, typer.Option("--cation", help="Only materials with this ion.")] = None,
    method: Annotated[
        str | None, typer.Option("--method", help="Only Ea by this method (σ rows only for experiment).")
    ] = None,
    formula: Annotated[
        str | None, typer.Option("--formula", help="Only this formula (or the same reduced composition).")
    ] = None,
) -> None:
    """Export σ(T) and Ea rows with units and sources in the column names (re-importable by import-table)."""
    if fmt not in ("csv", "parquet"):
        raise _fail(f"--format {fmt!r}: use csv or parquet")
    if out.exists() and not out.is_dir():
        raise _fail(f"{out} is a file; give a folder")
    try:
        frames = open_store_from_option(db).export_frames(
            dataset=dataset, cation=cation, method=method, formula=formula
        )
    except SselabError as exc:
        raise _fail(str(exc)) from exc
    table = Table("file", "rows", "columns", title="sselab data export")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in frames.items():
            path = out / f"{name}.{fmt}"
            if fmt == "csv":
                frame.to_csv(path, index=False)
            else:
                frame.to_parquet(path, index=False)
            table.add_row(str(path), str(len(frame)), ", ".join(frame.columns[:6]) + ", …")
    except OSError as exc:
        raise _fail(f"cannot write the export into {out}: {exc.strerror or exc}") from exc
    Console().print(table)


def register(data_app: typer.Typer) -> None:
    """Add ``import-table``, ``add`` and ``export`` to the ``data`` command group."""
    data_app.command("import-table")(import_table_command)
    data_app.command("add")(add_command)
    data_app.command("export")(export_command)
