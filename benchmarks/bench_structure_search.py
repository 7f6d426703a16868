"""Rediscovery of LT-LiBH4 (Pnma, Z = 4, 24 atoms) by the GA and by random search, CHGNet, several seeds.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_structure_search.py run --method ga --seeds 1 2 3 4 5
    .venv/bin/python benchmarks/bench_structure_search.py run --method random --seeds 1 2 3 4 5
    .venv/bin/python benchmarks/bench_structure_search.py report

``run`` keeps every individual in a SQLite store under ``runs/structure_search/`` (git-ignored), so an
interrupted
run continues where it stopped when the same command is repeated. A run stops as soon as an individual
*reaches*
the target: it matches the CHGNet-relaxed experimental structure (pymatgen ``StructureMatcher``, tolerances
below)
or its energy per atom is at or below that structure's. ``report`` rewrites the ``## Structure search``
section of
``docs/benchmarks.md`` with the relaxations needed per seed and the medians (runs that did not reach the
target
within the budget are reported as "> budget").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / "runs" / "structure_search"
# v1: cut-and-splice could tear units at the cell boundary; v2: FIRE in P1, 30 steps (summarised in the
# report);
# v3: BFGS, random individuals relaxed in their generated space group first, then released
VERSION = "v3"
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Structure search"
# ---------------------------------------------------------------- parameters
TORCH_THREADS = 1
BUDGET = 60  # relaxations per run at most
POPULATION = 10
RELAX_STEPS = 80  # BFGS steps (symmetric stage for random individuals)
RELEASE_STEPS = 40  # then without the symmetry constraint (P1 children: 120 steps in one stage)
FMAX = 0.05
OPTIMIZER = "BFGS"
REFERENCE_RELAX = {"fmax": 0.02, "steps": 400}
MATCH_TOLERANCES = {"ltol": 0.2, "stol": 0.3, "angle_tol": 5.0}  # pymatgen's defaults
ENERGY_TOLERANCE_EV = 0.001  # "at or below the reference" allows 1 meV/atom of numerical noise
# Search relaxations stop at fmax 0.05 eV/Å, a few meV/atom above the minimum on this flat landscape,
# while the
# reference is relaxed to 0.02 eV/Å: individuals within POLISH_WINDOW_EV of the reference are polished to the
# reference's criterion (P1) before comparing. Every polish counts as one more relaxation in the cost.
POLISH_WINDOW_EV = 0.005
POLISH = {"steps": 300, "fmax": 0.02}
# ---------------------------------------------------------------------------

os.environ.setdefault("OMP_NUM_THREADS", str(TORCH_THREADS))
os.environ.setdefault("MPLBACKEND", "Agg")


def _calculator():
    import torch

    torch.set_num_threads(TORCH_THREADS)
    try:
        from sselab.simulate.potentials import get_calculator

        return get_calculator("chgnet", device="cpu", threads=TORCH_THREADS)
    except ImportError:
        from chgnet.model.dynamics import CHGNetCalculator

        return CHGNetCalculator(use_device="cpu")


def _reference(calc) -> dict:
    """CHGNet-relaxed experimental LiBH4 (cached in RUNS/reference.json)."""
    path = RUNS / "reference.json"
    if path.exists():
        return json.loads(path.read_text())
    from ase.filters import FrechetCellFilter
    from ase.optimize import FIRE

    from sselab.simulate.reference import libh4_pnma
    from sselab.structures.checkpoint import atoms_to_record

    atoms = libh4_pnma()
    atoms.calc = calc
    FIRE(FrechetCellFilter(atoms), logfile=None).run(
        fmax=REFERENCE_RELAX["fmax"], steps=REFERENCE_RELAX["steps"]
    )
    data = {
        "energy_ev_per_atom": float(atoms.get_potential_energy()) / len(atoms),
        "atoms": atoms_to_record(atoms),
        "volume_a3": float(atoms.get_volume()),
        "relax": REFERENCE_RELAX,
    }
    RUNS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return data


def run(method: str, seeds: list[int], budget: int) -> None:
    from pymatgen.analysis.structure_matcher import StructureMatcher

    from sselab.store import open_store
    from sselab.structures.cell import search_cell
    from sselab.structures.checkpoint import atoms_from_record
    from sselab.structures.dedup import to_structure
    from sselab.structures.search import SearchSettings, run_search

    calc = _calculator()
    ref = _reference(calc)
    ref_structure = to_structure(atoms_from_record(ref["atoms"]))
    matcher = StructureMatcher(**MATCH_TOLERANCES)

    cell = search_cell("LiBH4", 4, [("Li", 1), ("BH4", 1)])
    store = open_store(f"sqlite:///{RUNS / f'search-{VERSION}-{method}.sqlite'}")
    e_ref = ref["energy_ev_per_atom"]

    from sselab.structures.relax import relax_candidate

    def polished(name: str, ind) -> dict:
        """Polish ``ind`` to the reference's force criterion (cached per run and key)."""
        path = RUNS / f"polish-{name}.json"
        cache = json.loads(path.read_text()) if path.exists() else {}
        if ind.key not in cache:
            t0 = time.perf_counter()
            result = relax_candidate(
                ind.atoms, calc, max_steps=POLISH["steps"], fmax_ev_per_a=POLISH["fmax"], optimizer=OPTIMIZER
            )
            cache[ind.key] = {
                "energy_ev_per_atom": result.energy_ev_per_atom,
                "match": bool(matcher.fit(to_structure(result.atoms), ref_structure)),
                "steps": result.steps,
                "seconds": round(time.perf_counter() - t0, 1),
            }
            path.write_text(json.dumps(cache, indent=1))
        return cache[ind.key]

    def reached(name: str, ind) -> bool:
        if not ind.valid:
            return False
        if ind.enthalpy_ev_per_atom <= e_ref + ENERGY_TOLERANCE_EV:
            return True
        if matcher.fit(to_structure(ind.atoms), ref_structure):
            return True
        if ind.enthalpy_ev_per_atom <= e_ref + POLISH_WINDOW_EV:
            hit = polished(name, ind)
            return bool(hit["match"] or hit["energy_ev_per_atom"] <= e_ref + ENERGY_TOLERANCE_EV)
        return False

    for seed in seeds:
        settings = SearchSettings(
            budget=budget,
            population_size=POPULATION,
            method=method,
            seed=seed,
            relax_steps=RELAX_STEPS,
            release_steps=RELEASE_STEPS,
            optimizer=OPTIMIZER,
            symmetric_random=True,
            fmax_ev_per_a=FMAX,
        )
        name = f"libh4-{VERSION}-{method}-seed{seed}"
        started = time.perf_counter()
        result = run_search(cell, calc, store, name, settings, stop_when=lambda ind, n=name: reached(n, ind))
        # the search stops at the first individual that reaches the target: it is the last one or none is
        last = result.individuals[-1]
        hit = last.index + 1 if reached(name, last) else None
        cache_path = RUNS / f"polish-{name}.json"
        cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
        polishes = sum(1 for key in cache if hit is None or int(key) < hit)
        summary = {
            "method": method,
            "seed": seed,
            "budget": budget,
            "relaxations_to_reach": hit,
            "polishes": polishes,
            "cost_to_reach": hit + polishes if hit is not None else None,
            "individuals": len(result.individuals),
            "best_energy_ev_per_atom": result.best.energy_ev_per_atom,
            "reference_energy_ev_per_atom": ref["energy_ev_per_atom"],
            "wall_s_this_call": time.perf_counter() - started,
            "machine": f"{platform.node()} {platform.processor() or platform.machine()} ({os.cpu_count()} "
            "cores shared)",
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "relax_steps": RELAX_STEPS,
            "population": POPULATION,
            "load_avg_1min": os.getloadavg()[0],
        }
        (RUNS / f"{name}.json").write_text(json.dumps(summary, indent=1))
        print(json.dumps(summary))


