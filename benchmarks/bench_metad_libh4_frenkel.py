"""Benchmark: the ``frenkel`` MetaD of LT-LiBH4 (Pnma, built in) at 350 K with CHGNet, as long as a shared
2-core machine allows.

``run``: the recipe :func:`sselab.simulate.metad_of_structure` with its full preparation (relaxation of the
24-atom cell, a supercell with every width >= 10 Å: 2x3x2, 288 atoms; NPT and unbiased equilibration at 350 K,
hill width and pace measured), chunks of 100 steps checked by the stopping rule, checkpoints every 100 steps;
stop it at any time (kill) and rerun to continue. The NPT and unbiased equilibrations are 100 steps (0.1 ps)
each, short for a careful study, so that a session of about an hour on a shared core reaches the biased run at
all (a CHGNet step on 288 atoms costs about 4 s of CPU). ``report``: re-analyses the run folder's HILLS/COLVAR
with the current code, applies the stopping rule, counts transitions, and writes the
``<!-- frenkel-metad -->`` block of ``docs/metadynamics.md`` (machine, date, load).

Run: ``nice -n 10 env SSELAB_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python
benchmarks/bench_metad_libh4_frenkel.py run [--potential chgnet]`` then ``... report``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from ase.cell import Cell

from sselab.simulate.metad.analysis import analyse_metadynamics
from sselab.simulate.metad.convergence import BarrierStoppingRule, transitions_of
from sselab.simulate.metad.preparation import equilibration_warnings
from sselab.simulate.metad.result import MetaDResult, reported_barrier
from sselab.simulate.recipes import metad_of_structure
from sselab.simulate.reference import libh4_pnma
from sselab.simulate.runfolder import read_summary

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "metadynamics.md"
BEGIN, END = "<!-- BEGIN frenkel-metad -->", "<!-- END frenkel-metad -->"
SETTINGS = {
    "protocol": "frenkel",
    "temperature_k": 350.0,
    "supercell_min_length_a": 10.0,
    "steps": 20_000,
    "chunk_steps": 100,
    "timestep_fs": 1.0,
    "bias_factor": 20.0,
    "npt_steps": 100,
    "equilibration_steps": 100,
    "relax_steps": 200,
    "checkpoint_every": 100,
    "threads": 1,
    "seed": 1,
}


def run_dir(potential: str) -> Path:
    return ROOT / "runs" / "libh4_frenkel" / potential


def run(potential: str) -> None:
    """Run (or continue) the MetaD; ``bench.json`` records each invocation's start, load and end."""
    folder = run_dir(potential)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.json"
    bench = json.loads(path.read_text()) if path.is_file() else {"invocations": []}
    entry = {"started_utc": datetime.now(UTC).isoformat(), "load_start": os.getloadavg()[0]}
    bench["invocations"].append(entry)
    path.write_text(json.dumps(bench, indent=2) + "\n")  # kept if the run is stopped
    started = time.time()
    metad_of_structure(libh4_pnma(), "Li", potential=potential, run_dir=folder, progress=False,
                       structure_provenance="built-in", **SETTINGS)  # fmt: skip
    entry.update(wall_s=time.time() - started, load_end=os.getloadavg()[0])
    path.write_text(json.dumps(bench, indent=2) + "\n")


