"""The simulation stages: metadynamics of given structures, structure search, metadynamics validation.

Their simulations are independent Dask jobs (:mod:`sselab.pipeline.jobs`); this module, on the client, builds
the job specs and stores what the jobs return, idempotently: a barrier is added only when no activation energy
of the same run folder is stored yet, and search individuals are keyed, so a rerun after a kill never
duplicates rows.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sselab.errors import PipelineError
from sselab.pipeline.params import checked_params, require_api

if TYPE_CHECKING:
    from sselab.pipeline.runner import StageContext

logger = logging.getLogger(__name__)

#: Built-in structures usable by name in ``[stages.metad] structures``: migrating cation, stored formula and
#: phase label (as the wang2025 dataset writes it, so that the barrier is compared with the same phase).
BUILTIN_STRUCTURES: dict[str, dict[str, str]] = {
    "libh4-pnma": {"cation": "Li", "material": "LiBH4", "phase": "low-T"}
}

_METAD_PARAMS: dict[str, Any] = {
    "structures": ["libh4-pnma"],
    "replicas": 1,
    "potential": "chgnet",
    "cv": "displacement",
    "temperature_k": 600.0,
    "steps": 300,
    "timestep_fs": 1.0,
    "pace": 10,
    "height_ev": 0.05,
    "width_a": 0.25,
    "bias_factor": 10.0,
    "supercell_min_length_a": 0.0,
    "vacancy": True,
    "relax_steps": 0,
    "checkpoint_every": 50,
    "threads": 1,
}


def safe_name(text: str) -> str:
    """A folder-safe version of a formula or name."""
    return re.sub(r"[^A-Za-z0-9().-]+", "_", text).strip("_") or "x"


def _structure_entry(entry: Any, out_dir: Path, default_cation: str | None) -> dict[str, Any]:
    """``{"name", "structure" (path), "cation", "material"}`` of a ``structures`` entry."""
    if isinstance(entry, str):
        entry = {"name": entry} if entry in BUILTIN_STRUCTURES else {"path": entry}
    if not isinstance(entry, dict) or not ({"name", "path"} & set(entry)):
        raise PipelineError(f"[stages.metad] structures: {entry!r} is neither a built-in name nor a file")
    name = str(entry.get("name") or Path(entry["path"]).stem)
    if "path" in entry:
        path = Path(entry["path"]).expanduser()
        if not path.is_file():
            raise PipelineError(f"[stages.metad] structures: file {path} not found")
        builtin: dict[str, str] = {}
    elif name in BUILTIN_STRUCTURES:
        from sselab.simulate.reference import write_libh4_pnma_cif

        path = out_dir / "inputs" / f"{name}.cif"
        if not path.is_file():
            write_libh4_pnma_cif(path)
        builtin = BUILTIN_STRUCTURES[name]
    else:
        raise PipelineError(
            f"[stages.metad] structures: unknown built-in {name!r}; built in: {', '.join(BUILTIN_STRUCTURES)}"
        )
    cation = entry.get("cation") or default_cation or builtin.get("cation")
    if not cation:
        raise PipelineError(f"[stages.metad] structure {name!r}: give its migrating cation (cation = 'Li')")
    return {
        "name": name,
        "structure": str(path.resolve()),
        "cation": cation,
        "material": entry.get("material") or builtin.get("material"),
        "phase": entry.get("phase") or builtin.get("phase"),
    }


def _metad_specs(
    p: dict[str, Any], entries: list[dict[str, Any]], out_dir: Path, seed: int
) -> list[dict[str, Any]]:
    keys = [k for k in _METAD_PARAMS if k not in ("structures", "replicas")]
    specs = []
    for entry in entries:
        for replica in range(int(p["replicas"])):
            suffix = f"-r{replica}" if int(p["replicas"]) > 1 else ""
            specs.append(
                {
                    **{k: p[k] for k in keys},
                    **entry,
                    "name": f"{entry['name']}{suffix}",
                    "seed": seed + replica,
                    "run_dir": str((out_dir / "runs" / f"{safe_name(entry['name'])}{suffix}").resolve()),
                }
            )
    return specs


def store_barrier(store: Any, result: dict[str, Any], note: str) -> int | None:
    """Store a MetaD barrier as an activation energy, unless one of the same run folder is already stored.

    Returns the new row's id, or ``None`` when nothing was added (no barrier, or already stored).
    """
    from sselab.store.records import ActivationEnergyRecord, MaterialRecord

    if result.get("barrier_ev") is None:
        return None
    existing = store.activation_energy_frame(method="MetaD")
    if (existing["run_folder"] == result["run_folder"]).any():
        return None
    record = ActivationEnergyRecord(
        material=MaterialRecord(formula=result["material"]),
        activation_energy_ev=float(result["barrier_ev"]),
        method="MetaD",
        phase=result.get("phase"),
        uncertainty_ev=result.get("uncertainty_ev"),
        potential=result["potential"],
        parameters=result["parameters"],
        run_folder=result["run_folder"],
        temperature_min_k=result["temperature_k"],
        temperature_max_k=result["temperature_k"],
        note=note,
    )
    return int(store.add_activation_energy(record))


def _run_metad(ctx: StageContext, specs: list[dict[str, Any]], note: str) -> dict[str, Any]:
    try:
        from sselab.pipeline.jobs import metad_job
    except ImportError as exc:
        raise require_api("sselab.simulate (run_metadynamics, build_metad_setup)", exc) from exc
    results = ctx.run_jobs("metad", metad_job, specs)
    added = [store_barrier(ctx.store, r, note) for r in results]
    runs = []
    for result, ea_id in zip(results, added, strict=True):
        runs.append({**result, "ea_id": ea_id})
    parts = [_barrier_text(r) for r in runs]
    return {
        "summary": f"{len(runs)} MetaD run(s), {sum(a is not None for a in added)} Ea stored now; "
        + "; ".join(parts),
        "runs": runs,
    }


def metad_stage(ctx: StageContext) -> dict[str, Any]:
    """Metadynamics of the configured structures (a job per structure and replica), barriers stored."""
    p = checked_params(ctx, {**_METAD_PARAMS, "cation": None})
    structures = p["structures"]
    if not isinstance(structures, list) or not structures:
        raise PipelineError("[stages.metad] structures must be a non-empty list")
    entries = [_structure_entry(e, ctx.out_dir, p["cation"]) for e in structures]
    specs = _metad_specs(p, entries, ctx.out_dir, ctx.seed % 100_000)
    return _run_metad(ctx, specs, "pipeline metad stage (sselab)")


_SEARCH_PARAMS: dict[str, Any] = {
    "compositions": None,
    "candidates": 1,
    "max_atoms": None,
    "z": 1,
    "budget": 12,
    "population": 6,
    "relax_steps": 15,
    "release_steps": 5,
    "fmax_ev_per_a": 0.1,
    "potential": "chgnet",
    "n_best": 3,
    "threads": 1,
}


def import_individuals(store: Any, result: dict[str, Any]) -> int:
    """Copy a search job's individuals (its JSON-lines checkpoint) into the store; return how many are new."""
    from sselab.pipeline.jobs import JsonlCheckpoint

    checkpoint = JsonlCheckpoint(result["individuals_file"])
    store.create_search_run(
        result["run_name"],
        result["formula"],
        {"settings": result["settings"], "z": result["z"], "by": "pipeline"},
    )
    added = 0
    for row in checkpoint.search_individuals(result["run_name"]).to_dict("records"):
        added += bool(
            store.add_search_individual(
                result["run_name"],
                row["key"],
                row["cif"],
                row["energy_ev_per_atom"],
                int(row["generation"]),
                list(row["parents"]),
                row["operator"],
                bool(row["relaxed"]),
                row["extra"],
            )
        )
    return added


