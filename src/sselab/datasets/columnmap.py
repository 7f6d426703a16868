"""Column maps of generic tables: which column holds what, in which unit, and values for the whole table.

A researcher's table (CSV, TSV, Excel, Parquet) names its columns as it likes; a :class:`ColumnMap` says which
column is the formula, the temperature, the conductivity, the activation energy, its method and so on
(:data:`FIELDS`), the unit of every number column (:data:`~sselab.datasets.tableunits.UNITS`, converted by
:mod:`sselab.datasets.tableunits`; there is no default unit: a number column without a declared unit is
refused), and values that hold for every row (``defaults``, e.g. the DOI of a figure digitised from one paper,
or ``method = "experiment"``). It comes from a small TOML or YAML file, from
command-line options, or both (options win, key by key), and is validated once here.

Columns named as :data:`CANONICAL` (``temperature_k``, ``conductivity_s_per_cm``, ``activation_energy_ev``,
``source_doi`` ...: what ``sselab data export`` writes) need no map: the unit is in the name.

Example::

    >>> cm = build_column_map(options={"columns": {"formula": "Composition", "temperature": "T (C)",
    ...     "conductivity": "sigma"}, "units": {"temperature": "°C", "conductivity": "mS/cm"}})
    >>> cm.unit("temperature"), convert("temperature", cm.unit("temperature"), 25.0)
    ('°C', 298.15)
    >>> convert("conductivity", "log10(S/cm)", -3.0)
    0.001
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from sselab.datasets.tableunits import UNITS, check_unit, convert, quantity_of
from sselab.errors import ConfigError
from sselab.store.records import METHODS

__all__ = [
    "CANONICAL",
    "DEFAULT_FIELDS",
    "FIELDS",
    "UNITS",
    "UNIT_FIELDS",
    "ColumnMap",
    "ResolvedMap",
    "build_column_map",
    "convert",
    "load_map_file",
    "parse_assignments",
    "resolve",
]

FIELDS: dict[str, str] = {
    "formula": "chemical formula as written (required)",
    "temperature": "temperature of the conductivity (unit: units.temperature)",
    "conductivity": "ionic conductivity at that temperature (unit: units.conductivity)",
    "activation_energy": "activation energy (unit: units.activation_energy)",
    "uncertainty": "uncertainty of the activation energy (unit: units.uncertainty, default that of Ea)",
    "method": "how the Ea was obtained: " + ", ".join(METHODS),
    "potential": "interatomic potential or DFT functional of a computed Ea (PBE, r2SCAN, CHGNet ...)",
    "phase": "phase label of the row (low-T, high-T, β ...)",
    "temperature_min": "lowest temperature of the Ea fit (unit: units.temperature_min, default that of T)",
    "temperature_max": "highest temperature of the Ea fit (unit: units.temperature_max, default that of T)",
    "doi": "DOI of the row's source (10.xxxx/...; https://doi.org/ and doi: prefixes are removed)",
    "citation": "free-text citation of the row's source (when there is no DOI, or beside it)",
    "note": "free-text note stored with an Ea",
    "entry": "the source's own id of the row (tells apart rows that are otherwise the same)",
    "cation": "conducting ion (element symbol), a hint for the formula parser",
    "dataset": "dataset of the row (default: the import's dataset)",
    "family": "family label of the material (the source's own grouping)",
    "parameters": "JSON object of parameters of a computed Ea",
    "run_folder": "folder of the sselab run a computed Ea came from",
}
"""What a column can hold (the keys of ``[columns]``)."""

UNIT_FIELDS: dict[str, str | None] = {
    "temperature": None,
    "conductivity": None,
    "activation_energy": None,
    "uncertainty": "activation_energy",
    "temperature_min": "temperature",
    "temperature_max": "temperature",
}
"""Number fields that need a unit, and the field whose unit they take when none is declared."""

DEFAULT_FIELDS: tuple[str, ...] = (
    "method", "potential", "phase", "doi", "citation", "note", "cation", "temperature", "family",
)  # fmt: skip
"""Fields that ``[defaults]`` may set for every row (a blank cell of a mapped column takes the default)."""


CANONICAL: dict[str, tuple[str, str | None]] = {
    "formula": ("formula", None),
    "temperature_k": ("temperature", "K"),
    "temperature_c": ("temperature", "°C"),
    "conductivity_s_per_cm": ("conductivity", "S/cm"),
    "conductivity_ms_per_cm": ("conductivity", "mS/cm"),
    "conductivity_s_per_m": ("conductivity", "S/m"),
    "log10_conductivity_s_per_cm": ("conductivity", "log10(S/cm)"),
    "activation_energy_ev": ("activation_energy", "eV"),
    "activation_energy_mev": ("activation_energy", "meV"),
    "activation_energy_kj_per_mol": ("activation_energy", "kJ/mol"),
    "uncertainty_ev": ("uncertainty", "eV"),
    "temperature_min_k": ("temperature_min", "K"),
    "temperature_max_k": ("temperature_max", "K"),
    "method": ("method", None),
    "potential": ("potential", None),
    "phase": ("phase", None),
    "doi": ("doi", None),
    "source_doi": ("doi", None),
    "citation": ("citation", None),
    "source_citation": ("citation", None),
    "note": ("note", None),
    "entry": ("entry", None),
    "cation": ("cation", None),
    "dataset": ("dataset", None),
    "family_label": ("family", None),
    "parameters": ("parameters", None),
    "run_folder": ("run_folder", None),
}
"""Column names recognised without a map (``sselab data export`` writes them): name -> (field, unit)."""


class ColumnMap(BaseModel):
    """Where each field is in a table, the unit of each number column, and values for every row.

    Attributes
    ----------
    columns
        Field (:data:`FIELDS`) -> column name as written in the file's header.
    units
        Number field (:data:`UNIT_FIELDS`) -> unit (:data:`UNITS`).
    defaults
        Field (:data:`DEFAULT_FIELDS`) -> value for rows whose cell is blank or that have no such column.
    dataset
        Dataset the rows are stored under (default: the file's name without suffix).
    sheet
        Excel only: the sheet to read (default: the first).
    delimiter
        CSV only: the field separator (default ``,``; ``\\t`` for ``.tsv``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: dict[str, str] = {}
    units: dict[str, str] = {}
    defaults: dict[str, str | float] = {}
    dataset: str | None = None
    sheet: str | None = None
    delimiter: str | None = None

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        for key, header in value.items():
            if key not in FIELDS:
                raise ValueError(f"unknown field {key!r}; fields are {', '.join(FIELDS)}")
            if not str(header).strip():
                raise ValueError(f"{key}: empty column name")
        return {key: str(header).strip() for key, header in value.items()}

    @field_validator("units")
    @classmethod
    def _known_units(cls, value: dict[str, str]) -> dict[str, str]:
        out = {}
        for key, unit in value.items():
            if key not in UNIT_FIELDS:
                raise ValueError(f"{key!r} takes no unit; number fields are {', '.join(UNIT_FIELDS)}")
            try:
                out[key] = check_unit(quantity_of(key), unit)
            except ConfigError as exc:
                raise ValueError(f"{key}: {exc}") from exc
        return out

    @field_validator("defaults")
    @classmethod
    def _known_defaults(cls, value: dict[str, str | float]) -> dict[str, str | float]:
        for key, given in value.items():
            if key not in DEFAULT_FIELDS:
                raise ValueError(f"no default for {key!r}; defaults may set {', '.join(DEFAULT_FIELDS)}")
            if key == "temperature" and isinstance(given, str):
                try:
                    value[key] = float(given)
                except ValueError as exc:
                    raise ValueError(f"temperature: {given!r} is not a number") from exc
        return value

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is not None:
            value = "\t" if value in ("\\t", "tab", "TAB") else value
            if len(value) != 1:
                raise ValueError(f"{value!r}: the delimiter is one character (',', ';', '\\t')")
        return value

    @model_validator(mode="after")
    def _units_declared(self) -> ColumnMap:
        for key, fallback in UNIT_FIELDS.items():
            given = key in self.columns or (key in self.defaults)
            if given and key not in self.units and not (fallback and fallback in self.units):
                raise ValueError(
                    f"units.{key} is required: the {key.replace('_', ' ')} column has no declared unit "
                    f"(one of {', '.join(UNITS[quantity_of(key)])})"
                )
        return self

    def unit(self, field: str) -> str | None:
        """The unit of number field ``field`` (its own, else its fallback's), or ``None``."""
        if field in self.units:
            return self.units[field]
        fallback = UNIT_FIELDS.get(field)
        return self.units.get(fallback) if fallback else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (what a TOML or YAML map file holds)."""
        return self.model_dump(exclude_none=True)


def load_map_file(path: Path) -> dict[str, Any]:
    """The raw mapping of a TOML (``.toml``) or YAML (``.yaml``/``.yml``) column-map file.

    Raises
    ------
    ConfigError
        For a missing or unreadable file, a syntax error (with its line), or a top level that is no table.
    """
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".yaml", ".yml"):
        raise ConfigError(f"column map {path}: use a .toml or .yaml file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"column map {path}: cannot read it ({exc})") from exc
    try:
        if suffix == ".toml":
            data: Any = tomllib.loads(text)
        else:
            data = yaml.safe_load(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"column map {path}: not valid TOML: {exc}") from exc
    except ImportError as exc:
        raise ConfigError(f"column map {path}: reading YAML needs PyYAML ({exc})") from exc
    except Exception as exc:  # yaml.YAMLError and its subclasses carry the line in their message
        if type(exc).__module__.startswith("yaml"):
            raise ConfigError(f"column map {path}: not valid YAML: {exc}") from exc
        raise
    if not isinstance(data, dict):
        raise ConfigError(f"column map {path}: the top level must be a table of keys")
    return data


def parse_assignments(items: Sequence[str], option: str) -> dict[str, str]:
    """``["formula=Composition", "doi=DOI"]`` -> ``{"formula": "Composition", "doi": "DOI"}``.

    Raises
    ------
    ConfigError
        Naming ``option`` for an item without ``=`` or with an empty key.
    """
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{option} {item!r}: write FIELD=VALUE (e.g. {option} formula=Composition)")
        out[key.strip()] = value.strip()
    return out


def build_column_map(
    file_map: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    *,
    source: str = "column map",
) -> ColumnMap:
    """Validate a column map from a map file's mapping and command-line options (options win, key by key).

    Parameters
    ----------
    file_map
        What :func:`load_map_file` read (keys ``columns``, ``units``, ``defaults``, ``dataset``, ``sheet``,
        ``delimiter``).
    options
        The same keys from options (``--col``, ``--unit``, ``--set``, ``--dataset`` ...).
    source
        How an error names where the map came from (the file, the options).

    Raises
    ------
    ConfigError
        Naming the key and what is wrong (unknown field or unit, a number column without a unit ...).
    """
    merged: dict[str, Any] = {}
    for part in (file_map or {}, options or {}):
        for key, value in part.items():
            if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
                merged[key] = {**merged[key], **value}
            elif value is not None:
                merged[key] = dict(value) if isinstance(value, Mapping) else value
    try:
        return ColumnMap.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'map'}: {error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors()
        )
        raise ConfigError(f"{source}: {problems}") from None


@dataclass(frozen=True)
class ResolvedMap:
    """A column map applied to a file's header: the column of each field and the unit of each number field.

    ``recognised`` lists the columns taken by their :data:`CANONICAL` name, ``unused`` the header's columns
    that no field reads.
    """

    columns: dict[str, str]
    units: dict[str, str]
    defaults: dict[str, str | float]
    recognised: tuple[str, ...]
    unused: tuple[str, ...]


def resolve(column_map: ColumnMap, header: Sequence[str], file: str) -> ResolvedMap:
    """Apply ``column_map`` to a file's ``header``; canonical names fill the fields the map leaves alone.

    A field is filled from a :data:`CANONICAL` column only when the map gives it no column, no unit and no
    default (so a map never mixes its units with a canonical column's).

    Raises
    ------
    ConfigError
        When a mapped column is not in the header (the header is listed), two canonical columns give one
        field, or no column holds the formula.
    """
    names = [str(h).strip() for h in header]
    missing = [f"{field}={col!r}" for field, col in column_map.columns.items() if col not in names]
    if missing:
        raise ConfigError(f"{file}: column(s) {', '.join(missing)} not in the header; the header has {names}")
    columns = dict(column_map.columns)
    units = {field: unit for field in UNIT_FIELDS if (unit := column_map.unit(field)) is not None}
    recognised: list[str] = []
    for name in names:
        if name not in CANONICAL or name in columns.values():
            continue
        field, unit = CANONICAL[name]
        if field in column_map.columns or field in column_map.units or field in column_map.defaults:
            continue
        if field in columns:
            raise ConfigError(f"{file}: columns {columns[field]!r} and {name!r} both give {field}; map one")
        columns[field] = name
        recognised.append(name)
        if unit is not None:
            units[field] = unit
    if "formula" not in columns:
        raise ConfigError(
            f'{file}: no formula column; map one (--col formula=NAME or [columns] formula = "NAME"), or '
            f"name it 'formula'. The header has {names}"
        )
    for field in UNIT_FIELDS:
        if field in columns and field not in units:
            raise ConfigError(
                f"{file}: column {columns[field]!r} ({field}) has no unit; declare units.{field}"
            )
    used = set(columns.values())
    return ResolvedMap(
        columns=columns,
        units=units,
        defaults=dict(column_map.defaults),
        recognised=tuple(recognised),
        unused=tuple(n for n in names if n not in used and n),
    )
