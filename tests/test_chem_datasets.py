"""The parser against the real public datasets of the mirror (acceptance of issue 2)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from sselab.chem import parse_formula
from sselab.errors import FormulaParseError

logger = logging.getLogger(__name__)
VALENCE_WORDS = {"Monovalent": 1, "Divalent": 2}


def _parse_all(formulas: list[str], hints: list[str | None]) -> tuple[list, list[tuple[str, str]]]:
    parsed, failures = [], []
    for text, hint in zip(formulas, hints, strict=True):
        try:
            parsed.append(parse_formula(text, cation_hint=hint))
        except FormulaParseError as error:
            failures.append((text, error.reason))
    for text, reason in failures:
        logger.warning("unparsed %r: %s", text, reason)
    return parsed, failures


def test_wang2025_at_least_185_formulas_parse_with_cation_and_valence(dataset_mirror: Path) -> None:
    frame = pd.read_excel(dataset_mirror / "wang2025" / "supplementary_dataset_1.xlsx")
    frame = frame.dropna(subset=["Pretty_Formula", "Conducting_Ion"])  # the last row is a note
    assert len(frame) >= 190
    good, failures = 0, []
    for row in frame.itertuples():
        try:
            p = parse_formula(str(row.Pretty_Formula), cation_hint=row.Conducting_Ion)
        except FormulaParseError as error:
            failures.append((row.Pretty_Formula, error.reason))
            continue
        assert p.composition.num_atoms > 0
        assert p.cation == row.Conducting_Ion.strip()
        assert p.valence == VALENCE_WORDS[row.Valence.strip()], row.Pretty_Formula
        good += 1
    print(f"wang2025: {good} of {len(frame)} parsed with cation and valence; failures: {failures}")
    assert good >= 185
    # the known failures, each with its reason: hint/formula mismatch and hydrates without a water count
    assert {f for f, _ in failures} <= {"LiBH4-0.5NH3", "LiB12H11NH3 Hydrate", "NaB12H11NH3 Hydrate"}


@pytest.mark.parametrize(
    ("folder", "file", "column", "rows"),
    [
        ("liverpool", "LiIonDatabase.csv", "composition", 820),
        ("obelix", "all.csv", "Reduced Composition", 599),
    ],
)
def test_inorganic_sets_parse_with_lithium(
    dataset_mirror: Path, folder: str, file: str, column: str, rows: int
) -> None:
    formulas = pd.read_csv(dataset_mirror / folder / file)[column].astype(str).tolist()
    assert len(formulas) == rows
    parsed, failures = _parse_all(formulas, [None] * len(formulas))
    print(f"{folder}: {len(parsed)} of {rows} parsed; failures: {failures}")
    assert not failures
    assert all(p.cation == "Li" and p.valence == 1 and p.cation_count > 0 for p in parsed)
