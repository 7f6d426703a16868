"""LiBH4 (LT, Pnma) Li-vacancy migration with CHGNet: MetaD, CI-NEB and MD-Arrhenius on the same 95-atom cell.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_libh4_methods.py relax neb md metad report

Each part is a separate step (run them in any order, in separate processes if you like); every part writes a
run
folder under ``runs/libh4/`` (git-ignored) with ``summary.json`` and ``bench.json`` (wall time, machine,
load), and
``report`` rewrites the results section of ``docs/libh4_barriers.md`` from whatever run folders exist, beside
the
experimental LiBH4 activation energies of the wang2025 dataset.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sselab.simulate.diffusion import MDArrheniusResult
from sselab.simulate.metad.result import MetaDResult
from sselab.simulate.neb import NEBResult

# ---------------------------------------------------------------- parameters
TORCH_THREADS = 1  # per process; 2 on a CPU shared by 8 sessions (load 7-15) was 4x slower than 1
POTENTIAL = "chgnet"
CATION = "Li"
SUPERCELL = (2, 2, 1)  # 2x2x1 of the 24-atom Pnma cell: 96 atoms, 95 with the Li vacancy
UNIT_CELL_RELAX = {"fmax": 0.02, "steps": 400}  # CHGNet, positions + cell (FrechetCellFilter)
# Budgets sized for a 2-core CPU shared by 8 sessions (load average about 10: a CHGNet force call on 95 atoms
# took about 8 s of wall time instead of 0.7 s on an idle machine).
# (a first CI-NEB with 3 images and fmax 0.1 eV/Å, kept in runs/libh4/neb_3images/, converged in 22 steps)
NEB = {"n_images": 5, "fmax": 0.05, "steps": 150, "climb": True}
# MD-Arrhenius: H at 4 amu and a 2 fs step (like the MetaD below), short runs at high temperature. The masses
# change the dynamics somewhat (BH4 reorientation), so D here is that of "LiB(4H)4", an approximation.
MD = {"temperatures_k": (1000.0, 1200.0, 1400.0), "steps": 150, "timestep_fs": 2.0, "seed": 11,
      "equilibration_steps": 20, "friction_per_fs": 0.01, "sample_every": 2}  # fmt: skip
MD_HYDROGEN_MASS_AMU = 4.0
# Mass repartitioning for MetaD only: H at 4 amu allows a 2 fs step (the FES does not depend on masses).
# Hills are large and frequent because the shared CPU allows only a few hundred steps in the 30-min budget.
METAD = {"temperature_k": 600.0, "timestep_fs": 2.0, "hydrogen_mass_amu": 4.0, "seed": 5, "height_ev": 0.08,
         "width_a": 0.25, "pace": 5, "bias_factor": 30.0, "chunk_steps": 40, "max_steps": 3000,
         "wall_budget_s": 1800.0}  # fmt: skip
# A second, gentler MetaD (smaller, sparser hills, 25-min budget) to see how much the barrier depends on them.
METAD_B = {**METAD, "height_ev": 0.03, "pace": 10, "width_a": 0.2, "bias_factor": 15.0, "seed": 6,
           "wall_budget_s": 1500.0}  # fmt: skip
ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / "runs" / "libh4"
DOC = ROOT / "docs" / "libh4_barriers.md"
WANG2025 = (
    Path(os.environ.get("SSELAB_DATA_MIRROR", ROOT.parent / "shared" / "datasets"))
    / "wang2025"
    / ("supplementary_dataset_1.xlsx")
)
# ---------------------------------------------------------------------------

os.environ.setdefault("OMP_NUM_THREADS", str(TORCH_THREADS))
os.environ.setdefault("MPLBACKEND", "Agg")


def calculator_factory():
    """CHGNet through sselab's potentials registry when present, else CHGNet's own ASE calculator."""
    import torch

    torch.set_num_threads(TORCH_THREADS)
    try:
        from sselab.simulate.potentials import get_calculator
    except ImportError:
        from chgnet.model.dynamics import CHGNetCalculator

        return CHGNetCalculator(use_device="cpu")
    return get_calculator(POTENTIAL, device="cpu", threads=TORCH_THREADS)


def machine() -> dict[str, object]:
    """Machine description and load for the records."""
    cpu = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "torch_threads": TORCH_THREADS,
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_bench(folder: Path, start: float, extra: dict[str, object] | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    payload = {"wall_time_s": time.perf_counter() - start, "machine_end": machine(), **(extra or {})}
    (folder / "bench.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")


def relaxed_unit_cell():
    """The Soulié cell relaxed with CHGNet (positions and cell), cached in runs/libh4/relax."""
    from ase.io import read, write

    path = RUNS / "relax" / "LiBH4_Pnma_relaxed.extxyz"
    if path.exists():
        return read(path)
    from ase.filters import FrechetCellFilter
    from ase.optimize import BFGS

    from sselab.simulate.reference import libh4_pnma, write_libh4_pnma_cif

    start = time.perf_counter()
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    write_libh4_pnma_cif(folder / "LiBH4_Pnma_Soulie2002.cif")
    atoms = libh4_pnma()
    atoms.calc = calculator_factory()
    opt = BFGS(FrechetCellFilter(atoms), logfile=str(folder / "relax.log"))
    converged = opt.run(**UNIT_CELL_RELAX)
    atoms.get_potential_energy()
    write(path, atoms)
    summary = {
        "kind": "relax",
        "converged": bool(converged),
        "steps_done": opt.nsteps,
        "cell_lengths_a": atoms.cell.lengths().tolist(),
        "cell_angles_deg": atoms.cell.angles().tolist(),
        "energy_ev_per_atom": float(atoms.get_potential_energy()) / len(atoms),
        **UNIT_CELL_RELAX,
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    write_bench(folder, start)
    return read(path)


def vacancy_hop():
    from sselab.simulate.neb import cation_hop_endpoints

    return cation_hop_endpoints(relaxed_unit_cell().repeat(SUPERCELL), CATION, vacancy_site=None)


def part_neb() -> None:
    from sselab.simulate.neb import run_neb

    start, machine_start = time.perf_counter(), machine()
    folder = RUNS / "neb"
    hop = vacancy_hop()
    result = run_neb(hop.initial, hop.final, calculator_factory, run_dir=folder, **NEB)
    write_bench(
        folder,
        start,
        {
            "machine_start": machine_start,
            "n_atoms": len(hop.initial),
            "hop_distance_a": hop.hop_distance_a,
            "barrier_ev": result.barrier_ev,
        },
    )


def part_md() -> None:
    import numpy as np

    from sselab.simulate.diffusion import md_arrhenius

    start, machine_start = time.perf_counter(), machine()
    folder = RUNS / "md_arrhenius"
    hop = vacancy_hop()
    atoms = hop.initial.copy()
    masses = atoms.get_masses()
    masses[np.array(atoms.get_chemical_symbols()) == "H"] = MD_HYDROGEN_MASS_AMU
    atoms.set_masses(masses)
    result = md_arrhenius(atoms, calculator_factory, CATION, run_dir=folder, **MD)
    write_bench(
        folder,
        start,
        {
            "machine_start": machine_start,
            "n_atoms": len(hop.initial),
            "activation_energy_ev": result.fit.activation_energy_ev if result.fit else None,
        },
    )


def part_metad(name: str = "metad", settings_in: dict | None = None) -> None:
    """WT-MetaD of the hop (1D CV: Li displacement along the hop), in chunks until the wall-time budget."""
    params = settings_in or METAD
    import numpy as np

    from sselab.simulate.metad.analysis import analyse_metadynamics
    from sselab.simulate.metad.colvars import ProjectedDisplacement
    from sselab.simulate.metad.engine import run_metadynamics
    from sselab.simulate.metad.plumed import read_colvar, read_hills
    from sselab.simulate.runfolder import RunFolder

    start = time.perf_counter()
    machine_start = machine()
    folder = RUNS / name
    hop = vacancy_hop()
    atoms = hop.initial.copy()
    # Mass repartitioning: H at params["hydrogen_mass_amu"] allows a 2 fs step; the FES (a configurational
    # average) does not depend on the masses in classical statistical mechanics.
    masses = atoms.get_masses()
    masses[np.array(atoms.get_chemical_symbols()) == "H"] = params["hydrogen_mass_amu"]
    atoms.set_masses(masses)
    site = hop.initial.positions[hop.moving_index]
    direction = hop.final.positions[hop.moving_index] - site
    cv = ProjectedDisplacement(hop.moving_index, tuple(site), tuple(direction), "d_hop")
    calculator = calculator_factory()
    keys = ("temperature_k", "timestep_fs", "height_ev", "pace", "bias_factor", "seed")
    settings = {k: params[k] for k in keys}
    total, chunk, result = 0, params["chunk_steps"], None
    while total < params["max_steps"]:
        chunk_start = time.perf_counter()
        total = min(total + chunk, params["max_steps"])
        result = run_metadynamics(
            atoms,
            calculator,
            [cv],
            steps=total,
            widths=(params["width_a"],),
            run_dir=folder,
            restart=True,
            figures=False,
            start=(0.0,),
            potential=POTENTIAL,
            parameters={"hydrogen_mass_amu": params["hydrogen_mass_amu"]},
            **settings,
        )
        elapsed = time.perf_counter() - start
        if elapsed + (time.perf_counter() - chunk_start) > params["wall_budget_s"]:
            break
    assert result is not None
    run = RunFolder(folder)
    analysis = analyse_metadynamics(
        read_hills(run.outputs / "HILLS"),
        read_colvar(run.outputs / "COLVAR"),
        params["temperature_k"],
        params["bias_factor"],
        start=(0.0,),
        end=(hop.hop_distance_a,),
        cv_names=["d_hop"],
        folder=run,
    )
    payload = {
        "machine_start": machine_start,
        "n_atoms": len(atoms),
        "steps_done": result.steps_done,
        "hop_distance_a": hop.hop_distance_a,
        "analysis_start_to_vacancy": analysis.as_dict(),
    }
    write_bench(folder, start, payload)


def part_store() -> None:
    """Record the three barriers as activation energies (MetaD, CI-NEB, MLMD) in runs/libh4/sselab.sqlite.

    The runs are short (no convergence criterion is met or applied): they are stored labelled as such.
    """
    from dataclasses import replace

    from sselab.simulate.metad.analysis import MetaDAnalysis
    from sselab.simulate.recording import record_activation_energy
    from sselab.store import open_store

    store = open_store(f"sqlite:///{RUNS / 'sselab.sqlite'}")
    for key in ("metad", "metad_b", "neb", "md_arrhenius"):
        summary = _read(RUNS / key / "summary.json")
        if summary is None:
            continue
        if key.startswith("metad"):
            analysis = (_read(RUNS / key / "bench.json") or {}).get("analysis_start_to_vacancy")
            if analysis is None:
                continue
            result = replace(MetaDResult.from_dict(summary), analysis=MetaDAnalysis.from_dict(analysis))
        else:
            result = (NEBResult if key == "neb" else MDArrheniusResult).from_dict(summary)
        outcome = record_activation_energy(
            store, result, material="LiBH4", note="LT-LiBH4 2x2x1, one Li vacancy", store_unconverged=True
        )
        logging.getLogger("bench").warning("%s: %s (#%s)", key, outcome.reason, outcome.ea_id)


def experimental_rows() -> list[dict[str, object]]:
    """LiBH4 rows of the wang2025 dataset (formula exactly LiBH4), with phase flag and DOI."""
    import pandas as pd

    frame = pd.read_excel(WANG2025)
    rows = frame[frame["Pretty_Formula"].astype(str).str.strip() == "LiBH4"]
    return [
        {
            "phase": "LT (Pnma)" if int(r["Phase_Transition"]) == 0 else "HT (P63mc)",
            "ea_ev": float(r["Ea (eV)"]),
            "doi": str(r["DOI"]),
            "row_index": int(r["Index"]),
        }
        for _, r in rows.iterrows()
    ]


def _read(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _fmt(value: object, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _uncertainty(value: float | None) -> str:
    """The MetaD uncertainty, flagged when the estimator could not measure one (a single pass, no blocks)."""
    if value is None:
        return "–"
    if value < 1e-3:
        return f"n/a (estimator: {value:.0e} eV, no block or time variation to measure)"
    return f"{value:.3f}"


def _timing(bench: dict | None) -> str:
    if bench is None:
        return "not run"
    start, end = bench.get("machine_start", {}), bench.get("machine_end", {})
    if start.get("date_utc") == end.get("date_utc"):  # an early version recorded the start at the end
        start = {}
    load_start = start.get("load_average", [None])[0]
    load_end = end.get("load_average", [None])[0]
    return (
        f"{bench['wall_time_s'] / 60:.1f} min wall, finished {end.get('date_utc', '?')}, "
        f"1-min load average at start {_fmt(load_start, 1)} and end {_fmt(load_end, 1)}, "
        f"{end.get('torch_threads')} torch thread(s)"
    )


def _metad_row(key: str, label: str) -> str:
    """One table row for the MetaD run in runs/libh4/<key>."""
    summary, bench = _read(RUNS / key / "summary.json"), _read(RUNS / key / "bench.json") or {}
    if summary is None:
        return f"| WT-MetaD {label} (CHGNet) | not run | |"
    result = MetaDResult.from_dict(summary)
    par = result.settings
    hills = f"hills {par.height_ev} eV × {result.widths[0]} Å every {par.pace} steps"
    hills += f", γ {par.bias_factor:g}"
    run = f"{result.steps_done} steps ({result.simulated_time_ps:.2f} ps)"
    run += f", {result.n_hills} hills"
    analysis = bench.get("analysis_start_to_vacancy") or {}
    hop = analysis.get("barriers")
    if hop:
        ends = " → ".join(f"{m['position'][0]:+.2f} Å" for m in (hop["minima"][0], hop["minima"][-1]))
        return (
            f"| WT-MetaD {label} (CHGNet, {par.temperature_k:g} K), minima {ends} along the hop axis "
            f"(vacancy at {bench.get('hop_distance_a', float('nan')):+.2f} Å) | "
            f"{_fmt(hop['rate_determining_ev'])} ± {_uncertainty(hop.get('uncertainty_ev'))} | "
            f"{hop['kind']}; {run}; {hills} |"
        )
    error = analysis.get("barrier_error") or result.barrier_error or "no analysis yet"
    return f"| WT-MetaD {label} (CHGNet) | no barrier | {run}: {error} |"


def results_markdown(experiment: list[dict[str, object]]) -> str:
    """The results section of docs/libh4_barriers.md, from the run folders."""
    relax = _read(RUNS / "relax" / "summary.json")
    neb_summary, md_summary = (_read(RUNS / k / "summary.json") for k in ("neb", "md_arrhenius"))
    neb = NEBResult.from_dict(neb_summary) if neb_summary else None
    md = MDArrheniusResult.from_dict(md_summary) if md_summary else None
    benches = {
        k: _read(RUNS / k / "bench.json") for k in ("relax", "neb", "md_arrhenius", "metad", "metad_b")
    }
    lines = ["| method | Li migration barrier (eV) | notes |", "|---|---|---|"]
    lines += [_metad_row("metad", "A"), _metad_row("metad_b", "B")]
    if neb is not None:
        state = "converged" if neb.converged else "not converged"
        lines.append(
            f"| CI-NEB (CHGNet, {neb.settings.n_images} images) | {_fmt(neb.barrier_ev)} "
            f"(reverse {_fmt(neb.reverse_barrier_ev)}) | {state} at fmax {neb.settings.fmax} "
            f"eV/Å, {neb.n_force_calls} force calls |"
        )
    else:
        lines.append("| CI-NEB (CHGNet) | not run | |")
    coarse_summary = _read(RUNS / "neb_3images" / "summary.json")
    if coarse_summary is not None:
        coarse = NEBResult.from_dict(coarse_summary)
        lines.append(
            f"| CI-NEB (CHGNet, {coarse.settings.n_images} images, first run) | "
            f"{_fmt(coarse.barrier_ev)} (reverse {_fmt(coarse.reverse_barrier_ev)}) | "
            f"{'converged' if coarse.converged else 'not converged'} "
            f"at fmax {coarse.settings.fmax} eV/Å, {coarse.n_force_calls} force calls |"
        )
    if md is not None and md.fit is not None:
        fit = md.fit
        temps = ", ".join(f"{t:g}" for t in md.temperatures_k)
        lines.append(
            f"| MD-Arrhenius (CHGNet, MLMD) | {_fmt(fit.activation_energy_ev)} ± {_fmt(fit.stderr_ev)} "
            f"| {temps} K, {md.settings.steps} production steps of {md.settings.timestep_fs:g} fs "
            f"each, R² {_fmt(fit.r_squared)} |"
        )
    elif md is not None:
        lines.append("| MD-Arrhenius (CHGNet, MLMD) | no fit | fewer than three temperatures with D > 0 |")
    else:
        lines.append("| MD-Arrhenius (CHGNet, MLMD) | not run | |")
    for row in experiment:
        lines.append(
            f"| experiment, {row['phase']} (wang2025 row {row['row_index']}) | {_fmt(row['ea_ev'], 2)} | "
            f"doi:{row['doi']} |"
        )
    out = ["", *lines, ""]
    if md is not None:
        out += ["MD-Arrhenius points (tracer D of all Li, Nernst–Einstein σ with Haven ratio 1):", ""]
        out += ["| T (K) | D (cm²/s) | σ (S/cm) |", "|---|---|---|"]
        for t, d, sig in zip(
            md.temperatures_k, md.diffusion_cm2_per_s, md.conductivity_s_per_cm, strict=True
        ):
            out.append(f"| {t:g} | {d:.3e} | {sig:.3e} |")
        out.append("")
    out += ["Runs (wall time on this machine, `uptime` load at start and end):", ""]
    if relax is not None:
        out.append(
            f"- relaxation of the 24-atom cell (CHGNet, cell + positions): a, b, c = "
            f"{', '.join(f'{x:.3f}' for x in relax['cell_lengths_a'])} Å; {_timing(benches['relax'])}"
        )
    benches["neb_3images"] = _read(RUNS / "neb_3images" / "bench.json")
    for key, label in (
        ("neb", "CI-NEB"),
        ("neb_3images", "CI-NEB, first run"),
        ("md_arrhenius", "MD-Arrhenius"),
        ("metad", "MetaD A"),
        ("metad_b", "MetaD B"),
    ):
        out.append(f"- {label}: {_timing(benches[key])}; folder `runs/libh4/{key}/`")
    any_bench = next((b for b in benches.values() if b), None)
    if any_bench:
        m = any_bench["machine_end"]
        out.append(
            f"- machine: {m['cpu']}, {m['cpu_count']} cores shared with 7 other sessions, "
            f"Python {m['python']}"
        )
    return "\n".join(out) + "\n"


def part_report() -> None:
    """Rewrite the block between the RESULTS markers of docs/libh4_barriers.md."""
    begin, end = (
        "<!-- BEGIN RESULTS (written by benchmarks/bench_libh4_methods.py report) -->",
        "<!-- END RESULTS -->",
    )
    block = results_markdown(experimental_rows())
    text = DOC.read_text() if DOC.exists() else f"# LiBH4 barriers\n\n{begin}\n{end}\n"
    if begin not in text or end not in text:
        raise SystemExit(f"{DOC} lacks the markers {begin!r} ... {end!r}")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    DOC.write_text(f"{head}{begin}\n{block}{end}{tail}")
    append_benchmark_line()


BENCH_DOC = ROOT / "docs" / "benchmarks.md"
BENCH_SECTION = "## LiBH4 methods (MetaD, CI-NEB, MD-Arrhenius with CHGNet)"


def append_benchmark_line() -> None:
    """Append a line with the three wall times to this script's section of docs/benchmarks.md."""
    if not all((RUNS / key / "bench.json").is_file() for key in ("metad", "neb", "md_arrhenius")):
        return  # only complete sets of runs go into docs/benchmarks.md
    parts = []
    for key, label in (("metad", "MetaD"), ("neb", "CI-NEB"), ("md_arrhenius", "MD-Arrhenius")):
        bench, summary = _read(RUNS / key / "bench.json"), _read(RUNS / key / "summary.json")
        if bench is None or summary is None:
            parts.append(f"{label} not run")
            continue
        steps = summary.get("steps_done") or summary.get("n_force_calls")
        unit = "MD steps" if key == "metad" else "force calls" if key == "neb" else ""
        detail = f", {steps} {unit}" if steps and unit else ""
        load = bench.get("machine_end", {}).get("load_average", [None])[0]
        parts.append(f"{label} {bench['wall_time_s'] / 60:.1f} min{detail} (load {load:.1f} at end)")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    line = (
        f"- {stamp}, {platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs shared), Python "
        f"{platform.python_version()}, 95-atom LiBH4 cell with a Li vacancy, CHGNet on CPU, "
        f"{TORCH_THREADS} torch thread per process, the three run in parallel: " + "; ".join(parts)
    )
    text = BENCH_DOC.read_text() if BENCH_DOC.exists() else "# Benchmarks\n"
    if BENCH_SECTION not in text:
        text = text.rstrip("\n") + f"\n\n{BENCH_SECTION}\n"
    head, tail = text.split(BENCH_SECTION, 1)
    nxt = tail.find("\n## ")
    section, rest = (tail, "") if nxt < 0 else (tail[:nxt], tail[nxt:])
    section = section.rstrip("\n") + ("\n" if section.strip() else "\n\n") + line + "\n"
    BENCH_DOC.write_text(head + BENCH_SECTION + section + rest)


def main(argv: list[str]) -> None:
    parts = argv or ["relax", "neb", "md", "metad", "report"]
    table = {
        "relax": relaxed_unit_cell,
        "neb": part_neb,
        "md": part_md,
        "metad": part_metad,
        "metad_b": lambda: part_metad("metad_b", METAD_B),
        "report": part_report,
        "store": part_store,
    }
    for part in parts:
        if part not in table:
            raise SystemExit(f"unknown part {part!r}; choose from {', '.join(table)}")
        table[part]()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main(sys.argv[1:])
