"""Job functions that run on Dask workers: one metadynamics run, one structure search.

Each takes a JSON-able spec (the method's settings as a dict, validated again on the worker, plus where to
run), calls the method's recipe (:mod:`sselab.simulate.recipes`, :mod:`sselab.structures.recipe`), writes a
run folder given in the spec (so a rerun after an interruption finds its own checkpoint there and continues),
never touches the user's store, and returns the result's ``as_dict()``. The pipeline's client rebuilds the
result with ``from_dict`` and stores what it means.

Example
-------
>>> spec = {"structure": "Cu.cif", "cation": "Cu", "settings": {"potential": "emt", "steps": 200},
...         "run_dir": "out/cu"}
>>> MetaDResult.from_dict(metad_job(spec)["result"]).barriers  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from distributed import get_worker

from sselab.simulate.recipes import metad_of_structure
from sselab.simulate.settings import MetaDSettings
from sselab.structures.recipe import search_structures
from sselab.structures.settings import SearchSettings

__all__ = ["CHECKPOINT_FILE", "limit_threads", "metad_job", "search_job", "worker_threads"]

logger = logging.getLogger(__name__)

#: A search job's checkpoint: a SQLite file of its own in its run folder (the client copies it into the
# store).
CHECKPOINT_FILE = "checkpoint.sqlite"


def worker_threads() -> int | None:
    """Threads of the Dask worker running this job (``None`` outside a worker)."""
    try:
        return int(get_worker().state.nthreads)
    except (ValueError, AttributeError):
        return None


def limit_threads(threads: int | None, potential: str) -> None:
    """Use ``threads`` torch/BLAS threads in this worker (torch only imported for torch potentials)."""
    if not threads:
        return
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    if potential.lower() not in ("emt", "cp2k"):
        import torch  # a heavy optional dependency: only for torch potentials

        torch.set_num_threads(int(threads))


def metad_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Metadynamics of one structure (:func:`sselab.simulate.recipes.metad_of_structure`).

    Spec keys: ``structure`` (CIF/POSCAR/extxyz path), ``cation``, ``settings`` (a ``MetaDSettings`` dict),
    ``run_dir``, and what the client stores it under: ``name``, ``material``, ``phase``,
    ``structure_provenance``, and for a replica its set (``group``, ``set_dir``: the client combines the
    replicas of a group into one result). Returns them with ``result`` (``MetaDResult.as_dict()``).
    """
    settings = MetaDSettings.from_dict(spec["settings"])
    limit_threads(settings.threads or worker_threads(), settings.potential)
    provenance = spec.get("structure_provenance", "user")
    result = metad_of_structure(
        spec["structure"], spec["cation"], settings=settings, run_dir=spec["run_dir"],
        structure_provenance=provenance,
    )  # fmt: skip
    return {
        "name": spec.get("name", Path(spec["structure"]).stem),
        "material": spec.get("material") or (result.structure.formula if result.structure else None),
        "phase": spec.get("phase"),
        "group": spec.get("group"),
        "set_dir": spec.get("set_dir"),
        "result": result.as_dict(),
    }


def search_job(spec: dict[str, Any]) -> dict[str, Any]:
    """A structure search of one composition (:func:`sselab.structures.recipe.search_structures`).

    Spec keys: ``formula``, ``z``, ``settings`` (a ``SearchSettings`` dict), ``run_name``, ``run_dir``,
    ``n_best``. The individuals go to ``run_dir/checkpoint.sqlite`` (this worker's own checkpoint). Returns
    ``summary`` (``SearchSummary.as_dict()``) and ``checkpoint`` (the file).
    """
    settings = SearchSettings.from_dict(spec["settings"])
    limit_threads(settings.threads or worker_threads(), settings.potential)
    run_dir = Path(spec["run_dir"])
    run_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = run_dir / CHECKPOINT_FILE
    summary = search_structures(
        spec["formula"], z=spec.get("z"), settings=settings, checkpoint=checkpoint, run_name=spec["run_name"],
        out_dir=run_dir, n_best=int(spec.get("n_best", 5)),
    )  # fmt: skip
    return {"summary": summary.as_dict(), "checkpoint": str(checkpoint.resolve())}