def _shortlist(formulas: list[str], n: int, z: int, max_atoms: int | None) -> list[str]:
    """The first ``n`` ranked ``formulas`` whose search cell (``z`` formula units) has ≤ ``max_atoms``."""
    from sselab.structures.cell import search_cell_from_formula

    if max_atoms is None:
        return list(formulas)[:n]
    chosen = [f for f in formulas if search_cell_from_formula(f, int(z)).n_atoms <= int(max_atoms)][:n]
    if not chosen:
        raise PipelineError(
            f"[stages.search] no screened candidate fits max_atoms = {max_atoms} with Z = {z}"
        )
    return chosen


def search_stage(ctx: StageContext) -> dict[str, Any]:
    """Structure search (GA) of the top screened candidates, or of ``compositions``; a job per composition."""
    try:
        from sselab.pipeline.jobs import search_job
    except ImportError as exc:
        raise require_api("sselab.structures.search.run_search", exc) from exc
    p = checked_params(ctx, _SEARCH_PARAMS)
    if p["compositions"]:
        formulas = [str(f) for f in p["compositions"]]
    elif "screening" in ctx.upstream:
        formulas = _shortlist(
            ctx.upstream["screening"]["candidates"], int(p["candidates"]), p["z"], p["max_atoms"]
        )
    else:
        raise PipelineError("[stages.search] give compositions = [...] or run the screening stage before it")
    from sselab.pipeline.provenance import stable_hash

    specs = []
    for formula in formulas:
        spec = {
            "formula": formula,
            "z": int(p["z"]),
            "potential": p["potential"],
            "budget": int(p["budget"]),
            "population": int(p["population"]),
            "relax_steps": int(p["relax_steps"]),
            "release_steps": int(p["release_steps"]),
            "fmax_ev_per_a": float(p["fmax_ev_per_a"]),
            "seed": ctx.seed % 100_000,
            "n_best": int(p["n_best"]),
            "threads": p["threads"],
        }
        folder = f"{safe_name(formula)}-z{p['z']}"
        spec["run_dir"] = str((ctx.out_dir / "runs" / folder).resolve())
        spec["run_name"] = f"pipeline-{folder}-{stable_hash(spec)[:10]}"
        specs.append(spec)
    results = ctx.run_jobs("search", search_job, specs)
    added = [import_individuals(ctx.store, r) for r in results]
    parts = [
        f"{r['formula']} (Z={r['z']}, {r['n_atoms']} atoms): {r['individuals']} individuals, best "
        + (
            f"{r['best'][0]['energy_ev_per_atom']:.4f} eV/atom, {r['best'][0]['coordination']}"
            if r["best"]
            else "none"
        )
        for r in results
    ]
    return {
        "summary": "; ".join(parts) + f"; {sum(added)} individual(s) stored now",
        "searches": results,
        "figures": {f"figure4b {r['formula']}": r["convergence_png"] for r in results},
    }


