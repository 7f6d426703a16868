"""LiBH4 (LT, Pnma) Li-vacancy migration with CHGNet: MetaD, CI-NEB and MD-Arrhenius on the same 95-atom cell.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_libh4_methods.py relax neb md metad report

Each part is a separate step (run them in any order, in separate processes if you like); every part writes a run
folder under ``runs/libh4/`` (git-ignored) with ``summary.json`` and ``bench.json`` (wall time, machine, load), and
``report`` rewrites the results section of ``docs/libh4_barriers.md`` from whatever run folders exist, beside the
experimental LiBH4 activation energies of the wang2025 dataset.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

# ---------------------------------------------------------------- parameters
TORCH_THREADS = 1  # per process; 2 on a CPU shared by 8 sessions (load 7-15) was 4x slower than 1
POTENTIAL = "chgnet"
CATION = "Li"
SUPERCELL = (2, 2, 1)  # 2x2x1 of the 24-atom Pnma cell: 96 atoms, 95 with the Li vacancy
UNIT_CELL_RELAX = {"fmax": 0.02, "steps": 400}  # CHGNet, positions + cell (FrechetCellFilter)
NEB = {"n_images": 5, "fmax": 0.05, "steps": 250, "climb": True}
MD = {
    "temperatures_k": (800.0, 1000.0, 1200.0),
    "steps": 700,
    "timestep_fs": 1.0,
    "seed": 11,
    "equilibration_steps": 100,
    "friction_per_fs": 0.01,
    "sample_every": 5,
}
METAD = {
    "temperature_k": 500.0,
    "steps": 1500,
    "timestep_fs": 1.0,
    "seed": 5,
    "height_ev": 0.02,
    "width_a": 0.25,
    "pace": 20,
    "bias_factor": 15.0,
}
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
        "steps": opt.nsteps,
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

    start = time.perf_counter()
    folder = RUNS / "neb"
    hop = vacancy_hop()
    result = run_neb(hop.initial, hop.final, calculator_factory, run_dir=folder, **NEB)
    write_bench(
        folder,
        start,
        {
            "machine_start": machine(),
            "n_atoms": len(hop.initial),
            "hop_distance_a": hop.hop_distance_a,
            "barrier_ev": result.barrier_ev,
        },
    )


def part_md() -> None:
    from sselab.simulate.diffusion import md_arrhenius

    start = time.perf_counter()
    folder = RUNS / "md_arrhenius"
    hop = vacancy_hop()
    result = md_arrhenius(hop.initial, calculator_factory, CATION, run_dir=folder, **MD)
    write_bench(
        folder,
        start,
        {
            "machine_start": machine(),
            "n_atoms": len(hop.initial),
            "activation_energy_ev": result.fit.activation_energy_ev if result.fit else None,
        },
    )


def part_metad() -> None:
    from sselab.simulate import metad  # noqa: F401 - fails clearly when the MetaD code is not there yet

    raise SystemExit("metad part: see part_metad_impl (filled in when sselab.simulate.metad lands)")


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


def part_report() -> None:
    raise SystemExit("report: not written yet")


def main(argv: list[str]) -> None:
    parts = argv or ["relax", "neb", "md", "metad", "report"]
    table = {
        "relax": relaxed_unit_cell,
        "neb": part_neb,
        "md": part_md,
        "metad": part_metad,
        "report": part_report,
    }
    for part in parts:
        if part not in table:
            raise SystemExit(f"unknown part {part!r}; choose from {', '.join(table)}")
        table[part]()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main(sys.argv[1:])
