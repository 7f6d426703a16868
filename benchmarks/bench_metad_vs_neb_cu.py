"""Benchmark: MetaD against CI-NEB on a real crystal — the EMT Cu vacancy hop (issue 12 acceptance).

The README's command (``sselab metad Cu.cif --protocol vacancy ...``: the recipe's full preparation, a 3x3x3
supercell of 107 atoms with one vacancy, host-relative displacement CV, FixCom thermostat, the stopping rule)
is run as a subprocess and its output kept for the README; then CI-NEB of the same hop on the same cell (the
MetaD run's relaxed, NPT-scaled reference cell ``inputs/reference.extxyz``: the ion moved to the vacancy, end
points relaxed, 7 images, fmax 0.02 eV/Å). Acceptance: |MetaD − NEB| ≤ 0.10 eV, ≥ 10 transitions, host drift
< 0.5 Å, converged. Writes the ``## MetaD vs CI-NEB (EMT Cu vacancy hop)`` section of ``docs/benchmarks.md``
(machine, date, load) and ``runs/cu-metad/benchmark.json``.

Run: ``nice -n 10 .venv/bin/python benchmarks/bench_metad_vs_neb_cu.py`` (40 min of one core on
2026-12-01: 70 000 steps with the preparation; stop it at any time and rerun to continue; a converged run
is only re-analysed). Every invocation's wall time and load go to ``runs/cu-metad/wall_times.json``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from _docs import replace_section
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.io import read, write

from sselab.simulate.metad.result import MetaDResult
from sselab.simulate.neb import run_neb
from sselab.simulate.runfolder import read_summary

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "runs" / "cu-metad"
SECTION = "## MetaD vs CI-NEB (EMT Cu vacancy hop)"
#: The README's command, option for option.
OPTIONS = ["--cation", "Cu", "--potential", "emt", "--protocol", "vacancy", "--temperature-k", "700",
           "--steps", "100000", "--chunk-steps", "5000", "--timestep-fs", "2", "--bias-factor", "8",
           "--seed", "1"]  # fmt: skip


def run_metad() -> tuple[str, float]:
    """Run (or resume) the README's command; its log goes to ``runs/cu-metad.log``."""
    RUN.parent.mkdir(parents=True, exist_ok=True)
    cif = RUN.parent / "Cu.cif"
    write(cif, bulk("Cu", cubic=True))
    started = time.time()
    sselab = Path(sys.executable).with_name("sselab")
    with (RUN.parent / "cu-metad.log").open("a") as log:
        command = [str(sselab), "metad", cif.name, *OPTIONS, "--out", RUN.name]  # as the README writes it
        env = {**os.environ, "COLUMNS": "110"}
        done = subprocess.run(
            command, stdout=subprocess.PIPE, stderr=log, text=True, check=True, env=env, cwd=RUN.parent
        )
    return done.stdout, time.time() - started


def run_band(result: MetaDResult) -> tuple[float, bool, int]:
    """CI-NEB of the same hop on the MetaD run's reference cell (the ion moved to the vacancy)."""
    reference = read(RUN / "inputs" / "reference.extxyz")
    mover = int(result.parameters["cation_index"])
    final = reference.copy()
    final.positions[mover] = result.parameters["target_site_a"]
    band = run_neb(reference, final, EMT, n_images=7, fmax=0.02, steps=500, run_dir=RUN.parent / "cu-neb")
    return band.barrier_ev, band.converged, band.n_force_calls


def _wall_log(wall_s: float, steps_to: int, load: float) -> list[dict[str, float]]:
    """Every invocation's wall time (a resumed run's total is their sum)."""
    path = RUN / "wall_times.json"
    entries = json.loads(path.read_text()) if path.exists() else []
    entry = {"wall_s": wall_s, "steps_to": steps_to, "load_start": load, "load_end": os.getloadavg()[0]}
    entries.append(entry)
    path.write_text(json.dumps(entries, indent=2) + "\n")
    return entries


def _ev(value: float | None, fmt: str = ".3f") -> str:
    return "n/a" if value is None else format(value, fmt)


def main() -> None:
    load = os.getloadavg()[0]
    output, wall = run_metad()
    result = MetaDResult.from_dict(read_summary(RUN))
    walls = _wall_log(wall, result.steps_done, load)
    total_wall = sum(e["wall_s"] for e in walls)
    neb_ev, neb_ok, calls = run_band(result)
    b = result.barriers
    by_method = result.analysis.details.get("barriers_by_method", {})
    hills_ev = by_method["hills"]["effective_ev"] if "hills" in by_method else None
    metad_ev = result.reported_ev
    sigma = b.uncertainty_ev if b else None
    transitions = result.convergence.get("transitions")
    difference = None if metad_ev is None else metad_ev - neb_ev
    drift = result.max_host_drift_a
    out = {
        "metad_ev": metad_ev, "uncertainty_ev": sigma,
        "uncertainty_reason": result.analysis.uncertainty_reason,
        "hills_ev": hills_ev, "neb_ev": neb_ev, "neb_converged": neb_ok,
        "difference_ev": difference, "transitions": transitions, "max_host_drift_a": drift,
        "converged": result.converged, "reason": result.convergence_reason, "steps": result.steps_done,
        "ps": result.simulated_time_ps, "hills": result.n_hills, "height_ev": result.settings.height_ev,
        "width_a": result.widths[0], "pace": result.settings.pace, "wall_s": total_wall, "invocations": walls,
        "cli_output": output,
    }  # fmt: skip
    (RUN / "benchmark.json").write_text(json.dumps(out, indent=2) + "\n")
    accepted = (
        difference is not None and abs(difference) <= 0.10 and (transitions or 0) >= 10
        and drift is not None and drift < 0.5 and result.converged is True
    )  # fmt: skip
    loads = ", ".join(f"{_ev(e.get('load_start'), '.1f')}->{_ev(e.get('load_end'), '.1f')}" for e in walls)
    atoms = result.structure.n_atoms if result.structure else "?"
    sigma_text = f"± {sigma:.3f}" if sigma is not None else f"(σ {result.analysis.uncertainty_reason})"
    line = (
        f"- {datetime.now(UTC):%Y-%m-%d}, {platform.processor() or platform.machine()}, 2 cores shared, "
        f"nice 10, one thread, load (1-min, start->end of each invocation) {loads}; wall "
        f"{total_wall / 60:.1f} min over {len(walls)} invocation(s): "
        f"`sselab metad Cu.cif {' '.join(OPTIONS)} --out {RUN.name}`"
        f" — {atoms} atoms, {result.steps_done} steps ({result.simulated_time_ps:.0f} ps), {result.n_hills} "
        f"hills of {result.settings.height_ev:.4f} eV × {result.widths[0]:.3f} Å every "
        f"{result.settings.pace} steps (measured). **MetaD {_ev(metad_ev)} eV {sigma_text}** (reweighted; "
        f"hills FES {_ev(hills_ev)} eV) vs **CI-NEB {neb_ev:.3f} eV** on the same cell (7 images, "
        f"fmax 0.02 eV/Å, converged {neb_ok}, {calls} force calls): difference "
        f"{_ev(difference, '+.3f')} eV; {transitions} transitions; host drift {_ev(drift)} Å (max); "
        f"converged {result.converged} "
        f"({result.convergence_reason}). Acceptance (≤ 0.10 eV, ≥ 10, < 0.5 Å, converged): "
        f"{'met' if accepted else 'NOT met'}."
    )
    print(output)
    print(line)
    replace_section(SECTION, line)


if __name__ == "__main__":
    main()
