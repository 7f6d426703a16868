"""Fuzzing the importers with mutated real files (hypothesis): a report or a DataImportError, never worse.

Each example takes the head of a real mirror file, applies random byte-level mutations (cuts, inserted bytes
such as NUL, quotes, separators and invalid UTF-8, duplicated or blank lines, truncated exponents), imports
it into one store, and checks that the import ended in a report or a clean error and that the store holds
only physical values. Small budgets by default; ``-m slow`` runs large ones.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sselab.datasets import import_file
from sselab.errors import DataImportError
from sselab.store import Store, open_store
from test_datasets_bad_files import assert_nothing_absurd

MIRROR_FILES = {
    "liverpool-ionics": ("liverpool", "LiIonDatabase.csv", 40),
    "laskowski2023": ("liverpool", "laskowski2023_semi_formatted.csv", 60),
    "obelix": ("obelix", "all.csv", 25),
    "wang2025-ea": ("wang2025", "supplementary_dataset_1.xlsx", None),
}
INSERTS = [b"\x00", b"\xff\xfe", b'"', b",", b"\n", b"\r\n", b"\n\n", b"E-0", b"1e400", b"-", b"<", b"\xc3",
           b"nan", b"9" * 60, b"\t", b"\xe2\x88\x92"]  # fmt: skip

_store: Store | None = None
_tmp = Path(tempfile.mkdtemp(prefix="sselab-fuzz-"))


def _shared_store() -> Store:
    global _store
    if _store is None:
        _store = open_store(f"sqlite:///{_tmp / 'fuzz.sqlite'}")
    return _store


def _head(dataset_mirror: Path, name: str) -> bytes:
    folder, file, lines = MIRROR_FILES[name]
    data = (dataset_mirror / folder / file).read_bytes()
    if lines is None:
        return data
    return b"".join(data.splitlines(keepends=True)[:lines])


@st.composite
def mutations(draw: st.DrawFn) -> list[tuple[str, int, bytes]]:
    kinds = st.sampled_from(["delete", "insert", "truncate", "duplicate_line", "blank_line", "digit"])
    count = draw(st.integers(min_value=1, max_value=6))
    return [
        (draw(kinds), draw(st.integers(min_value=0, max_value=10**6)), draw(st.sampled_from(INSERTS)))
        for _ in range(count)
    ]


def mutate(data: bytes, steps: list[tuple[str, int, bytes]]) -> bytes:
    for kind, where, payload in steps:
        if not data:
            break
        at = where % len(data)
        if kind == "delete":
            data = data[:at] + data[at + 1 + where % 7 :]
        elif kind == "insert":
            data = data[:at] + payload + data[at:]
        elif kind == "truncate":
            data = data[: max(at, 1)]
        elif kind in ("duplicate_line", "blank_line"):
            lines = data.splitlines(keepends=True)
            index = where % len(lines)
            lines.insert(index, lines[index] if kind == "duplicate_line" else b"\n")
            data = b"".join(lines)
        elif kind == "digit":
            digits = [i for i, byte in enumerate(data) if 48 <= byte <= 57]
            if digits:
                i = digits[where % len(digits)]
                data = data[:i] + bytes([48 + (data[i] - 47) % 10]) + data[i + 1 :]
    return data


def _check(name: str, data: bytes) -> None:
    suffix = ".xlsx" if name == "wang2025-ea" else ".csv"
    path = _tmp / f"mutated{suffix}"
    path.write_bytes(data)
    store = _shared_store()
    try:
        report = import_file(name, path, store, save_report=False)
    except DataImportError as error:
        assert "mutated" in str(error)  # names the file
    else:
        assert report.rows_read >= report.imported >= 0
    assert_nothing_absurd(store)


def _fuzz(dataset_mirror: Path, name: str, steps: list[tuple[str, int, bytes]]) -> None:
    _check(name, mutate(_head(dataset_mirror, name), steps))


@pytest.mark.parametrize("name", sorted(MIRROR_FILES))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=mutations())
def test_mutated_real_files_end_in_a_report_or_a_clean_error(
    dataset_mirror: Path, name: str, steps: list[tuple[str, int, bytes]]
) -> None:
    _fuzz(dataset_mirror, name, steps)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MIRROR_FILES))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=mutations())
def test_mutated_real_files_long_budget(
    dataset_mirror: Path, name: str, steps: list[tuple[str, int, bytes]]
) -> None:
    _fuzz(dataset_mirror, name, steps)


@settings(max_examples=30, deadline=None)
@given(
    cells=st.lists(
        st.one_of(
            st.text(max_size=30),
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
            st.sampled_from(["2.90E-0", "1E10", "-5", "<1e-10", "45", "1,5", "\x00", "", "  "]),
        ),
        min_size=8,
        max_size=8,
    )
)
def test_any_cells_in_a_liverpool_row(cells: list[str]) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["ID", "composition", "source", "temperature", "target", "log_target", "family", "ChemicalFamily"]
    )
    writer.writerow(cells)
    _check("liverpool-ionics", buffer.getvalue().encode("utf-8", "surrogatepass"))