def _individuals(method: str, name: str):
    """Individuals of a run read from its store (also for runs stopped before their budget), or None."""
    path = RUNS / f"search-{VERSION}-{method}.sqlite"
    if not path.exists():
        return None
    from sselab.errors import StoreError
    from sselab.store import open_store

    try:
        frame = open_store(f"sqlite:///{path}").search_individuals(name)
    except StoreError:
        return None
    return frame if len(frame) else None


def _reach_details(name: str, frame, hit: int | None, ref: dict) -> tuple[str, float, bool]:
    """How individual ``hit`` (1-based) reached the target: (operator, space group, ΔE, match), ΔE, match."""
    if frame is None or hit is None:
        return "", float("nan"), False
    from pymatgen.analysis.structure_matcher import StructureMatcher

    from sselab.structures.checkpoint import atoms_from_record, decode_json_field
    from sselab.structures.dedup import to_structure
    from sselab.structures.relax import space_group_number

    row = frame.iloc[hit - 1]
    extra = decode_json_field(row["extra"])
    atoms = atoms_from_record(extra["atoms"])
    matcher = StructureMatcher(**MATCH_TOLERANCES)
    match = matcher.fit(to_structure(atoms), to_structure(atoms_from_record(ref["atoms"])))
    energy = float(row["energy_ev_per_atom"])
    cache_path = RUNS / f"polish-{name}.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    polished = ""
    if row["key"] in cache:
        energy = cache[row["key"]]["energy_ev_per_atom"]
        match = match or cache[row["key"]]["match"]
        polished = ", after polish"
    delta = 1000 * (energy - ref["energy_ev_per_atom"])
    group = space_group_number(atoms, 0.1)
    text = (
        f"{row['operator']}, SG {group} (0.1 Å), {delta:+.1f} meV/atom{polished}, "
        f"{'match' if match else 'no match'}"
    )
    return text, delta, bool(match)


