"""Option types and helpers of the commands that run a method (units in help texts).

The options every command shares (``--db``, ``--out``, ``--seed``) are in :mod:`sselab.cli.common`
(re-exported here), which does not import the simulation package, so that ``sselab data`` starts fast.

Options of a command that runs a method are named after the fields of the method's settings (``--width-a``
is ``MetaDSettings.width_a``), take their defaults and help from it (:func:`setting`), and can come from a
TOML file given with ``--config`` (:data:`ConfigOption`, as janus-core's ``use_config``): its keys are the
options' names (``temperature_k = 600`` or ``temperature-k = 600``), and an option given on the command line
overrides the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from sselab.cli.common import DbOption, OutDirOption, SeedOption, open_store_from_option
from sselab.errors import (
    ConfigError,
    DataImportError,
    FormulaParseError,
    SearchInputError,
    SettingsError,
    SselabError,
)
from sselab.simulate.recording import RecordableResult, record_activation_energy
from sselab.simulate.results import STRUCTURE_PROVENANCES
from sselab.simulate.settings import option_name
from sselab.store import as_store

__all__ = [
    "ConfigOption",
    "DbOption",
    "OutDirOption",
    "ProvenanceOption",
    "SeedOption",
    "StoreUnconvergedOption",
    "cli_label",
    "fail",
    "open_store_from_option",
    "setting",
    "settings_values",
    "store_result",
]

StoreUnconvergedOption = Annotated[
    bool,
    typer.Option(
        "--store-unconverged",
        help="Also store a barrier that is not shown converged (labelled so); impossible ones never are.",
    ),
]
ProvenanceOption = Annotated[
    str,
    typer.Option(
        "--structure-provenance",
        help=f"Where the structure comes from (stored with the barrier): {', '.join(STRUCTURE_PROVENANCES)}.",
    ),
]

#: Options whose name is not ``--`` + the field's (the run folder is ``--out`` everywhere).
_RENAMED = {"run_dir": "--out", "population_size": "--population"}


def cli_label(field: str) -> str:
    """How a settings field is written on the command line: ``width_a`` -> ``--width-a``."""
    return _RENAMED.get(field, option_name(field))


def setting(cls: Any, field: str, *aliases: str) -> Any:
    """A ``typer.Option`` for the settings field ``field`` of ``cls``: its option name, aliases and help."""
    return typer.Option(cli_label(field), *aliases, help=cls.describe(field))


def settings_values(
    ctx: typer.Context, cls: Any, convert: dict[str, Callable[[Any], Any]] | None = None
) -> dict[str, Any]:
    """The values of ``ctx``'s options that are fields of the settings class ``cls`` (converted by
    ``convert``)."""
    convert = convert or {}
    fields = getattr(cls, "model_fields", None) or cls.__dataclass_fields__
    return {
        name: convert.get(name, _same)(value)
        for name, value in ctx.params.items()
        if name in fields and value is not None
    }


def _same(value: Any) -> Any:
    return value


def _load_config(ctx: typer.Context, param: typer.CallbackParam, value: Path | None) -> Path | None:
    """``--config FILE``: read the TOML file into the command's defaults, so explicit options override it."""
    if value is None or ctx.resilient_parsing:
        return value
    try:
        data = tomllib.loads(Path(value).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise typer.BadParameter(f"{value}: cannot read it as TOML: {exc}") from None
    known = {p.name for p in ctx.command.params if p.name and p.name != param.name}
    values = {str(key).replace("-", "_"): item for key, item in data.items()}
    unknown = sorted(set(values) - known)
    if unknown:
        names = ", ".join(sorted(known))
        raise typer.BadParameter(f"{value}: unknown option(s) {', '.join(unknown)}; options: {names}")
    values = {k: ",".join(str(x) for x in v) if isinstance(v, list) else v for k, v in values.items()}
    ctx.default_map = {**(ctx.default_map or {}), **values}
    return value


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="TOML file of options (keys named as the options: temperature_k = 600); options given on the "
        "command line override it.",
        is_eager=True,
        callback=_load_config,
        exists=True,
        dir_okay=False,
    ),
]


#: Errors that mean the input was bad (exit code 2); any other error is a failure while working (1).
INPUT_ERRORS = (ConfigError, DataImportError, FormulaParseError, SearchInputError)


def fail(console: Console, exc: SselabError, code: int | None = None) -> NoReturn:
    """Print ``exc`` as a one-line error (naming the option for settings errors) and exit: 2 for bad input
    (:data:`INPUT_ERRORS`: options, settings, files, formulas), 1 for a failure while working."""
    message = exc.describe(cli_label) if isinstance(exc, SettingsError) else str(exc)
    exit_code = 2 if isinstance(exc, INPUT_ERRORS) else 1
    console.print(f"[red]error:[/red] {message}", soft_wrap=True)
    raise typer.Exit(code if code is not None else exit_code)


def store_result(
    console: Console,
    result: RecordableResult,
    db: str | None,
    material: str | None,
    store_unconverged: bool,
    method: str | None = None,
) -> None:
    """Record ``result``'s activation energy in the store of ``--db`` and say what happened (stored, or why
    not: no barrier, impossible, unconverged without ``--store-unconverged``, already stored)."""
    outcome = record_activation_energy(
        as_store(db), result, material=material, method=method, store_unconverged=store_unconverged
    )
    if outcome.stored:
        console.print(f"stored activation energy #{outcome.ea_id} ({outcome.reason})")
    else:
        reason = outcome.reason.replace("store_unconverged", "--store-unconverged")
        console.print(f"[yellow]not stored:[/yellow] {reason}", soft_wrap=True)