def validation_stage(ctx: StageContext) -> dict[str, Any]:
    """Metadynamics of the best structure of each search (cation displacement); barriers stored as MetaD."""
    p = checked_params(
        ctx, {k: v for k, v in _METAD_PARAMS.items() if k != "structures"} | {"vacancy": False}
    )
    entries = []
    for search in ctx.upstream["search"]["searches"]:
        if not search["best"] or not search["cation"]:
            continue
        entries.append(
            {
                "name": f"{safe_name(search['formula'])}-best",
                "structure": search["best"][0]["cif"],
                "cation": search["cation"],
                "material": search["formula"],
            }
        )
    if not entries:
        raise PipelineError(
            "[stages.validation] the search stage produced no structure with a cation to validate"
        )
    specs = _metad_specs(p, entries, ctx.out_dir, ctx.seed % 100_000)
    return _run_metad(ctx, specs, "pipeline validation of a searched structure (sselab)")


def _barrier_text(run: dict[str, Any]) -> str:
    """One line per MetaD run: the barrier with its uncertainty (``n/a`` when none could be estimated)."""
    if run["barrier_ev"] is None:
        return f"{run['name']}: no barrier ({run['barrier_error']})"
    uncertainty = run.get("uncertainty_ev")
    known = uncertainty is not None and math.isfinite(uncertainty)
    spread = f"± {uncertainty:.3f} eV" if known else "eV (uncertainty n/a: run too short)"
    return f"{run['name']}: Ea = {run['barrier_ev']:.3f} {spread}"
