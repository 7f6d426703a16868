"""Benchmark: does the stated uncertainty of a MetaD barrier cover the true one? (issue 12 acceptance)

The 0.5 eV double well of :class:`sselab.simulate.analytic.DoubleWell1D` (exact barrier 0.500 eV), T = 400 K,
16 independent particles as walkers sharing one bias (the setting of the known-answer tests). For each seed
the run states ``Ea ± σ`` (σ = sd/√n over the walkers,
:func:`sselab.simulate.metad.uncertainty.walker_uncertainty`);
coverage is the fraction of seeds with ``|Ea − 0.5| ≤ σ`` (1σ, expected 68 % for an honest Gaussian error, at
least 60 % required) and ``≤ 2σ``.

Run: ``.venv/bin/python benchmarks/bench_metad_coverage.py [--seeds 10 --steps 2500]`` (rewrites the
``## MetaD uncertainty coverage`` section of ``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sselab.simulate.analytic import DoubleWell1D, particle_in_box
from sselab.simulate.metad.colvars import ProjectedDisplacement
from sselab.simulate.metad.engine import run_metadynamics
from sselab.simulate.metad.hills import BiasGrid

SECTION = "## MetaD uncertainty coverage"
EXACT_EV = 0.5
SETTINGS = {"temperature_k": 400.0, "timestep_fs": 2.0, "height_ev": 0.02, "pace": 25, "bias_factor": 15.0,
            "figures": False, "fix_center_of_mass": False}  # fmt: skip


def one_seed(seed: int, steps: int, walkers: int, folder: Path) -> tuple[float | None, float | None]:
    """``(Ea, σ)`` of one run (``None`` where none)."""
    atoms = particle_in_box(n_particles=walkers)
    origin = tuple(atoms.positions[0])
    cvs = [[ProjectedDisplacement(i, origin, (1.0, 0.0, 0.0), "x")] for i in range(walkers)]
    result = run_metadynamics(
        atoms, DoubleWell1D(barrier_ev=EXACT_EV), cvs, widths=[0.1], steps=steps, seed=seed, run_dir=folder,
        grid=BiasGrid((-1.0,), (3.0,), (400,)), start=[0.0], end=[2.0], target_tolerance=0.3, **SETTINGS,
    )  # fmt: skip
    b = result.barriers
    return (None, None) if b is None else (b.effective_ev, b.uncertainty_ev)


def coverage(seeds: list[int], steps: int, walkers: int = 16) -> dict[str, object]:
    """Run every seed; the stated (Ea, σ), and the 1σ and 2σ coverage of the exact barrier."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            rows.append((seed, *one_seed(seed, steps, walkers, Path(tmp) / f"s{seed}")))
    stated = [(s, e, u) for s, e, u in rows if e is not None and u is not None]
    within1 = sum(abs(e - EXACT_EV) <= u for _, e, u in stated)
    within2 = sum(abs(e - EXACT_EV) <= 2 * u for _, e, u in stated)
    errors = np.array([e - EXACT_EV for _, e, _ in stated])
    return {"rows": rows, "n": len(stated), "cover_1sigma": within1 / max(len(stated), 1),
            "cover_2sigma": within2 / max(len(stated), 1), "rms_error_ev": float(np.sqrt(np.mean(errors**2))),
            "mean_sigma_ev": float(np.mean([u for _, _, u in stated]))}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=2500)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    started = time.time()
    out = coverage(list(range(1, args.seeds + 1)), args.steps)
    machine = platform.processor() or platform.machine()
    lines = [f"- {datetime.now(UTC):%Y-%m-%d}, {machine}, load {load:.1f}, "
             f"{time.time() - started:.0f} s: DoubleWell1D 0.5 eV, 400 K, {args.steps} steps of 2 fs, "
             f"16 walkers sharing one bias, {args.seeds} seeds; σ = sd/√16 over walkers. Stated for "
             f"{out['n']} seeds; 1σ coverage {100 * out['cover_1sigma']:.0f} %, "
             f"2σ {100 * out['cover_2sigma']:.0f} %; RMS error "
             f"{out['rms_error_ev']:.4f} eV, mean σ {out['mean_sigma_ev']:.4f} eV",
             "", "| seed | Ea (eV) | σ (eV) | 0.5 eV within 1σ |", "|---|---|---|---|"]  # fmt: skip
    for seed, e, u in out["rows"]:  # type: ignore[attr-defined]
        covered = "n/a" if e is None or u is None else ("yes" if abs(e - EXACT_EV) <= u else "no")
        ea = "n/a" if e is None else f"{e:.4f}"
        sd = "n/a" if u is None else f"{u:.4f}"
        lines.append(f"| {seed} | {ea} | {sd} | {covered} |")
    text = "\n".join(lines)
    print(text)
    from _docs import replace_section

    replace_section(SECTION, text)


if __name__ == "__main__":
    main()
