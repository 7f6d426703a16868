"""Benchmark: cost of the metadynamics bias on top of plain MD, with the same CHGNet calculator and cell.

LT-LiBH4 (Pnma, Soulié et al. 2002) repeated 1x2x2 (96 atoms) with one Li vacancy (95 atoms); Langevin NVT at
500 K, 1 fs, centre of mass held (ASE FixCom) on both paths. Plain MD and well-tempered MetaD (2 CVs: the Li's
displacement towards the vacancy measured against the centroid of the 94 other atoms, and its coordination
number to B with a 6 Å cut-off; an upper and a lower wall; a bias grid; a hill every 10 steps) run in
alternating blocks after a warm-up, so
that the load of a shared machine affects both alike. Times are CPU times of this process (``process_time``,
one torch thread), which other processes' load disturbs far less than wall time. Reported: MetaD step time ÷
MD step time (ratio of the summed block times; target ≤ 1.05), the per-block ratios, and the bias's own cost
per step measured directly (CVs + bias + forces with the wrapped CHGNet result cached, 200 repetitions).

Run: ``.venv/bin/python benchmarks/bench_metad_overhead.py [--blocks 4 --steps-per-block 8 --threads 2]``
(appends to the ``## Metadynamics overhead`` section of ``docs/benchmarks.md``, rewriting only that section).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Metadynamics overhead"


def build_systems(threads: int, device: str):
    from sselab.simulate.md import initial_velocities, make_dynamics
    from sselab.simulate.metad.bias import WellTemperedMetaD
    from sselab.simulate.metad.colvars import CoordinationNumber
    from sselab.simulate.metad.hills import BiasGrid
    from sselab.simulate.metad.relative import HostDisplacement
    from sselab.simulate.metad.walls import Wall
    from sselab.simulate.potentials import get_calculator
    from sselab.simulate.prepare import make_vacancy, pick_cation
    from sselab.simulate.reference import libh4_pnma

    cell = libh4_pnma().repeat((1, 2, 2))
    vac = make_vacancy(cell, "Li", pick_cation(cell, "Li"))
    calc = get_calculator("chgnet", device=device, threads=threads)
    mover = vac.migrating_index
    start = vac.atoms.positions[mover]
    direction = np.asarray(vac.vacancy_position) - start
    direction /= np.linalg.norm(direction)
    borons = tuple(i for i, s in enumerate(vac.atoms.get_chemical_symbols()) if s == "B")
    cvs = [
        HostDisplacement(mover, vac.atoms, direction, name="d1"),
        CoordinationNumber(mover, borons, r0_a=3.0, name="cn", d_max_a=6.0),
    ]
    walls = [Wall(0, 4.4, 10.0, "upper"), Wall(0, -0.5, 10.0, "lower")]
    grid = BiasGrid((-2.0, 0.0), (6.0, 8.0), (160, 100))
    systems = {}
    for kind in ("md", "metad"):
        atoms = vac.atoms.copy()
        rng = np.random.default_rng(1)
        initial_velocities(atoms, 500.0, rng, zero_momentum=True)
        if kind == "md":
            atoms.calc = calc
        else:
            metad = WellTemperedMetaD(calc, cvs, 0.02, [0.2, 0.1], 10, 10.0, 500.0, grid=grid, walls=walls)
            atoms.calc = metad
        dyn = make_dynamics(atoms, 500.0, 1.0, rng=rng, fix_center_of_mass=True)
        if kind == "metad":
            metad.attach_to(dyn, atoms)
        systems[kind] = dyn
    return systems, len(vac.atoms)


def write_section(text: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if SECTION in old:
        head, rest = old.split(SECTION, 1)
        tail = rest.split("\n## ", 1)
        after = "\n## " + tail[1] if len(tail) > 1 else ""
        new = head + SECTION + tail[0].rstrip("\n") + "\n" + text + after
    else:
        new = old.rstrip("\n") + f"\n\n{SECTION}\n\n" + text
    path.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--steps-per-block", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    systems, natoms = build_systems(args.threads, args.device)
    for dyn in systems.values():
        dyn.run(args.warmup)
    times: dict[str, list[float]] = {"md": [], "metad": []}
    for block in range(args.blocks):
        order = ("md", "metad") if block % 2 == 0 else ("metad", "md")
        for kind in order:
            start = time.process_time()
            systems[kind].run(args.steps_per_block)
            times[kind].append((time.process_time() - start) / args.steps_per_block)
    ratios = [m / p for m, p in zip(times["metad"], times["md"], strict=True)]
    ratio = sum(times["metad"]) / sum(times["md"])
    metad_calc = systems["metad"].atoms.calc
    hills = len(metad_calc.hills)
    atoms = systems["metad"].atoms
    start = time.process_time()
    for _ in range(200):
        metad_calc.results = {}
        metad_calc.calculate(atoms, ["energy", "forces"], [])  # wrapped CHGNet result is cached
    bias_s = (time.process_time() - start) / 200
    direct = (statistics.median(times["md"]) + bias_s) / statistics.median(times["md"])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    line = (
        f"- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()} ({platform.machine()}, "
        f"{os.cpu_count()} CPUs, torch threads {args.threads}, device {args.device}), "
        f"Python {platform.python_version()}: LiBH4 Pnma 1x2x2 "
        f"with a Li vacancy ({natoms} atoms), CHGNet, Langevin 500 K with FixCom, host-relative CVs and "
        f"walls; "
        f"{args.blocks} alternating blocks of "
        f"{args.steps_per_block} steps after {args.warmup} warm-up steps; MD "
        f"{statistics.median(times['md']) * 1000:.0f} ms/step, MetaD (2 CVs, grid, {hills} hills) "
        f"{statistics.median(times['metad']) * 1000:.0f} ms/step (CPU time); **ratio {ratio:.3f}** "
        f"(per-block ratios {', '.join(f'{r:.3f}' for r in ratios)}; target ≤ 1.05); bias alone "
        f"{bias_s * 1000:.2f} ms/step -> (MD + bias) / MD = {direct:.4f}; load average {load:.1f}\n"
    )
    print(line, end="")
    if not args.no_write:
        write_section(line)


if __name__ == "__main__":
    main()
