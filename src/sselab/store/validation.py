"""Validation of import records: every record is checked before anything is written.

Each check raises :class:`~sselab.errors.DataImportError` naming the file, row and field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sselab.errors import DataImportError
from sselab.store.records import (
    METHODS,
    ActivationEnergyRecord,
    ConductivityRecord,
    ImportBatch,
    MaterialRecord,
    StructureRecord,
)

AnyRecord = ConductivityRecord | ActivationEnergyRecord | StructureRecord


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
    formula = material if isinstance(material, str) else getattr(material, "formula", None)
    if not isinstance(material, str | MaterialRecord) or not isinstance(formula, str) or not formula.strip():
        raise _fail(f"material must be a non-empty formula, got {material!r}", file, row, "material")
    metadata = getattr(material, "metadata", None)
    if metadata is not None and not isinstance(metadata, Mapping):
        raise _fail(
            f"material metadata must be a mapping, got {type(metadata).__name__}", file, row, "metadata"
        )


def validate_conductivity(record: ConductivityRecord, file: str | None, row: int) -> None:
    """Raise :class:`DataImportError` unless T (K) is finite and positive and σ (S/cm) finite and positive."""
    _check_material(record.material, file, row)
    t, s = record.temperature_k, record.conductivity_s_per_cm
    if not _finite(t) or float(t) <= 0:
        raise _fail(
            f"temperature must be a finite positive number of kelvin, got {t!r}", file, row, "temperature_k"
        )
    if not _finite(s) or float(s) <= 0:
        raise _fail(
            f"conductivity must be finite and > 0 S/cm, got {s!r}", file, row, "conductivity_s_per_cm"
        )


def validate_activation_energy(record: ActivationEnergyRecord, file: str | None, row: int) -> None:
    """Raise :class:`DataImportError` for a non-finite Ea, an unknown method or a bad temperature range."""
    _check_material(record.material, file, row)
    if not _finite(record.activation_energy_ev):
        raise _fail(
            f"activation energy must be a finite number of eV, got {record.activation_energy_ev!r}",
            file,
            row,
            "activation_energy_ev",
        )
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
    for name in ("temperature_min_k", "temperature_max_k"):
        value = getattr(record, name)
        if value is not None and (not _finite(value) or float(value) <= 0):
            raise _fail(f"{name} must be a finite positive number of kelvin, got {value!r}", file, row, name)
    t_min, t_max = record.temperature_min_k, record.temperature_max_k
    if t_min is not None and t_max is not None and t_min > t_max:
        raise _fail(f"temperature range is reversed ({t_min} K > {t_max} K)", file, row, "temperature_min_k")
    if record.parameters is not None and not hasattr(record.parameters, "items"):
        raise _fail(
            f"parameters must be a mapping, got {type(record.parameters).__name__}", file, row, "parameters"
        )


def validate_structure(record: StructureRecord, file: str | None, row: int) -> None:
    """Raise :class:`DataImportError` for empty CIF text or provenance."""
    _check_material(record.material, file, row)
    if not isinstance(record.cif, str) or not record.cif.strip():
        raise _fail("CIF text is empty", file, row, "cif")
    if not isinstance(record.provenance, str) or not record.provenance.strip():
        raise _fail("provenance is empty", file, row, "provenance")


def validate_batch(batch: ImportBatch) -> None:
    """Validate every record of ``batch`` (raises :class:`DataImportError` naming the first bad row)."""
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