def report() -> None:
    rows = [json.loads(p.read_text()) for p in sorted(RUNS.glob(f"libh4-{VERSION}-*-seed*.json"))]
    ref = json.loads((RUNS / "reference.json").read_text())
    budgets = {m: sorted({r["budget"] for r in rows if r["method"] == m}) for m in ("ga", "random")}
    lines = [SECTION, ""]
    lines.append(
        "Rediscovery of LT-LiBH4 (Pnma, Z = 4, 24 atoms; units Li⁺ and rigid BH4⁻) with CHGNet 0.3.0 on CPU "
        f"(1 torch thread per run, GA and random runs side by side on the 2 cores), "
        f"`benchmarks/bench_structure_search.py`. Each relaxation: {OPTIMIZER} + Fréchet cell filter, fmax "
        f"{FMAX} eV/Å; random individuals (PyXtal, 25 space groups) are relaxed ≤ {RELAX_STEPS} steps in "
        f"their generated space group (ASE `FixSymmetry`), then ≤ {RELEASE_STEPS} steps without it; GA "
        f"children ≤ {RELAX_STEPS + RELEASE_STEPS} steps in P1. GA population {POPULATION} (the first "
        f"{POPULATION} individuals are random, the same ones as the random run with the same seed). Budget "
        f"(relaxations per run): GA {budgets['ga']}, random {budgets['random']}. *Reached* = pymatgen "
        f"StructureMatcher match ({MATCH_TOLERANCES}, pymatgen's defaults) with the CHGNet-relaxed "
        f"experimental structure (Soulié et al. 2002), or energy per atom at or below it "
        f"(+{ENERGY_TOLERANCE_EV * 1000:g} meV/atom), directly or after a polish ({OPTIMIZER}, P1, "
        f"{POLISH}: the reference's force criterion) of individuals within {POLISH_WINDOW_EV * 1000:g} "
        "meV/atom of the reference; the run stops there. *Cost* = relaxations + polishes up to that point."
    )
    lines.append(
        f"Reference energy (relaxed experimental, {ref['relax']}): {ref['energy_ev_per_atom']:.4f} eV/atom."
    )
    lines += [
        "",
        "| method | seed | relaxations to reach | polishes | cost to reach | reached by (operator, "
        "space group before polish, ΔE, match) | individuals run | best E (eV/atom) "
        "| s per relaxation (mean) | machine | date |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    medians = {}
    kinds: dict[str, list[str]] = {"ga": [], "random": []}
    for method in ("ga", "random"):
        costs, relaxations = [], []
        for seed in range(1, 11):
            name = f"libh4-{VERSION}-{method}-seed{seed}"
            frame = _individuals(method, name)
            finished = next((r for r in rows if r["method"] == method and r["seed"] == seed), None)
            if finished is None and frame is None:
                continue
            seconds = f"{frame['extra'].map(lambda e: e['seconds']).mean():.0f}" if frame is not None else "?"
            if finished is None:
                assert frame is not None
                lines.append(
                    f"| {method} | {seed} | unfinished: not reached in {len(frame)} | | | | {len(frame)} "
                    f"| {float(frame['energy_ev_per_atom'].min()):.4f} | {seconds} | | |"
                )
                continue
            hit, polishes = finished["relaxations_to_reach"], finished.get("polishes", 0)
            cost = finished.get("cost_to_reach")
            relaxations.append(hit if hit is not None else float("inf"))
            costs.append(cost if cost is not None else float("inf"))
            shown = str(hit) if hit is not None else f"> {finished['individuals']}"
            shown_cost = str(cost) if cost is not None else f"> {finished['individuals'] + polishes}"
            details, delta, match = _reach_details(name, frame, hit, ref)
            if hit is not None:
                kinds[method].append("match" if match else "lower" if delta < 0 else "within")
            lines.append(
                f"| {method} | {seed} | {shown} | {polishes} | {shown_cost} "
                f"| {details} | {finished['individuals']} "
                f"| {finished['best_energy_ev_per_atom']:.4f} | {seconds} | {finished['machine']} "
                f"| {finished['date']} |"
            )
        if costs:
            medians[method] = (
                statistics.median(costs),
                statistics.median(relaxations),
                len(costs),
                sum(v != float("inf") for v in costs),
            )
    lines.append("")
    for method, (cost, relax, n, ok) in medians.items():
        over = f"> budget {max(budgets[method])}"
        lines.append(
            f"- {method}: {ok} of {n} seeds reached; median cost to reach = "
            f"{f'{cost:g}' if cost != float('inf') else over} "
            f"(median relaxations {f'{relax:g}' if relax != float('inf') else over})."
        )
    for method, found in kinds.items():
        if found:
            lines.append(
                f"- {method}, how the target was reached: {found.count('match')} structure match(es), "
                f"{found.count('lower')} other structure(s) below the reference, {found.count('within')} "
                f"other structure(s) 0–{ENERGY_TOLERANCE_EV * 1000:g} meV/atom above it."
            )
    if "ga" in medians and "random" in medians:
        ga, rnd = medians["ga"][0], medians["random"][0]
        if ga != float("inf") and rnd == float("inf"):
            bound = ga / min(budgets["random"])
            lines.append(f"- ratio GA / random (median cost) < {bound:.2f} (goal ≤ 0.5).")
        elif ga != float("inf"):
            lines.append(f"- ratio GA / random (median cost) = {ga / rnd:.2f} (goal ≤ 0.5).")
    lines.append(
        "- Near-degenerate polymorphs: CHGNet puts several LiBH4 structures within ±1.5 meV/atom of the "
        "relaxed LT structure (GA seed 1's hit polishes to a Pca2₁ structure 0.1 meV/atom above it). At "
        "1 meV/atom they are degenerate for a potential whose error is tens of meV/atom, hence the stated "
        "tolerance; counting structure matches only, the GA reached the LT structure in 2 of 5 seeds and "
        "random search in 0 of 5."
    )
    lines.append(
        "- Runs resume from their stores: seed 1 of both methods was stopped and resumed when the polish "
        "rule was added (the individuals do not depend on it), and runs that had not reached the target in "
        "60 relaxations were continued to 120 (random seeds 1, 2, 3, 5; GA seed 2)."
    )
    lines.append(
        "- Previous attempt (v2: FIRE in P1 for every individual, ≤ 30 steps, fmax 0.1 eV/Å, population "
        "8, budget 40, looser matcher (0.3, 0.5, 10°) and a polish of candidates within 15 meV/atom): no "
        "run reached the target (0 of 5 random, 0 of 4 finished GA seeds); short FIRE relaxations left "
        "candidates 8–28 meV/atom above their minima, so the GA ranked parents on noise. What changed: BFGS "
        "(fewer force "
        "calls to converge on these cells), symmetric relaxation of random individuals, larger population "
        "and relaxation budget, polish to the reference's own force criterion."
    )
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    start = text.find(SECTION)
    if start >= 0:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + "\n".join(lines) + "\n" + ("\n" + text[end + 1 :] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    DOC.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run")
    p_run.add_argument("--method", choices=("ga", "random"), required=True)
    p_run.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    p_run.add_argument("--budget", type=int, default=BUDGET)
    sub.add_parser("report")
    args = parser.parse_args()
    if args.command == "run":
        run(args.method, args.seeds, args.budget)
    else:
        report()


if __name__ == "__main__":
    main()
