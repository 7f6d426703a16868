"""Benchmark: screening 10^6 candidates (enumerate + descriptors + predict + rank), target < 10 s on 2 cores.

The space: 19 cations (14 divalent, 5 monovalent) × 56 anions (BH4, B3H8, B10H10, B11H14, CB9H10, CB11H12,
NH2, AlH4 and the 48 halogenated closo-dodecaborates B12H(12−k)X_k, X = F, Cl, Br, I, k = 1..12) × 19 neutral
molecules from the sselab.chem registry × n = 0.25..12.5 in steps of 0.25: 1,010,800 candidates. Models: y1
and y2 (X, r_atom, sum) fitted on the wang2025-ea dataset in a temporary store (not timed). Timed: enumeration
without formula strings, descriptors on the element-count matrix, prediction of every routed model with its
95 % prediction interval and flags (since 2026-12-01), ranking of the predictions with Ea > 0;
then the formulas of the best 3 on y1 are built. The median of three repeats is recorded.

Run: ``.venv/bin/python benchmarks/bench_screening.py`` (appends to the ``## Screening`` section of
``docs/benchmarks.md``, rewriting only that section).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Screening"

DIVALENT = ["Mg", "Ca", "Zn", "Sr", "Ba", "Mn", "Fe", "Co", "Ni", "Cu", "Cd", "Pb", "Sn", "Eu"]
MONOVALENT = ["Li", "Na", "K", "Rb", "Cs"]
MOLECULES = [
    "NH3", "H2O", "CH3NH2", "NH3BH3", "(CH3)2CHNH2", "CH3CH2NH2", "(CH3)2NH", "en", "THF", "diglyme", "DME",
    "CH3CN", "N2H4", "CO(NH2)2", "CH3OH", "C2H5OH", "py", "DMSO", "NH3B3H7",
]  # fmt: skip


def big_space():
    from sselab.screening import CandidateSpace

    anions: list[object] = ["BH4", "B3H8", "B10H10", "B11H14", "CB9H10", "CB11H12", "NH2", "AlH4"]
    for halogen in ("F", "Cl", "Br", "I"):
        for k in range(1, 13):
            formula = f"B12H{12 - k}{halogen}{k}" if k < 12 else f"B12{halogen}12"
            anions.append({"name": formula, "formula": formula, "charge": -2, "family": "closo-borane"})
    spec = {
        "name": "bench-1e6",
        "cations": [{"symbol": s, "charge": 2} for s in DIVALENT]
        + [{"symbol": s, "charge": 1} for s in MONOVALENT],
        "anions": anions,
        "molecules": MOLECULES,
        "n_values": [0.25 * i for i in range(1, 51)],
        "routes": [{"model": "y1", "anion_contains_carbon": False}, {"model": "y2", "contains_carbon": True}],
    }
    return CandidateSpace.from_dict(spec, source="bench_screening")


def fitted_models() -> dict[str, Any]:
    from sselab.datasets import import_dataset
    from sselab.models import MODEL_FAMILIES, LinearEaModel, descriptor_table, select_rows
    from sselab.store import open_store

    folder = Path(tempfile.mkdtemp())
    store = open_store(f"sqlite:///{folder / 'bench.sqlite'}")
    import_dataset("wang2025-ea", store, progress=False)
    table = descriptor_table(store.activation_energy_frame(method="experiment"))
    models = {}
    for label in ("y1", "y2"):
        rows = select_rows(table, MODEL_FAMILIES[label], ("X", "r_atom")).rows
        models[label] = LinearEaModel(("X", "r_atom"), "sum", label).fit(rows)
    return models


def run_once(space: Any, models: dict[str, Any]) -> tuple[float, int, Any]:
    from sselab.screening import enumerate_candidates, screen

    start = time.perf_counter()
    candidates = enumerate_candidates(space, formulas=False)
    result = screen(candidates, models, formulas=False)
    elapsed = time.perf_counter() - start
    return elapsed, len(candidates.frame), result


def write_section(text: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if SECTION in old:
        head, rest = old.split(SECTION, 1)
        tail = rest.split("\n## ", 1)
        previous = tail[0]
        after = "\n## " + tail[1] if len(tail) > 1 else ""
        new = head + SECTION + previous.rstrip("\n") + "\n" + text + after
    else:
        new = old.rstrip("\n") + f"\n\n{SECTION}\n\n" + text
    path.write_text(new, encoding="utf-8")


def main() -> None:
    from sselab.screening import candidate_formulas

    mirror = ROOT.parent / "shared" / "datasets"
    if mirror.is_dir():  # the checkout's dataset mirror, as in the tests (no download)
        os.environ.setdefault("SSELAB_DATA_MIRROR", str(mirror))

    space = big_space()
    models = fitted_models()
    times = []
    for _ in range(3):
        elapsed, n_candidates, result = run_once(space, models)
        times.append(elapsed)
    median = statistics.median(times)
    top = result.ranked(top=3)
    rows = result.candidates.frame.set_index("candidate_id").loc[top["candidate_id"]].reset_index()
    top_formulas = candidate_formulas(space, rows)
    load = os.getloadavg()[0]
    machine = f"{platform.node()} ({platform.processor() or platform.machine()}, {os.cpu_count()} CPUs)"
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    counts = result.counts()
    runs = ", ".join(f"{t:.2f}" for t in times)
    line = (
        f"- {date}, {machine}, Python {platform.python_version()}: {n_candidates:,} candidates, "
        f"{sum(counts.values()):,} predictions ({counts}); enumerate + descriptors + predict with intervals "
        "and flags + rank "
        f"median {median:.2f} s of {len(times)} (runs {runs} s; target < 10 s); "
        f"best on y1: {', '.join(top_formulas[: min(3, len(top_formulas))])}; 1-min load average {load:.1f}\n"
    )
    sys.stdout.write(line)
    write_section(line)


if __name__ == "__main__":
    main()