def report(potential: str) -> str:
    folder = run_dir(potential)
    result = MetaDResult.from_dict(read_summary(folder))
    hills, colvar = result.hills, result.colvar
    options = dict(result.parameters.get("analysis") or {})
    analysis = analyse_metadynamics(
        hills, colvar, result.settings.temperature_k, hills.bias_factor, result.settings.fes_bins,
        result.start, result.end, cv_names=result.cv_names, target_tolerance=options.get("target_tolerance"),
        onward=bool(options.get("onward")), quantity="intrinsic",
    )  # fmt: skip
    steps_on_file = round(float(colvar.times_ps[-1]) * 1000 / result.settings.timestep_fs)
    settings = result.settings.replace(steps=int(SETTINGS["steps"]))  # a chunk's summary holds its target
    current = replace(result, analysis=analysis, steps_done=steps_on_file, settings=settings)
    verdict = BarrierStoppingRule()(current)
    n, _ = transitions_of(current)
    prep = result.parameters.get("preparation", {})
    cell = prep.get("npt_mean_cell_a") or [[0] * 3] * 3
    relaxed = Cell(np.array(prep["relaxed_cell_a"]) * np.array(prep["supercell"])[:, None]).lengths()
    npt = Cell(cell).lengths() if prep.get("npt_mean_cell_a") else None
    checks = equilibration_warnings(relaxed, npt, None, 0.0, None)
    checks.append(f"the ion starts {float(colvar.values[0, 0]):.2f} Å from its site (COLVAR, t = 0)")
    b = analysis.barriers
    parts = (
        str(analysis.barrier_error)
        if b is None
        else (
            f"{b.kind}; Ea1 {b.ea1_ev or b.barrier_ev:.3f} eV, plateau ΔF {b.plateau_ev:.3f} eV, "
            f"onward {'not sampled' if b.onward_ev is None else f'{b.onward_ev:.3f}'}, "
            f"span {b.effective_ev:.3f} eV; "
            f"intrinsic {reported_barrier('frenkel', b)[0]}"
        )
    )
    bench = json.loads((folder / "bench.json").read_text()) if (folder / "bench.json").is_file() else {}
    lines = [
        BEGIN,
        f"### `frenkel` MetaD at 350 K ({potential}, perfect crystal, run {datetime.now(UTC):%Y-%m-%d})",
        "",
        f"- cell: {result.structure.n_atoms if result.structure else '?'} atoms, "
        f"{prep.get('supercell')} supercell of the relaxed 24-atom cell, NPT mean cell diagonal "
        f"{cell[0][0]:.2f} / {cell[1][1]:.2f} / {cell[2][2]:.2f} Å at "
        f"{prep.get('npt_temperature_k') or 0:.0f} K",
        f"- CV: host-relative site distance of Li #{result.parameters.get('cation_index')}, interstitial "
        f"void at {result.parameters.get('hop_distance_a', 0):.2f} Å; hills {result.settings.height_ev:.4f} "
        f"eV x {result.widths[0]:.3f} Å every {result.settings.pace} steps (measured), "
        f"γ {result.settings.bias_factor:g}",
        f"- simulated: {steps_on_file} steps = {steps_on_file * result.settings.timestep_fs / 1000:.2f} ps, "
        f"{len(hills.heights_ev)} hills; host drift {result.max_host_drift_a or 0:.3f} Å (max)",
        f"- committed transitions site <-> interstitial: {n}",
        f"- barriers (reweighted FES, sites from the hills FES): {parts}",
        f"- stopping rule: converged = {verdict[0]}; {verdict[1]}",
        f"- warnings of the preparation: {'; '.join(prep.get('warnings') or []) or 'none'}",
        f"- equilibration check on the saved preparation: {'; '.join(checks)}",
        f"- machine: {platform.processor() or platform.machine()}, 2 cores shared (one taken by another "
        f"benchmark), nice 10, 1 torch thread; {_invocations(bench, folder)}; "
        f"load now {os.getloadavg()[0]:.1f}",
        END,
    ]
    return "\n".join(lines)


def _invocations(bench: dict, folder: Path) -> str:
    """Each invocation's start (UTC), 1-min load then, and wall time (to the last checkpoint if stopped)."""
    items = bench.get("invocations", [])
    checkpoint = folder / "checkpoint.npz"
    last = checkpoint.stat().st_mtime if checkpoint.is_file() else None
    parts = []
    for item in items:
        start = datetime.fromisoformat(item["started_utc"])
        wall = item.get("wall_s")
        if wall is None and last is not None:
            wall = last - start.timestamp()
        minutes = "?" if wall is None else f"{wall / 60:.0f} min"
        parts.append(f"started {start:%H:%M} UTC at load {item['load_start']:.1f}, {minutes}")
    return "; ".join(parts) or "no invocation recorded"


def write_doc(block: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    if BEGIN in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n## LiBH4 Pnma: frenkel MetaD at 350 K\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["run", "report"])
    parser.add_argument("--potential", default="chgnet")
    args = parser.parse_args()
    if args.mode == "run":
        run(args.potential)
    else:
        block = report(args.potential)
        write_doc(block)
        print(block)


if __name__ == "__main__":
    main()
