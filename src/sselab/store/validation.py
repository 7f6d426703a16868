"""Validation of import records: every record is checked before anything is written.

Each check raises :class:`~sselab.errors.DataImportError` naming the file, row and field. Values must lie in
the physical ranges of :mod:`sselab.store.limits`; text must fit its column and hold no control characters.
The import boundary (:mod:`sselab.datasets.validation`) applies the same ranges first and reports a bad row
as skipped; these checks are the store's own refusal, for records that come by any other path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from sselab.errors import DataImportError
from sselab.store.limits import MAX_CIF_CHARS, out_of_range
from sselab.store.records import (
    METHODS,
    ActivationEnergyRecord,
    ConductivityRecord,
    ImportBatch,
    MaterialRecord,
    StructureRecord,
)

AnyRecord = ConductivityRecord | ActivationEnergyRecord | StructureRecord

MAX_FORMULA_CHARS = 255
"""Longest formula stored (the ``materials.formula`` column)."""
MAX_LABEL_CHARS = 64
"""Longest phase label or potential name stored."""
MAX_DOI_CHARS = 255
"""Longest DOI stored (the ``sources.doi`` column)."""
MAX_TEXT_CHARS = 10_000
"""Longest free text stored (citation, note, provenance)."""


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def control_character(text: str) -> str | None:
    """The first control character of ``text`` (tab, newline and carriage return allowed), as ``U+0000``."""
    found = _CONTROL.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def text_problem(text: str, max_chars: int) -> str | None:
    """Why ``text`` cannot be stored in a column of ``max_chars`` characters (``None`` when it can)."""
    if len(text) > max_chars:
        return f"{len(text)} characters, more than the {max_chars} allowed"
    bad = control_character(text)
    if bad is not None:
        return f"holds the control character {bad}"
    return None


def _check_text(value: Any, max_chars: int, file: str | None, row: int, field: str) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise _fail(f"must be text, got {type(value).__name__}", file, row, field)
    problem = text_problem(value, max_chars)
    if problem is not None:
        raise _fail(f"{field} {problem}", file, row, field)


def _check_range(field: str, value: Any, file: str | None, row: int) -> None:
    problem = out_of_range(field, value)
    if problem is not None:
        raise _fail(problem, file, row, field)


_CHECKED: ContextVar[set[int] | None] = ContextVar("sselab_checked_objects", default=None)
"""Ids of material and source objects already checked in this batch (they repeat across its records)."""


def _already_checked(value: Any) -> bool:
    seen = _CHECKED.get()
    if seen is None or isinstance(value, str):
        return False
    if id(value) in seen:
        return True
    seen.add(id(value))
    return False


def _check_source(source: Any, file: str | None, row: int) -> None:
    if source is None or _already_checked(source):
        return
    if isinstance(source, str):
        _check_text(source, MAX_DOI_CHARS, file, row, "source")
        return
    _check_text(getattr(source, "doi", None), MAX_DOI_CHARS, file, row, "source")
    _check_text(getattr(source, "citation", None), MAX_TEXT_CHARS, file, row, "source")


def _check_common(record: AnyRecord, file: str | None, row: int) -> None:
    _check_material(record.material, file, row)
    _check_source(record.source, file, row)
    _check_text(record.entry, MAX_LABEL_CHARS, file, row, "entry")


def _fail(message: str, file: str | None, row: int | None, field: str) -> DataImportError:
    return DataImportError(message, file=file, row=row, field=field)


def _finite(value: Any) -> bool:
    try:
        return value is not None and not isinstance(value, bool) and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _row(record: AnyRecord, index: int) -> int:
    return record.row_number if record.row_number is not None else index + 1


def _check_material(material: Any, file: str | None, row: int) -> None:
    if _already_checked(material):
        return
    formula = material if isinstance(material, str) else getattr(material, "formula", None)
    if not isinstance(material, str | MaterialRecord) or not isinstance(formula, str) or not formula.strip():
        raise _fail(f"material must be a non-empty formula, got {material!r}"[:300], file, row, "material")
    _check_text(formula, MAX_FORMULA_CHARS, file, row, "material")
    _check_text(getattr(material, "family_label", None), 100, file, row, "family_label")
    metadata = getattr(material, "metadata", None)
    if metadata is not None and not isinstance(metadata, Mapping):
        raise _fail(
            f"material metadata must be a mapping, got {type(metadata).__name__}", file, row, "metadata"
        )


def validate_conductivity(record: ConductivityRecord, file: str | None, row: int) -> None:
    """Raise :class:`DataImportError` unless T (K) and σ (S/cm) are finite and in their physical ranges."""
    _check_common(record, file, row)
    t, s = record.temperature_k, record.conductivity_s_per_cm
    if not _finite(t) or float(t) <= 0:
        raise _fail(
            f"temperature must be a finite positive number of kelvin, got {t!r}", file, row, "temperature_k"
        )
    if not _finite(s) or float(s) <= 0:
        raise _fail(
            f"conductivity must be finite and > 0 S/cm, got {s!r}", file, row, "conductivity_s_per_cm"
        )
    _check_range("temperature_k", t, file, row)
    _check_range("conductivity_s_per_cm", s, file, row)
    _check_text(record.phase, MAX_LABEL_CHARS, file, row, "phase")


def validate_activation_energy(record: ActivationEnergyRecord, file: str | None, row: int) -> None:
    """Raise :class:`DataImportError` for an Ea out of range, an unknown method or a bad temperature range."""
    _check_common(record, file, row)
    if not _finite(record.activation_energy_ev):
        raise _fail(
            f"activation energy must be a finite number of eV, got {record.activation_energy_ev!r}",
            file,
            row,
            "activation_energy_ev",
        )
    _check_range("activation_energy_ev", record.activation_energy_ev, file, row)
    if record.method not in METHODS:
        raise _fail(
            f"unknown method {record.method!r}; expected one of {', '.join(METHODS)}", file, row, "method"
        )
    if record.uncertainty_ev is not None and (
        not _finite(record.uncertainty_ev) or record.uncertainty_ev < 0
    ):
        raise _fail(
            f"uncertainty must be finite and >= 0 eV, got {record.uncertainty_ev!r}",
            file,
            row,
            "uncertainty_ev",
        )
    if record.uncertainty_ev is not None:
        _check_range("uncertainty_ev", record.uncertainty_ev, file, row)
    for name in ("temperature_min_k", "temperature_max_k"):
        value = getattr(record, name)
        if value is not None and (not _finite(value) or float(value) <= 0):
            raise _fail(f"{name} must be a finite positive number of kelvin, got {value!r}", file, row, name)
        if value is not None:
            problem = out_of_range("temperature_k", value)
            if problem is not None:
                raise _fail(problem, file, row, name)
    _check_text(record.phase, MAX_LABEL_CHARS, file, row, "phase")
    _check_text(record.potential, 100, file, row, "potential")
    _check_text(record.note, MAX_TEXT_CHARS, file, row, "note")
    t_min, t_max = record.temperature_min_k, record.temperature_max_k
    if t_min is not None and t_max is not None and t_min > t_max:
        raise _fail(f"temperature range is reversed ({t_min} K > {t_max} K)", file, row, "temperature_min_k")
    if record.parameters is not None and not hasattr(record.parameters, "items"):
        raise _fail(
            f"parameters must be a mapping, got {type(record.parameters).__name__}", file, row, "parameters"
        )


def validate_structure(record: StructureRecord, file: str | None, row: int) -> None:
    """Raise :class:`DataImportError` for empty or oversized CIF text, or empty provenance."""
    _check_common(record, file, row)
    if not isinstance(record.cif, str) or not record.cif.strip():
        raise _fail("CIF text is empty", file, row, "cif")
    if len(record.cif) > MAX_CIF_CHARS:
        raise _fail(f"CIF text of {len(record.cif)} characters, more than {MAX_CIF_CHARS}", file, row, "cif")
    if "\x00" in record.cif:
        raise _fail("CIF text holds a NUL character", file, row, "cif")
    if not isinstance(record.provenance, str) or not record.provenance.strip():
        raise _fail("provenance is empty", file, row, "provenance")
    _check_text(record.provenance, MAX_TEXT_CHARS, file, row, "provenance")


def validate_batch(batch: ImportBatch) -> None:
    """Validate every record of ``batch`` (raises :class:`DataImportError` naming the first bad row)."""
    token = _CHECKED.set(set())  # the batch keeps its objects alive: an id is not reused meanwhile
    try:
        _validate_batch(batch)
    finally:
        _CHECKED.reset(token)


def _validate_batch(batch: ImportBatch) -> None:
    file = batch.file_name
    if not batch.dataset or not isinstance(batch.dataset, str):
        raise _fail("dataset name is empty", file, None, "dataset")
    sha = batch.file_sha256
    if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdefABCDEF" for c in sha):
        raise _fail(f"file_sha256 must be 64 hex digits, got {sha!r}", file, None, "file_sha256")
    for i, c in enumerate(batch.conductivities):
        validate_conductivity(c, file, _row(c, i))
    for i, a in enumerate(batch.activation_energies):
        validate_activation_energy(a, file, _row(a, i))
    for i, s in enumerate(batch.structures):
        validate_structure(s, file, _row(s, i))
    for i, m in enumerate(batch.materials):
        _check_material(m, file, i + 1)
