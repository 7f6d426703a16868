"""Benchmark: force calls of BFGS, LBFGS and FIRE relaxing random LiBH4 cells as the structure search does.

Random Pnma LiBH4 cells (Z = 4, 24 atoms; rigid BH4 units, PyXtal, the search's generator) are relaxed with
CHGNet on positions and cell (Fréchet cell filter) in their space group (ASE ``FixSymmetry``), fmax
0.03 eV/Å, at most 300 steps, once per optimizer. Reported per cell and optimizer: steps, whether it
converged, wall time and the final energy per atom. This is the measurement behind the search's default
optimizer (BFGS).

Run: ``.venv/bin/python benchmarks/bench_relax_optimizers.py [--cells 2 --seed 11]`` (appends to the
``## Relaxation optimizers`` section of ``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, datetime

SECTION = "## Relaxation optimizers"
FMAX = 0.03
MAX_STEPS = 300
THREADS = 1

os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    import numpy as np
    import torch
    from _docs import append_to_section

    from sselab.simulate.potentials import get_calculator
    from sselab.structures.cell import search_cell
    from sselab.structures.generate import GeneratorSettings, random_structure
    from sselab.structures.relax import OPTIMIZERS, relax_candidate

    torch.set_num_threads(THREADS)
    calc = get_calculator("chgnet", device="cpu", threads=THREADS)
    cell = search_cell("LiBH4", 4, [("Li", 1), ("BH4", 1)])
    rows = []
    for index in range(args.cells):
        rng = np.random.default_rng([args.seed, index])
        candidate = random_structure(cell, rng, GeneratorSettings(space_groups=(62,)))
        for optimizer in OPTIMIZERS:
            started = time.perf_counter()
            result = relax_candidate(
                candidate,
                calc,
                max_steps=MAX_STEPS,
                fmax_ev_per_a=FMAX,
                optimizer=optimizer,
                symmetric=True,
            )
            seconds = time.perf_counter() - started
            shown = f"{result.steps} steps" if result.converged else f"not converged in {MAX_STEPS} steps"
            energy = result.energy_ev_per_atom
            rows.append(f"cell {index} {optimizer}: {shown}, {seconds:.0f} s, {energy:.4f} eV/atom")
            print(rows[-1], flush=True)
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    line = (
        f"- {date}, {platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs, "
        f"torch threads {THREADS}), "
        f"CHGNet 0.3.0, random Pnma LiBH4 cells (seed {args.seed}), symmetric relaxation, fmax {FMAX} eV/Å, "
        f"≤ {MAX_STEPS} steps: " + "; ".join(rows) + f"; load average {os.getloadavg()[0]:.1f}"
    )
    append_to_section(SECTION, line)


if __name__ == "__main__":
    main()
