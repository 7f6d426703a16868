"""LT-LiBH4 (Pnma): composite activation energy Em + ½·min(Ef Frenkel, Ef Schottky) per potential.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_composite_libh4.py run chgnet 96      # one potential, one cell size
    .venv/bin/python benchmarks/bench_composite_libh4.py run chgnet 192     # the cell-size convergence check
    .venv/bin/python benchmarks/bench_composite_libh4.py report             # tables into docs/
    .venv/bin/python benchmarks/bench_composite_libh4.py                    # every case of CASES, then report

Each run calls the recipe :func:`sselab.simulate.defects.composite_barrier` on the built-in Soulié et al. 2002
structure (``sselab.simulate.reference.libh4_pnma``) with the widest supercell within N atoms, in a run folder
``$SSELAB_BENCH_RUNS/composite_libh4/<potential>-<N>/`` (default ``runs/`` in the repository, git-ignored)
whose parts cache makes a rerun instant; ``bench.json`` records the wall time, the time per force call on the
supercell, the machine and its load at start and end. ``report`` rewrites the results section of
``docs/libh4_barriers.md`` and appends the timings to ``docs/benchmarks.md``; the experimental Ea of the LT
phase is read from the wang2025 dataset (Index 2), not written here.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
RUNS = Path(os.environ.get("SSELAB_BENCH_RUNS", ROOT / "runs")) / "composite_libh4"
DOC = ROOT / "docs" / "libh4_barriers.md"
THREADS = 1
#: (potential, max atoms) run by default; 96 vs 192 atoms with CHGNet is the cell-size check.
CASES = (("chgnet", 96), ("sevennet", 96), ("chgnet", 192))
#: Settings beyond the recipe's defaults (the supercell size comes from the case).
SETTINGS = {
    "n_interstitial_starts": 3,
    "defect_fmax_ev_per_a": 0.05,
    "neb_images": 3,
    "neb_fmax_ev_per_a": 0.05,
}
BEGIN, END = "<!-- BEGIN COMPOSITE (bench_composite_libh4.py) -->", "<!-- END COMPOSITE -->"
SECTION = "## Composite defect barrier of LiBH4"


def machine() -> dict[str, object]:
    """CPU, Python, load average and date."""
    cpu = platform.processor() or "unknown"
    info = Path("/proc/cpuinfo")
    if info.exists():
        cpu = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in info.read_text().splitlines()
                if ln.startswith("model name")
            ),
            cpu,
        )
    return {
        "host": platform.node(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def seconds_per_call(potential: str, atoms, n: int = 3) -> float:
    """Mean wall time of ``n`` energy + force calls on ``atoms`` (after one warm-up call)."""
    from sselab.simulate.potentials import get_calculator

    work = atoms.copy()
    work.calc = get_calculator(potential, device="cpu", threads=THREADS)
    work.get_forces()
    start = time.perf_counter()
    for i in range(n):
        work.positions[0, 0] += 1e-3 * (i + 1)
        work.get_forces()
    return (time.perf_counter() - start) / n


def run(potential: str, max_atoms: int) -> Path:
    """One composite run; returns its folder."""
    from sselab.simulate.defects import CompositeSettings, composite_barrier
    from sselab.simulate.reference import libh4_pnma

    folder = RUNS / f"{potential}-{max_atoms}"
    folder.mkdir(parents=True, exist_ok=True)
    start_machine, start = machine(), time.perf_counter()
    settings = CompositeSettings(max_atoms=max_atoms, **SETTINGS)
    result = composite_barrier(
        libh4_pnma(), "Li", potential=potential, settings=settings, threads=THREADS, run_dir=folder
    )
    wall = time.perf_counter() - start
    bench_file = folder / "bench.json"
    previous = json.loads(bench_file.read_text()) if bench_file.exists() else {}
    if result.reused_parts and previous:  # a rerun from the parts cache: keep the original timing
        payload = previous
    else:
        from sselab.simulate.defects.cache import atoms_from_dict

        relaxed = json.loads((folder / "parts" / "bulk.json").read_text())["part"]["data"]["atoms"]
        supercell = atoms_from_dict(relaxed).repeat(result.supercell.repetitions)
        payload = {
            "wall_time_s": wall,
            "seconds_per_force_call": seconds_per_call(potential, supercell),
            "machine_start": start_machine,
            "machine_end": machine(),
            "threads": THREADS,
        }
    bench_file.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    print(f"{potential} {max_atoms}: Ea {result.activation_energy_ev:.3f} eV, converged {result.converged}")
    return folder


def _cell(summary: dict) -> str:
    cell = summary["supercell"]
    reps = "×".join(str(n) for n in cell["repetitions"])
    widths = "/".join(f"{w:.1f}" for w in cell["widths_a"])
    return f"{cell['n_atoms']} ({reps}; widths {widths} Å)"


def report() -> None:
    """Rewrite the results section of docs/libh4_barriers.md and append timings to docs/benchmarks.md."""
    sys.path.insert(0, str(Path(__file__).parent))
    from _docs import append_to_section

    from sselab.benchmark import open_set, resolve_experiments
    from sselab.simulate.defects import DefectBarrierResult

    experiment = resolve_experiments(open_set()).by_name("LiBH4|low-T|experimental")
    rows, timings = [], []
    for folder in sorted(RUNS.glob("*-*")):
        summary_file = folder / "composite_summary.json"
        if not summary_file.exists():
            continue
        result = DefectBarrierResult.from_dict(json.loads(summary_file.read_text()))
        bench = json.loads((folder / "bench.json").read_text())
        frenkel, schottky = result.frenkel, result.schottky
        assert frenkel is not None and schottky is not None
        starts = ", ".join(
            f"{s.formation_energy_ev:.2f}" + (" (recombined)" if s.recombined else "") for s in frenkel.starts
        )
        state = "yes" if result.converged else "no: " + "; ".join(result.issues)
        rows.append(
            f"| {result.potential.label()} | {_cell(result.as_dict())} | {result.migration_energy_ev:.3f} | "
            f"{frenkel.formation_energy_ev:.3f} (pair {frenkel.pair_distance_a:.1f} Å; starts {starts}) | "
            f"{schottky.formation_energy_ev:.3f} (units {schottky.min_separation_a:.1f} Å apart) | "
            f"**{result.activation_energy_ev:.3f}** ({result.limiting_pair}) | {state} |"
        )
        load0 = bench["machine_start"]["load_average"][0]
        load1 = bench["machine_end"]["load_average"][0]
        parts = ", ".join(f"{k} {v / 60:.1f}" for k, v in result.part_wall_time_s.items())
        end = bench["machine_end"]
        timings.append(
            f"- {end['date_utc'][:16].replace('T', ' ')} UTC, {end['host']} ({end['cpu']}, "
            f"{end['cpu_count']} CPUs shared), Python {end['python']}, {bench['threads']} torch thread: "
            "LiBH4 composite, "
            f"{result.potential.label()}, {_cell(result.as_dict())}: {bench['wall_time_s'] / 60:.1f} min "
            f"wall (parts, min: {parts}); {bench['seconds_per_force_call']:.2f} s per force call on the "
            f"supercell; NEB {result.migration.n_force_calls} force calls; 1-min load {load0:.1f} at start, "
            f"{load1:.1f} at end"
        )
    table = [
        "| potential | supercell (atoms) | Em, CI-NEB (eV) | Ef Frenkel (eV) | Ef Schottky (eV) "
        "| composite Ea (eV) | converged |",
        "|---|---|---|---|---|---|---|",
        *rows,
        f"| experiment, LT (Pnma), wang2025-ea Index 2 | | | | | {experiment.experimental_ea_ev:.2f} "
        f"| doi:{experiment.doi} |",
    ]
    text = DOC.read_text(encoding="utf-8")
    block = BEGIN + "\n\n" + "\n".join(table) + "\n\n" + END
    if BEGIN in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")
    existing = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    for line in timings:
        if line not in existing:  # one line per run: a rerun of the report adds nothing
            append_to_section(SECTION, line)
    print("\n".join(table))


def main(argv: list[str]) -> None:
    if not argv:
        for potential, n in CASES:
            run(potential, n)
        report()
    elif argv[0] == "run" and len(argv) == 3:
        run(argv[1], int(argv[2]))
    elif argv == ["report"]:
        report()
    else:
        raise SystemExit("usage: bench_composite_libh4.py [run POTENTIAL MAX_ATOMS | report]")


if __name__ == "__main__":
    main(sys.argv[1:])
