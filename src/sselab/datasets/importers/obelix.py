"""Importer of ``obelix``: 599 Li solid electrolytes with room-temperature conductivity, and their CIFs.

Conductivities are stored at :data:`ROOM_TEMPERATURE_K` (298.15 K): OBELiX reports "room temperature" ionic
conductivity without one number, and 25 °C is the nominal value assumed here (stated in the report). Bounds
such as ``<1E-10`` are not values: the row keeps its material (and CIF) and the conductivity field is
reported as skipped. The CIF ``all_randomized_cifs/<ID>.cif`` from ``all_cifs.zip`` is attached as a
structure record whose provenance also carries the row's space group and lattice parameters.

Every row's crystallographic facts (also of the rows without a CIF) go into the material's ``metadata``:
``{"source": "OBELiX", "entries": [...]}`` with one entry per row of that formula (OBELiX lists some
formulas several times, e.g. tetragonal and cubic LLTO), each with ``id``, ``row`` (file line),
``space_group`` (as written, stripped), ``space_group_number``, ``a_angstrom``, ``b_angstrom``,
``c_angstrom`` (Å), ``alpha_deg``, ``beta_deg``, ``gamma_deg`` (degrees), ``family``, ``z`` (formula units
per cell) and ``has_cif`` (whether the archive holds its CIF; None when no archive was read). A cell that is
not a number, or a lattice length or angle outside its plausible range, is stored as null and listed as a
skipped field (row, field, reason, raw text). CIFs are read from the archive with size limits (a member that
decompresses beyond 2 MB is refused) and checked by :func:`sselab.datasets.validation.structure_problem`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sselab.datasets.fetch import sha256_of
from sselab.datasets.importers._common import (
    ROOM_TEMPERATURE_K,
    ParsedFile,
    parse_formula_or_error,
    track,
)
from sselab.datasets.readers import read_archive_texts, read_csv_table
from sselab.datasets.validation import number_cell, text_cell
from sselab.errors import DataImportError
from sselab.store.records import ConductivityRecord, SourceRecord, StructureRecord
from sselab.store.validation import MAX_DOI_CHARS, MAX_FORMULA_CHARS, MAX_LABEL_CHARS

DATASET = "obelix"
CONDUCTIVITY = "Ionic conductivity (S cm-1)"
REQUIRED = (
    "ID",
    "Reduced Composition",
    CONDUCTIVITY,
    "Space group",
    "Space group #",
    "a",
    "b",
    "c",
    "alpha",
    "beta",
    "gamma",
    "Family",
    "DOI",
    "Cif ID",
    "Z",
)
CIF_FOLDER = "all_randomized_cifs"
LATTICE = (
    ("a", "a_angstrom"),
    ("b", "b_angstrom"),
    ("c", "c_angstrom"),
    ("alpha", "alpha_deg"),
    ("beta", "beta_deg"),
    ("gamma", "gamma_deg"),
)
"""OBELiX lattice columns and their metadata keys (lengths in Å, angles in degrees)."""
_LATTICE_QUANTITY = {key: "lattice_length_angstrom" if key.endswith("angstrom") else "lattice_angle_deg"
                     for _, key in LATTICE}  # fmt: skip


def combined_sha256(*digests: str) -> str:
    """One checksum for a dataset made of several files (SHA-256 of the joined hex digests)."""
    return hashlib.sha256(":".join(digests).encode()).hexdigest()


def read_obelix(csv_path: Path, cif_zip: Path | None = None, *, progress: bool = False) -> ParsedFile:
    """Read ``all.csv`` (and the CIFs of ``all_cifs.zip`` when given); row numbers are file lines.

    Raises
    ------
    DataImportError
        When columns are missing, a line has the wrong number of fields, or the zip cannot be read.
    """
    table = read_csv_table(csv_path)
    missing = [name for name in REQUIRED if name not in table.header]
    if missing:
        raise DataImportError(f"missing columns {missing}", file=str(csv_path))
    cifs, refused = read_archive_texts(cif_zip) if cif_zip is not None else ({}, [])
    digests = [sha256_of(csv_path)] + ([sha256_of(cif_zip)] if cif_zip is not None else [])
    name = csv_path.name + (f"+{cif_zip.name}" if cif_zip is not None else "")
    out = ParsedFile(
        DATASET, name, combined_sha256(*digests), rows_read=len(table.rows) + len(table.problems)
    )
    out.skipped.extend(table.problems)
    for text in refused:
        out.warn(None, f"CIF refused by the archive limits: {text}")
    out.assumptions.append(
        f"'{CONDUCTIVITY}' is OBELiX's room-temperature conductivity (S/cm); stored at "
        f"{ROOM_TEMPERATURE_K} K (25 °C, nominal room temperature; OBELiX gives no single number)"
    )
    out.assumptions.append(
        "CIFs have atomic positions randomised by the OBELiX authors (symmetry preserved); space group and "
        "lattice parameters are kept in each structure's provenance and, for every row (with or without a "
        "CIF), with family and Z in the material's metadata (one entry per row of the formula)"
    )
    if cif_zip is None:
        out.assumptions.append("no CIF archive given: no structures attached")
    records = [(line, {k: str(v) for k, v in row.items()}) for line, row in table.records()]
    entries: dict[str, list[dict[str, Any]]] = {}
    for line, row in records:
        formula = str(row["Reduced Composition"]).strip()
        if formula and str(row["ID"]).strip():
            entry = row_metadata(out, line, row, cifs if cif_zip is not None else None)
            entries.setdefault(formula, []).append(entry)
    for line, row in track(records, total=len(records), description=DATASET, progress=progress):
        formula = str(row["Reduced Composition"]).strip()
        metadata = {"source": "OBELiX", "entries": entries[formula]} if formula in entries else None
        _read_row(out, line, row, cifs, metadata)
    used = {str(row["ID"]).strip() for _, row in records}
    extra = sorted(set(cifs) - used)
    if extra:
        out.warn(None, f"{len(extra)} CIFs in the archive match no row: {', '.join(extra[:10])}")
    return out


def row_metadata(
    out: ParsedFile, line: int, row: Mapping[Any, Any], cifs: dict[str, str] | None
) -> dict[str, Any]:
    """The crystallographic facts of one OBELiX row (keys in the module docstring).

    ``cifs`` is the archive's CIFs by ID (None when no archive was read: ``has_cif`` is then None).
    Unreadable numbers, and lattice values outside their plausible range, become None and are listed on
    ``out`` as skipped fields (row, field, reason, raw text).
    """
    entry_id = str(row["ID"]).strip()

    def number(field: str, quantity: str | None = None) -> float | None:
        value = number_cell(out, line, field, row[field], quantity)
        if value is None and out.has_skip(line, field):
            item = out.skipped[-1]
            out.skipped[-1] = dataclasses.replace(
                item, reason=f"ID {entry_id}: {item.reason}; metadata keeps null"
            )
        return value

    def integer(field: str) -> int | None:
        value = number(field)
        if value is not None and not value.is_integer():
            out.warn(line, f"ID {entry_id}: {field!r} is not a whole number ({value}); metadata keeps null")
            return None
        return int(value) if value is not None else None

    entry: dict[str, Any] = {
        "id": entry_id,
        "row": line,
        "space_group": str(row["Space group"]).strip() or None,
        "space_group_number": integer("Space group #"),
    }
    entry.update((key, number(column, _LATTICE_QUANTITY[key])) for column, key in LATTICE)
    entry["family"] = str(row["Family"]).strip() or None
    entry["z"] = integer("Z")
    entry["has_cif"] = entry_id in cifs if cifs is not None else None
    return entry


def _read_row(
    out: ParsedFile,
    line: int,
    row: Mapping[Any, Any],
    cifs: dict[str, str],
    metadata: dict[str, Any] | None = None,
) -> None:
    entry_id = text_cell(out, line, "ID", row["ID"], MAX_LABEL_CHARS) or ""
    formula = text_cell(out, line, "Reduced Composition", row["Reduced Composition"], MAX_FORMULA_CHARS) or ""
    if not entry_id or not formula:
        field = "ID" if not entry_id else "Reduced Composition"
        if not out.has_skip(line, field):
            out.skip(line, field, "empty identifier or composition", row[field])
        return
    parsed, error = parse_formula_or_error(formula, cation_hint="Li")
    if parsed is None:
        first = (error or "").splitlines()[0]
        out.warn(line, f"ID {entry_id}: formula {formula!r} stored as written without composition ({first})")
    material = out.material(formula, parsed, str(row["Family"]).strip() or None, line, metadata=metadata)
    doi = text_cell(out, line, "DOI", row["DOI"], MAX_DOI_CHARS)
    source = SourceRecord(doi) if doi else None
    sigma = number_cell(out, line, CONDUCTIVITY, row[CONDUCTIVITY], "conductivity_s_per_cm")
    if out.has_skip(line, CONDUCTIVITY):
        item = out.skipped[-1]
        out.skipped[-1] = dataclasses.replace(item, reason=f"ID {entry_id}: {item.reason}; material kept")
    elif sigma is None:
        out.skip(line, CONDUCTIVITY, f"ID {entry_id}: no conductivity; material kept", row[CONDUCTIVITY])
    elif out.has_skip(line, "DOI"):
        pass  # a source that cannot be stored: the value is not stored without its source
    else:
        out.conductivities.append(
            ConductivityRecord(
                material,
                temperature_k=ROOM_TEMPERATURE_K,
                conductivity_s_per_cm=sigma,
                source=source,
                dataset=DATASET,
                row_number=line,
                entry=entry_id,
            )
        )
    cif = cifs.get(entry_id)
    flagged = str(row["Cif ID"]).strip().lower() == "done"
    if cif is not None and out.has_skip(line, "DOI"):
        out.skip(
            line, "cif", f"ID {entry_id}: the row's DOI cannot be stored; structure not stored without it", ""
        )
    elif cif is not None:
        out.structures.append(
            StructureRecord(
                material,
                cif=cif,
                provenance=_provenance(entry_id, row),
                source=source,
                dataset=DATASET,
                row_number=line,
                entry=entry_id,
            )
        )
    elif flagged:
        out.warn(
            line, f"ID {entry_id}: 'Cif ID' says done but {CIF_FOLDER}/{entry_id}.cif is not in the archive"
        )
    out.imported_rows.add(line)


def _provenance(entry_id: str, row: Mapping[Any, Any]) -> str:
    lattice = ", ".join(f"{key}={row[key]}" for key in ("a", "b", "c", "alpha", "beta", "gamma"))
    return (
        f"OBELiX {CIF_FOLDER}/{entry_id}.cif (positions randomised by the authors); "
        f"space group {row['Space group']} (#{row['Space group #']}); lattice {lattice} (Å, degrees)"
    )
