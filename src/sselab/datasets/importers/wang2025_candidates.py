"""Importer of ``wang2025-candidates``: Wang et al. 2025's 558 screened candidates (Supplementary Dataset 2).

The sheet has three header rows, then one row per candidate: ``Index``, ``Structure`` (formula written per
one or two cations, e.g. ``Zn1(BH4)2·6(CH3)2CHNH2``, ``Mg2(B12H12)2·4NH3``), the combined descriptor x
(``-0.059 X + 0.0029 ratom``) and the predicted Ea (eV) in one of three route columns: boranes on y1,
boranes with carbon-containing molecules on y2, carboranes on y2.

The candidates are hypothetical materials, so they are not stored as materials or activation energies: the
import writes, in one transaction,

* a screening run ``wang2025-candidates`` (tables ``screening_runs``/``screening_predictions``): each
  candidate with its route, the published x and Ea, model kind ``published``;
* the published lines ``wang2025-y1`` and ``wang2025-y2`` recovered from the rows
  (:func:`sselab.models.published.recover_published_line`), with the definition of x derived from the rows
  (:func:`sselab.descriptors.wang2025_x.derive_wang2025_x`) so that they predict new formulas;
* ``wang2025-x``: the derivation with its residuals.

Rows are numbered as sheet rows (first header row = 1). A row that cannot be read is skipped with the reason;
a row whose route column disagrees with its chemistry is imported as published and reported as a warning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sselab.datasets.fetch import fetch, sha256_of
from sselab.datasets.importers._common import ParsedFile, is_blank, parse_formula_or_error, track
from sselab.datasets.readers import read_xlsx_table
from sselab.datasets.report import ImportReport
from sselab.datasets.validation import CellProblem, parse_number, text_cell
from sselab.descriptors.wang2025_x import X_DS2, derive_wang2025_x
from sselab.errors import DataImportError, StoreError
from sselab.models.intervals import prediction_flags
from sselab.models.linear import LinearEaModel
from sselab.models.published import (
    WANG2025_CITATION,
    WANG2025_DATASET,
    WANG2025_LABEL,
    WANG2025_MODELS,
    WANG2025_X_FIT,
    published_models,
    recover_published_line,
)
from sselab.store.validation import MAX_FORMULA_CHARS

if TYPE_CHECKING:
    from sselab.store import Store

DATASET = WANG2025_DATASET
#: Screening run the candidates are stored as.
RUN_NAME = "wang2025-candidates"
#: Model fit holding the derivation of x.
X_FIT_NAME = WANG2025_X_FIT
HEADER_ROWS = 3
#: Route column (0-based sheet column) -> (route, what the paper says it holds).
ROUTE_COLUMNS: dict[int, tuple[str, str]] = {
    3: ("y1", "boranes (carbon-free and carbon-containing molecules)"),
    4: ("y2", "boranes with carbon-containing molecules"),
    5: ("y2", "carboranes"),
}
_EXPECTED_HEADER = {(0, 0): "index", (0, 1): "structure", (0, 3): "ea (ev)", (1, 3): "boranes"}


@dataclass(frozen=True)
class CandidateRows:
    """What was read: the importable rows and the per-row findings (a :class:`ParsedFile` with no records)."""

    parsed: ParsedFile
    rows: pd.DataFrame


def canonical_formula(formula: str) -> str:
    """The formula as sselab writes it, an explicit count of 1 dropped (``Zn1(BH4)2·1NH3``: ``Zn(BH4)2·NH3``).

    >>> canonical_formula("Zn1(BH4)2·1(CH3)2CHNH2")
    'Zn(BH4)2·(CH3)2CHNH2'
    """
    text = re.sub(r"^([A-Z][a-z]?)1(?=\()", r"\1", formula.strip())
    return re.sub(r"·1(?=[A-Z(])", "·", text)


def _check_header(header: Mapping[int, tuple[Any, ...]], path: Path) -> None:
    """Check the three header rows (sheet row number -> cells)."""
    width = min((len(header.get(row, ())) for row in range(1, HEADER_ROWS + 1)), default=0)
    if width < 6 or len(header) < HEADER_ROWS:
        raise DataImportError(
            f"expected 6 columns and {HEADER_ROWS} header rows, found {len(header)} rows of {width} columns",
            file=str(path),
        )
    for (row, col), expected in _EXPECTED_HEADER.items():
        value = header[row + 1][col]
        cell = str(value).strip().lower()
        if cell != expected:
            raise DataImportError(
                f"header cell row {row + 1}, column {col + 1} reads {value!r}, expected {expected!r}",
                file=str(path),
            )
    descriptor = str(header[1][2]).replace(" ", "").lower()
    if "x" not in descriptor or "ratom" not in descriptor:
        raise DataImportError(f"column 3 header {header[1][2]!r} is not the combined x", file=str(path))


def _number(value: Any) -> float | None:
    """A number cell as written (:func:`sselab.datasets.validation.parse_number`), None when unreadable."""
    try:
        return parse_number(value)
    except CellProblem:
        return None


def read_wang2025_candidates(path: Path, *, progress: bool = False) -> CandidateRows:
    """Read the sheet at ``path``: rows ``row_number, formula, written, x, ea_ev, route, column``.

    The sheet is read by the bounded reader of the import boundary
    (:func:`sselab.datasets.readers.read_xlsx_table`: size limits, a clean error for a file that is not a
    workbook); rows keep their sheet row numbers, empty rows hold no candidate.

    Raises
    ------
    DataImportError
        When the file is not a readable workbook or lacks the expected columns and header rows.
    """
    table = read_xlsx_table(path)
    lines = {1: table.header, **{row.line: row.cells for row in table.rows if row.line <= HEADER_ROWS}}
    _check_header(lines, path)
    data = [row for row in table.rows if row.line > HEADER_ROWS]
    out = ParsedFile(DATASET, path.name, sha256_of(path), rows_read=len(data))
    out.assumptions.append(
        "x and Ea are stored as published (model kind 'published'); Ea in the first route column is on y1, "
        "in the second and third on y2; formulas are stored without an explicit count of 1 "
        "(Zn1(BH4)2·1NH3 -> Zn(BH4)2·NH3)."
    )
    rows = []
    for item in track(data, total=len(data), description=DATASET, progress=progress):
        row = _read_row(out, item.line, (*item.cells, *(None,) * (6 - len(item.cells))))
        if row is not None:
            rows.append(row)
            out.imported_rows.add(int(row["row_number"]))
    return CandidateRows(parsed=out, rows=pd.DataFrame(rows))


def _read_row(out: ParsedFile, row_number: int, cells: tuple[Any, ...]) -> dict[str, Any] | None:
    if all(is_blank(c) for c in cells):
        out.skip(row_number, None, "empty row", "")
        return None
    written = "" if is_blank(cells[1]) else str(cells[1]).strip()
    if not written:
        out.skip(row_number, "Structure", "no formula", cells[1])
        return None
    if text_cell(out, row_number, "Structure", written, MAX_FORMULA_CHARS) is None:
        return None
    parsed, error = parse_formula_or_error(written)
    if parsed is None or not parsed.cation or not parsed.anions:
        out.skip(
            row_number, "Structure", f"formula not read as cation + anion: {error or 'no anion'}", written
        )
        return None
    try:
        x = parse_number(cells[2])
    except CellProblem as problem:
        out.skip(row_number, "-0.059 X + 0.0029 ratom", f"x is not a number: {problem}", cells[2])
        return None
    if x is None:
        out.skip(row_number, "-0.059 X + 0.0029 ratom", "x is not a number: blank", cells[2])
        return None
    filled = {col: _number(cells[col]) for col in ROUTE_COLUMNS if not is_blank(cells[col])}
    if len(filled) != 1 or None in filled.values():
        reason = (
            "no Ea in any route column" if not filled else "Ea in more than one route column or not a number"
        )
        out.skip(row_number, "Ea (eV)", reason, ", ".join(str(cells[c]) for c in ROUTE_COLUMNS))
        return None
    ((column, ea_ev),) = filled.items()
    route, holds = ROUTE_COLUMNS[column]
    anion_carbon = any(a.contains_carbon for a in parsed.anions)
    molecule_carbon = any(m.contains_carbon for m in parsed.neutral_molecules)
    expected = {3: not anion_carbon, 4: molecule_carbon and not anion_carbon, 5: anion_carbon}[column]
    if not expected:
        out.warn(row_number, f"{written!r} is in the column of {holds}; imported as published")
    return {
        "row_number": row_number, "formula": canonical_formula(written), "written": written,
        "x": x, "ea_ev": ea_ev, "route": route, "column": holds,
    }  # fmt: skip


def _predictions(rows: pd.DataFrame) -> pd.DataFrame:
    ea = rows["ea_ev"].to_numpy(dtype=float)
    flags = prediction_flags(ea, np.full(len(rows), np.nan), None, has_interval=False, has_range=False)
    out = pd.DataFrame(
        {
            "candidate_formula": rows["formula"],
            "route": rows["route"],
            "model_name": rows["route"].map(WANG2025_MODELS),
            "model_kind": "published",
            "descriptor": X_DS2,
            "x": rows["x"],
            "activation_energy_ev": ea,
            "flags": flags,
            "criterion": "published",
            "row_number": rows["row_number"],
        }
    )
    rankable = ea > 0
    out["rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
    for _, index in out[rankable].groupby("route").groups.items():
        order = out.loc[index, "activation_energy_ev"].rank(method="first")
        out.loc[index, "rank"] = order.astype("int64").to_numpy()
    return out


def recover_models(candidates: CandidateRows) -> tuple[dict[str, LinearEaModel], dict[str, Any]]:
    """The published lines by route and the derivation of x, from the rows read."""
    rows = candidates.rows
    sha = candidates.parsed.file_sha256
    source = f"derived from Wang et al. 2025 Supplementary Dataset 2 (sha256 {sha}) by sselab"
    derivation = derive_wang2025_x(list(rows["written"]), list(rows["x"].astype(float)), source=source)
    models = {}
    for route, name in WANG2025_MODELS.items():
        part = rows[rows["route"] == route]
        if len(part) < 2:
            raise DataImportError(f"only {len(part)} rows on route {route}; cannot recover {name}")
        models[route] = recover_published_line(
            part["x"].to_numpy(dtype=float),
            part["ea_ev"].to_numpy(dtype=float),
            name=name,
            descriptor=derivation.descriptor,
            label=WANG2025_LABEL,
            citation=WANG2025_CITATION,
            source={"dataset": DATASET, "file_sha256": sha, "columns": sorted(set(part["column"]))},
        )
    payload = {**derivation.as_dict(), "origin": "published", "label": f"x of Wang et al. 2025 ({source})"}
    return models, payload


def import_wang2025_candidates(path: Path, store: Store, *, progress: bool = False) -> ImportReport:
    """Read, derive and store (see the module docstring); importing the same file twice adds nothing."""
    candidates = read_wang2025_candidates(path, progress=progress)
    out = candidates.parsed
    if candidates.rows.empty:
        raise DataImportError("no candidate row could be read", file=str(path))
    models, derivation = recover_models(candidates)
    for route, model in models.items():
        rec = model.recovery_
        out.assumptions.append(
            f"{model.name} ({WANG2025_LABEL}): Ea = {model.coef_[0]:.6f}·x {model.intercept_:+.6f} eV, "
            f"recovered from the {rec['n']} rows of route {route}, "
            f"max |residual| {rec['max_abs_residual_ev']:.1e} eV"
        )
    residual = derivation["residual"]
    out.assumptions.append(
        f"x = {X_DS2}: a coefficient per element derived from the rows (normalisation "
        f"{derivation['descriptor']['normalisation']}), max |residual| {residual['max_abs']:.1e} over "
        f"{residual['n']} rows; pymatgen's X and atomic radius reproduce x to "
        f"{derivation['element_rule']['max_abs']:.3f}"
    )
    fits = {m.name: m.to_dict() for m in models.values() if m.name}
    fits[X_FIT_NAME] = derivation
    predictions = _predictions(candidates.rows)
    counts = {str(k): int(v) for k, v in candidates.rows["route"].value_counts().items()}
    result = store.import_screening(
        dataset=DATASET, file_name=out.file_name, file_sha256=out.file_sha256, name=RUN_NAME,
        predictions=predictions, model_fits=fits, counts=counts,
    )  # fmt: skip
    return out.to_report(result)


def ensure_published_models(store: Store, path: Path | None = None) -> dict[str, LinearEaModel]:
    """The Wang et al. 2025 models of ``store``, importing the dataset first (mirror or cache) when absent.

    Raises
    ------
    StoreError
        When the import does not produce them.
    """
    models = published_models(store)
    if len(models) == len(WANG2025_MODELS):
        return models
    import_wang2025_candidates(path or fetch(DATASET), store)
    models = published_models(store)
    if len(models) != len(WANG2025_MODELS):
        raise StoreError(f"importing {DATASET} did not store {sorted(WANG2025_MODELS.values())}")
    return models


def published_predictions(store: Store) -> Mapping[str, pd.DataFrame]:
    """The stored published candidates by route (empty when the dataset is not imported)."""
    frame = store.screening_frame(RUN_NAME)
    return {str(route): group.reset_index(drop=True) for route, group in frame.groupby("route")}
