"""Force-call cost of CHGNet and SevenNet in Dask workers, with and without keeping freed heap memory.

Usage (from the repository root, on a quiet machine: it uses both cores)::

    .venv/bin/python benchmarks/bench_heap_trim.py

Dask starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536``, so glibc hands freed memory back to the
kernel after every force call and the next call faults it in again. sselab's potentials turn that off
(:mod:`sselab.simulate.heap`, ``SSELAB_KEEP_FREED_MEMORY``). This benchmark times, on a two-worker Dask
``LocalCluster`` (one thread each, both workers busy at once as in ``sselab benchmark run``), the median
force call of each potential on the built-in LT-LiBH4 (Soulié 2002) 1×2×2 supercell (96 atoms), once with
``SSELAB_KEEP_FREED_MEMORY=0`` (Dask's trimming) and once with the default; and checks that the forces are
the same to the last bit. One line per run goes to ``docs/benchmarks.md``, section "Heap trimming and
force-call cost".
"""

from __future__ import annotations

import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Heap trimming and force-call cost"
POTENTIALS = ("chgnet", "sevennet")
CALLS = 10  # the first two are dropped (warm-up)


def _time_calls(potential: str) -> dict[str, Any]:
    """On a worker: the median seconds of a force call, the forces of the first geometry, the env."""
    import warnings

    import numpy as np

    warnings.filterwarnings("ignore")
    from sselab.simulate.heap import keep_freed_memory
    from sselab.simulate.potentials import get_calculator
    from sselab.simulate.reference import libh4_pnma

    atoms = libh4_pnma().repeat((1, 2, 2))
    atoms.calc = get_calculator(potential, device="cpu", threads=1)
    first = atoms.get_forces().copy()
    rng = np.random.default_rng(0)
    times = []
    for _ in range(CALLS):
        atoms.positions += rng.normal(0.0, 0.01, atoms.positions.shape)
        start = time.perf_counter()
        atoms.get_forces()
        times.append(time.perf_counter() - start)
    return {
        "seconds": float(np.median(times[2:])),
        "forces": first.tolist(),
        "kept": keep_freed_memory(),
        "n_atoms": len(atoms),
    }


def _on_cluster(keep: str) -> dict[str, list[dict[str, Any]]]:
    from dask.distributed import Client, LocalCluster

    os.environ["SSELAB_KEEP_FREED_MEMORY"] = keep  # the workers inherit it
    out: dict[str, list[dict[str, Any]]] = {}
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        for potential in POTENTIALS:
            futures = [client.submit(_time_calls, potential, pure=False) for _ in range(2)]
            out[potential] = [f.result() for f in futures]
    return out


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    import numpy as np
    from _docs import append_to_section

    load0 = os.getloadavg()
    trimmed, kept = _on_cluster("0"), _on_cluster("1")
    parts = []
    for potential in POTENTIALS:
        slow = [r["seconds"] for r in trimmed[potential]]
        fast = [r["seconds"] for r in kept[potential]]
        same = np.array_equal(
            np.array(trimmed[potential][0]["forces"]), np.array(kept[potential][0]["forces"])
        )
        assert all(r["kept"] for r in kept[potential]) and not any(r["kept"] for r in trimmed[potential])
        parts.append(
            f"{potential}: {np.mean(slow):.2f} s per force call with Dask's trimming, {np.mean(fast):.2f} s "
            f"with freed memory kept ({np.mean(slow) / np.mean(fast):.1f}×; forces identical: {same})"
        )
    n_atoms = kept[POTENTIALS[0]][0]["n_atoms"]
    line = (
        f"- {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, {platform.node()} ({os.cpu_count()} CPUs), "
        f"Dask LocalCluster 2 workers × 1 thread, both busy, LT-LiBH4 {n_atoms} atoms, median of "
        f"{CALLS - 2} calls per worker: "
        + "; ".join(parts)
        + f"; 1-min load {load0[0]:.1f} → {os.getloadavg()[0]:.1f}"
    )
    append_to_section(SECTION, line)
    print(line)


if __name__ == "__main__":
    main()
