"""Benchmark manifests: which structures to compute, where each comes from, and the experiment to compare.

A manifest is a TOML file (``[[material]]`` tables) or a CSV file (one row per material). Fields:

============================  =====================================================================
``formula``                   composition as written (``LiBH4``, ``Mg(BH4)2·6NH3``); required
``phase``                     phase of the experiment the structure stands for (``low-T``, ``high-T``,
                              or free text); required
``structure``                 ``builtin:libh4_pnma``, ``obelix:ID`` (OBELiX CIF via the dataset mirror),
                              ``predicted:FILE`` (a CIF shipped with sselab), or a path (relative to the
                              manifest); required
``provenance``                ``experimental``, ``predicted`` or ``user``; required
``provenance_note``           where exactly the structure comes from (free text)
``experimental_ea_ev``        the measured activation energy (eV); or, TOML only, ``experiment = {dataset =
                              "wang2025-ea", index = [2]}``: the value is read from that dataset's rows
                              (by their ``Index``) and checked to match formula and phase
``doi``                       of the experiment
``temperature_min_k``,        range of the measurement (K), optional
``temperature_max_k``
``cation``                    migrating element (default: the formula's cation)
``name``                      unique label (default ``formula`` + ``phase`` + ``provenance``)
``suspect``                   reason to distrust the experimental value (the report shows metrics with
                              and without such rows)
``settings``                  TOML only: recipe settings for this material that override the run's, e.g.
                              ``settings = { max_atoms = 140 }`` for a large cell
============================  =====================================================================

Example
-------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "mine.csv"
>>> _ = path.write_text("formula,phase,structure,provenance,experimental_ea_ev,doi\\n"
...                     "LiBH4,low-T,builtin:libh4_pnma,experimental,0.69,10.1063/1.2817934\\n")
>>> [(m.formula, m.cation, m.experimental_ea_ev) for m in read_manifest(path).materials]
[('LiBH4', 'Li', 0.69)]
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sselab.chem import parse_formula
from sselab.errors import ConfigError, DataImportError, FormulaParseError
from sselab.simulate.defects import CompositeSettings

PROVENANCES = ("experimental", "predicted", "user")
_FIELDS = {
    "name",
    "formula",
    "phase",
    "structure",
    "provenance",
    "provenance_note",
    "experimental_ea_ev",
    "experiment",
    "doi",
    "temperature_min_k",
    "temperature_max_k",
    "cation",
    "suspect",
    "settings",
}


@dataclass(frozen=True)
class ExperimentLink:
    """Rows of a named dataset that hold the experimental Ea (read at run time, never copied)."""

    dataset: str
    index: tuple[int, ...]


@dataclass(frozen=True)
class BenchmarkMaterial:
    """One structure of a benchmark and the experiment it is compared with.

    Attributes
    ----------
    name
        Unique label (used for run folders and job keys).
    formula, phase, cation
        As in the module docstring.
    structure
        Source of the structure (``builtin:``, ``obelix:``, ``predicted:`` or a resolved file path).
    provenance, provenance_note
        ``experimental``/``predicted``/``user`` and the details.
    experimental_ea_ev, doi
        Given directly, or (``experiment``) filled from the dataset by :func:`resolve_experiments`.
    experiment
        The dataset rows, if the value comes from a dataset.
    temperature_min_k, temperature_max_k
        Measurement range (K), if known.
    suspect
        Why the experimental value may be wrong (``None``: not flagged).
    settings
        Recipe settings that override the run's for this material (validated when the jobs are planned).
    has_neutral_molecule
        The formula contains a neutral molecule (NH3, H2O, ...): filled markers in the parity plot.
    """

    name: str
    formula: str
    phase: str
    structure: str
    provenance: str
    cation: str
    provenance_note: str = ""
    experimental_ea_ev: float | None = None
    doi: str | None = None
    experiment: ExperimentLink | None = None
    temperature_min_k: float | None = None
    temperature_max_k: float | None = None
    suspect: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    has_neutral_molecule: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        data = asdict(self)
        if self.experiment is not None:
            data["experiment"] = {"dataset": self.experiment.dataset, "index": list(self.experiment.index)}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenchmarkMaterial:
        """Inverse of :meth:`as_dict`."""
        values = dict(data)
        if values.get("experiment"):
            link = values["experiment"]
            values["experiment"] = ExperimentLink(link["dataset"], tuple(link["index"]))
        return cls(**values)


@dataclass(frozen=True)
class Manifest:
    """The materials of a benchmark and the file they were read from."""

    materials: tuple[BenchmarkMaterial, ...]
    source: str

    def by_name(self, name: str) -> BenchmarkMaterial:
        """The material called ``name`` (``KeyError`` naming the known ones otherwise)."""
        for material in self.materials:
            if material.name == name:
                return material
        raise KeyError(f"no material {name!r}; known: {', '.join(m.name for m in self.materials)}")


def _number(value: Any, file: str, row: int, name: str, positive: bool = True) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DataImportError(f"not a number: {value!r}", file=file, row=row, field=name) from None
    if positive and not number > 0:
        raise DataImportError(f"must be > 0, got {number}", file=file, row=row, field=name)
    return number


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _settings_table(value: Any, file: str, row: int) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise DataImportError(
            "write settings = { name = value, ... } (TOML)", file=file, row=row, field="settings"
        )
    try:
        CompositeSettings().replace(**value)
    except ConfigError as exc:
        raise DataImportError(str(exc), file=file, row=row, field="settings") from exc
    return dict(value)


def material_from_mapping(data: dict[str, Any], file: str, row: int, folder: Path) -> BenchmarkMaterial:
    """Validate one manifest entry (``row`` counts entries from 1, or CSV lines with the header as 1)."""
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise DataImportError(
            f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(_FIELDS))}", file=file, row=row
        )
    for required in ("formula", "phase", "structure", "provenance"):
        if not _text(data.get(required)):
            raise DataImportError("required field is empty", file=file, row=row, field=required)
    formula = str(_text(data["formula"]))
    try:
        parsed = parse_formula(formula)
    except FormulaParseError as exc:
        raise DataImportError(str(exc), file=file, row=row, field="formula") from exc
    provenance = str(_text(data["provenance"]))
    if provenance not in PROVENANCES:
        raise DataImportError(
            f"must be one of {', '.join(PROVENANCES)}, got {provenance!r}",
            file=file,
            row=row,
            field="provenance",
        )
    structure = str(_text(data["structure"]))
    if structure.split(":", 1)[0] not in ("builtin", "obelix", "predicted"):
        path = Path(structure) if Path(structure).is_absolute() else folder / structure
        if not path.is_file():
            raise DataImportError(f"structure file {path} not found", file=file, row=row, field="structure")
        structure = str(path)
    link = None
    if data.get("experiment") is not None:
        exp = data["experiment"]
        if not isinstance(exp, dict) or "dataset" not in exp or "index" not in exp:
            raise DataImportError(
                "write experiment = {dataset = ..., index = [...]}", file=file, row=row, field="experiment"
            )
        indices = exp["index"] if isinstance(exp["index"], list) else [exp["index"]]
        link = ExperimentLink(str(exp["dataset"]), tuple(int(i) for i in indices))
    ea = _number(data.get("experimental_ea_ev"), file, row, "experimental_ea_ev")
    if ea is None and link is None:
        raise DataImportError(
            "give experimental_ea_ev (or, in TOML, experiment = {...})",
            file=file,
            row=row,
            field="experimental_ea_ev",
        )
    t_min = _number(data.get("temperature_min_k"), file, row, "temperature_min_k")
    t_max = _number(data.get("temperature_max_k"), file, row, "temperature_max_k")
    if t_min is not None and t_max is not None and t_min > t_max:
        raise DataImportError(f"temperature_min_k {t_min} > temperature_max_k {t_max}", file=file, row=row)
    cation = _text(data.get("cation")) or parsed.cation
    if not cation:
        raise DataImportError("no cation in the formula; give cation", file=file, row=row, field="cation")
    phase = str(_text(data["phase"]))
    return BenchmarkMaterial(
        name=_text(data.get("name")) or f"{formula}|{phase}|{provenance}",
        formula=formula,
        phase=phase,
        structure=structure,
        provenance=provenance,
        cation=cation,
        provenance_note=_text(data.get("provenance_note")) or "",
        experimental_ea_ev=ea,
        doi=_text(data.get("doi")),
        experiment=link,
        temperature_min_k=t_min,
        temperature_max_k=t_max,
        suspect=_text(data.get("suspect")),
        settings=_settings_table(data.get("settings"), file, row),
        has_neutral_molecule=bool(parsed.neutral_molecules),
    )


def read_manifest(path: str | Path) -> Manifest:
    """Read and validate a TOML or CSV manifest.

    Raises
    ------
    DataImportError
        Naming the file, the entry (row) and the field of the first problem.
    """
    path = Path(path)
    if not path.is_file():
        raise DataImportError("manifest not found", file=str(path))
    entries: list[tuple[int, dict[str, Any]]]
    if path.suffix.lower() == ".toml":
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise DataImportError(f"not valid TOML: {exc}", file=str(path)) from exc
        tables = document.get("material")
        if not isinstance(tables, list) or not tables:
            raise DataImportError("no [[material]] tables", file=str(path))
        entries = list(enumerate(tables, start=1))
    elif path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            entries = [
                (line, {k: v for k, v in row.items() if k}) for line, row in enumerate(reader, start=2)
            ]
        if not entries:
            raise DataImportError("no rows", file=str(path))
    else:
        raise DataImportError("a manifest is a .toml or .csv file", file=str(path))
    materials = [material_from_mapping(data, str(path), row, path.parent) for row, data in entries]
    names = [m.name for m in materials]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DataImportError(
            f"duplicate material name(s) {duplicates}: give each a unique name", file=str(path)
        )
    return Manifest(tuple(materials), str(path))
