"""Shared pieces of the importers: a file's parsed contents, formula parsing, number cells, progress."""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from rich.progress import track as rich_track

from sselab.chem import parse_formula
from sselab.datasets.report import ImportReport, SkippedRow
from sselab.errors import FormulaParseError
from sselab.progress import report_progress
from sselab.store.records import (
    ActivationEnergyRecord,
    ConductivityRecord,
    ImportBatch,
    ImportResult,
    MaterialRecord,
    StructureRecord,
)

if TYPE_CHECKING:
    from sselab.chem import ParsedFormula

logger = logging.getLogger(__name__)
T = TypeVar("T")

ROOM_TEMPERATURE_K = 298.15
"""Nominal room temperature (K) assigned to conductivities reported "at room temperature"."""


@dataclass
class ParsedFile:
    """Records and findings read from one file, before anything touches the store (mutable builder)."""

    dataset: str
    file_name: str
    file_sha256: str
    rows_read: int = 0
    imported_rows: set[int] = field(default_factory=set)
    materials: dict[str, MaterialRecord] = field(default_factory=dict)
    conductivities: list[ConductivityRecord] = field(default_factory=list)
    activation_energies: list[ActivationEnergyRecord] = field(default_factory=list)
    structures: list[StructureRecord] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    keep_repeated_rows: bool = False
    """Keep a row that repeats an earlier one exactly (with a warning) instead of skipping it as a duplicate:
    set for an sselab export, whose rows are distinct stored rows even when their values coincide."""

    def skip(self, row: int, field_name: str | None, reason: str, raw: Any) -> None:
        """Record a skipped row (``field_name=None``) or field, with the raw text."""
        self.skipped.append(SkippedRow(row=row, field=field_name, reason=reason, raw=_raw_text(raw)))

    def has_skip(self, row: int, field_name: str | None) -> bool:
        """Whether a skip was recorded for this row and field."""
        return any(item.row == row and item.field == field_name for item in self.skipped)

    def warn(self, row: int | None, text: str) -> None:
        """Record a warning about a row (imported as written)."""
        self.warnings.append(f"row {row}: {text}" if row is not None else text)

    def material(
        self,
        formula: str,
        parsed: ParsedFormula | None,
        family_label: str | None,
        row: int,
        *,
        metadata: Mapping[str, Any] | None = None,
    ) -> MaterialRecord:
        """Return the material record of ``formula`` (one per formula and dataset; the first row wins).

        ``metadata`` (the source's facts, JSON-serialisable) is taken from the first row of the formula.
        """
        existing = self.materials.get(formula)
        if existing is None:
            existing = MaterialRecord(
                formula, parsed, family_label=family_label, dataset=self.dataset, metadata=metadata
            )
            self.materials[formula] = existing
        elif family_label != existing.family_label:
            self.warn(
                row,
                f"formula {formula!r} has family label {family_label!r} here but {existing.family_label!r} "
                "in an earlier row; the material keeps the first",
            )
        return existing

    def to_batch(self) -> ImportBatch:
        """The store batch of this file (imported in one transaction)."""
        return ImportBatch(
            dataset=self.dataset,
            file_sha256=self.file_sha256,
            file_name=self.file_name,
            conductivities=tuple(self.conductivities),
            activation_energies=tuple(self.activation_energies),
            structures=tuple(self.structures),
            materials=tuple(self.materials.values()),
        )

    def to_report(self, result: ImportResult | None = None) -> ImportReport:
        """The import report; ``result`` is the store's answer (``None`` for a dry run)."""
        changes = tuple(dataclasses.asdict(change) for change in result.changes) if result else ()
        return ImportReport(
            dataset=self.dataset,
            file=self.file_name,
            rows_read=self.rows_read,
            imported=len(self.imported_rows),
            skipped=tuple(sorted(self.skipped, key=lambda s: (s.row, s.field or ""))),
            warnings=tuple(self.warnings),
            assumptions=tuple(self.assumptions),
            inserted=dict(result.inserted) if result else {},
            already_present=result.already_present if result else False,
            file_sha256=self.file_sha256,
            replaced=dict(result.replaced) if result else {},
            unchanged=dict(result.unchanged) if result else {},
            changes=changes,
        )


MAX_RAW_CHARS = 500
"""Raw text kept in a report entry (longer cells are cut, with their length said)."""


def _raw_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and math.isnan(raw):
        return ""
    text = str(raw)
    if len(text) > MAX_RAW_CHARS:
        return f"{text[:MAX_RAW_CHARS]}… ({len(text)} characters)"
    return text


def parse_formula_or_error(
    text: str, cation_hint: str | None = None
) -> tuple[ParsedFormula | None, str | None]:
    """Parse ``text`` with :func:`sselab.chem.parse_formula`: ``(parsed, None)`` or ``(None, message)``.

    ``cation_hint`` is the dataset's conducting ion (element symbol), passed on to the parser.
    """
    try:
        return parse_formula(text, cation_hint=cation_hint), None
    except FormulaParseError as exc:
        return None, str(exc)


def is_blank(value: Any) -> bool:
    """True for ``None``, NaN and whitespace-only strings."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def track(items: Iterable[T], *, total: int, description: str, progress: bool) -> Iterator[T]:
    """Iterate ``items`` behind a rich progress bar when ``progress`` is True.

    Each row is also reported with :func:`sselab.progress.report_progress` (a no-op unless a caller, such
    as the pipeline, listens).
    """

    def counted(source: Iterable[T]) -> Iterator[T]:
        for number, item in enumerate(source, start=1):
            yield item
            report_progress(number, total, label=f"{description} rows", unit="rows")

    if not progress:
        yield from counted(items)
        return

    yield from counted(rich_track(items, total=total, description=description, transient=True))
