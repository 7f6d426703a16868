"""The simulation stages: metadynamics of given structures, structure search, metadynamics validation.

A stage's parameters are the method's settings (:class:`~sselab.simulate.settings.MetaDSettings`,
:class:`~sselab.structures.settings.SearchSettings`: their defaults, a profile lists only what differs) plus a
few keys of the stage itself (:data:`METAD_STAGE_KEYS`, :data:`SEARCH_STAGE_KEYS`). Their simulations are
independent Dask jobs (:mod:`sselab.pipeline.jobs`); this module, on the client, builds the job specs and
stores
what the jobs return, idempotently: an activation energy is added only when none of the same run folder is
stored yet (and only when it means something, :func:`sselab.simulate.recording.record_activation_energy`), and
search individuals are keyed, so a rerun after a kill never duplicates rows.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sselab.errors import PipelineError
from sselab.pipeline.jobs import metad_job, search_job
from sselab.pipeline.provenance import stable_hash
from sselab.simulate.metad.replicas import MetaDReplicaSet
from sselab.simulate.metad.result import MetaDResult
from sselab.simulate.recording import record_activation_energy
from sselab.simulate.reference import write_libh4_pnma_cif
from sselab.simulate.runfolder import RunFolder
from sselab.simulate.settings import MetaDSettings
from sselab.structures.cell import scan_z, search_cell_from_formula
from sselab.structures.checkpoint import copy_individuals, open_checkpoint
from sselab.structures.recipe import SearchSummary
from sselab.structures.settings import SearchSettings, settings_for_profile

if TYPE_CHECKING:
    from sselab.pipeline.runner import StageContext

__all__ = [
    "BUILTIN_STRUCTURES",
    "METAD_STAGE_KEYS",
    "SEARCH_STAGE_KEYS",
    "import_individuals",
    "metad_settings",
    "metad_stage",
    "search_settings",
    "search_stage",
    "validation_stage",
]

#: Built-in structures usable by name in ``[stages.metad] structures``: migrating cation, stored formula and
#: phase label (as the wang2025 dataset writes it, so that the barrier is compared with the same phase).
BUILTIN_STRUCTURES: dict[str, dict[str, str]] = {
    "libh4-pnma": {"cation": "Li", "material": "LiBH4", "phase": "low-T"}
}

#: Keys of ``[stages.metad]`` / ``[stages.validation]`` that are the stage's own (every other key is a
#: ``MetaDSettings`` field), with their defaults.
METAD_STAGE_KEYS: dict[str, Any] = {
    "structures": ["libh4-pnma"],
    "replicas": 1,
    "cation": None,
    "store_unconverged": False,
}
#: Keys of ``[stages.search]`` that are the stage's own (every other key is a ``SearchSettings`` field).
SEARCH_STAGE_KEYS: dict[str, Any] = {
    "compositions": None,
    "candidates": 1,
    "max_atoms": None,
    "z": None,
    "n_best": 5,
    "profile": "quick",
}


def safe_name(text: str) -> str:
    """A folder-safe version of a formula or name."""
    return re.sub(r"[^A-Za-z0-9().-]+", "_", text).strip("_") or "x"


def _split(stage: str, params: dict[str, Any], own: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stage's own keys (with defaults) and the method's settings fields of ``params``."""
    if "seed" in params:
        raise PipelineError(
            f"[stages.{stage}] seed: set by [pipeline] seed (every stage and job derives its own)"
        )
    values = dict(params)
    return {k: values.pop(k, default) for k, default in own.items()}, values


def metad_settings(stage: str, params: dict[str, Any]) -> tuple[dict[str, Any], MetaDSettings]:
    """The stage keys and the validated ``MetaDSettings`` of ``[stages.<stage>]`` (unknown keys refused)."""
    own, fields = _split(stage, params, METAD_STAGE_KEYS)
    return own, MetaDSettings.build(fields, source=f"[stages.{stage}]")


def search_settings(stage: str, params: dict[str, Any]) -> tuple[dict[str, Any], SearchSettings]:
    """The stage keys and the validated ``SearchSettings`` of ``[stages.<stage>]``: its ``profile`` (default
    ``quick``) with the fields given."""
    own, fields = _split(stage, params, SEARCH_STAGE_KEYS)
    return own, settings_for_profile(str(own["profile"]), source=f"[stages.{stage}]", **fields)


def _structure_entry(entry: Any, out_dir: Path, default_cation: str | None) -> dict[str, Any]:
    """``{"name", "structure" (path), "cation", "material", "phase", "structure_provenance"}`` of an entry."""
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
        provenance = str(entry.get("provenance", "user"))
    elif name in BUILTIN_STRUCTURES:
        path = out_dir / "inputs" / f"{name}.cif"
        if not path.is_file():
            write_libh4_pnma_cif(path)
        builtin = BUILTIN_STRUCTURES[name]
        provenance = "built-in"
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
        "structure_provenance": provenance,
    }


def _metad_specs(
    settings: MetaDSettings, replicas: int, entries: list[dict[str, Any]], out_dir: Path, seed: int
) -> list[dict[str, Any]]:
    specs = []
    for entry in entries:
        set_dir = out_dir / "runs" / safe_name(entry["name"])
        for replica in range(replicas):
            folder = set_dir / f"replica-{replica}" if replicas > 1 else set_dir
            specs.append(
                {
                    **entry,
                    "name": f"{entry['name']}-r{replica}" if replicas > 1 else entry["name"],
                    "group": entry["name"],
                    "set_dir": str(set_dir.resolve()),
                    "settings": settings.replace(seed=seed + replica).as_dict(),
                    "run_dir": str(folder.resolve()),
                }
            )
    return specs


def _run_metad(
    ctx: StageContext, specs: list[dict[str, Any]], note: str, store_unconverged: bool
) -> dict[str, Any]:
    """Run the jobs, combine the replicas of each structure into ONE result and record it once."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for job in ctx.run_jobs("metad", metad_job, specs):
        groups.setdefault(str(job.get("group") or job["name"]), []).append(job)
    runs = []
    for name, jobs in groups.items():
        replicas = [MetaDResult.from_dict(job["result"]) for job in jobs]
        result: MetaDResult | MetaDReplicaSet = replicas[0]
        if len(replicas) > 1:
            result = MetaDReplicaSet.from_replicas(replicas, Path(jobs[0]["set_dir"]))
            RunFolder.create(result.run_dir).write_summary(result)
        estimate = result.activation_energy()
        outcome = record_activation_energy(
            ctx.store, result, material=jobs[0]["material"], phase=jobs[0].get("phase"),
            note=f"{note}: {estimate.note}" if estimate is not None else note,
            store_unconverged=store_unconverged,
        )  # fmt: skip
        combined = result.as_dict() if isinstance(result, MetaDReplicaSet) else None
        runs.append(
            {**jobs[0], "name": name, "result": jobs[0]["result"], "combined": combined,
             "replicas": len(replicas), "ea_id": outcome.ea_id if outcome.stored else None,
             "stored": outcome.reason}
        )  # fmt: skip
    added = sum(r["ea_id"] is not None for r in runs)
    return {
        "summary": f"{len(runs)} MetaD run(s), {added} Ea stored now; " + "; ".join(map(_barrier_text, runs)),
        "runs": runs,
    }


def metad_stage(ctx: StageContext) -> dict[str, Any]:
    """Metadynamics of the configured structures (a job per structure and replica), barriers stored."""
    own, settings = metad_settings(ctx.name, ctx.params)
    structures = own["structures"]
    if not isinstance(structures, list) or not structures:
        raise PipelineError("[stages.metad] structures must be a non-empty list")
    entries = [_structure_entry(e, ctx.out_dir, own["cation"]) for e in structures]
    specs = _metad_specs(settings, int(own["replicas"]), entries, ctx.out_dir, ctx.seed % 100_000)
    return _run_metad(ctx, specs, "pipeline metad stage (sselab)", bool(own["store_unconverged"]))


def import_individuals(store: Any, search: dict[str, Any]) -> int:
    """Copy a search job's individuals (its own SQLite checkpoint) into the store; return how many are new."""
    summary = SearchSummary.from_dict(search["summary"])
    parameters = {"settings": summary.settings.as_dict(), "z": summary.z, "by": "pipeline"}
    source = open_checkpoint(search["checkpoint"])
    return copy_individuals(source, store, summary.run_name, summary.formula, parameters)


def _shortlist(formulas: list[str], n: int, z: int | None, max_atoms: int | None) -> list[str]:
    """The first ``n`` ranked ``formulas`` whose search cell (``z`` formula units) has ≤ ``max_atoms``."""
    if max_atoms is None:
        return list(formulas)[:n]

    def n_atoms(formula: str) -> int:
        return search_cell_from_formula(formula, int(z) if z else scan_z(formula)[0].z).n_atoms

    chosen = [f for f in formulas if n_atoms(f) <= int(max_atoms)][:n]
    if not chosen:
        raise PipelineError(
            f"[stages.search] no screened candidate fits max_atoms = {max_atoms} with Z = {z}"
        )
    return chosen


def search_stage(ctx: StageContext) -> dict[str, Any]:
    """Structure search (GA) of the top screened candidates, or of ``compositions``; a job per composition."""
    own, settings = search_settings(ctx.name, ctx.params)
    settings = settings.build(settings, seed=ctx.seed % 100_000)
    if own["compositions"]:
        formulas = [str(f) for f in own["compositions"]]
    elif "screening" in ctx.upstream:
        candidates = ctx.upstream["screening"]["candidates"]
        formulas = _shortlist(candidates, int(own["candidates"]), own["z"], own["max_atoms"])
    else:
        raise PipelineError("[stages.search] give compositions = [...] or run the screening stage before it")
    specs = []
    for formula in formulas:
        z = int(own["z"]) if own["z"] else scan_z(formula)[0].z
        spec = {"formula": formula, "z": z, "settings": settings.as_dict(), "n_best": int(own["n_best"])}
        folder = f"{safe_name(formula)}-z{z}"
        spec["run_dir"] = str((ctx.out_dir / "runs" / folder).resolve())
        spec["run_name"] = f"pipeline-{folder}-{stable_hash(spec)[:10]}"
        specs.append(spec)
    searches = ctx.run_jobs("search", search_job, specs)
    added = [import_individuals(ctx.store, s) for s in searches]
    summaries = [SearchSummary.from_dict(s["summary"]) for s in searches]
    parts = [
        f"{s.formula} (Z={s.z}, {s.n_atoms} atoms): {s.individuals} individuals, best "
        + (f"{s.best[0].energy_ev_per_atom:.4f} eV/atom, {s.best[0].coordination}" if s.best else "none")
        for s in summaries
    ]
    return {
        "summary": "; ".join(parts) + f"; {sum(added)} individual(s) stored now",
        "searches": searches,
        "figures": {f"figure4b {s.formula}": s.convergence_png for s in summaries},
    }


def validation_stage(ctx: StageContext) -> dict[str, Any]:
    """Metadynamics of the best structure of each search; barriers stored as MetaD (predicted structures)."""
    own, settings = metad_settings(ctx.name, ctx.params)
    entries = []
    for search in ctx.upstream["search"]["searches"]:
        summary = SearchSummary.from_dict(search["summary"])
        if not summary.best or not summary.cation:
            continue
        entries.append(
            {
                "name": f"{safe_name(summary.formula)}-best",
                "structure": summary.best[0].cif,
                "cation": summary.cation,
                "material": summary.formula,
                "phase": None,
                "structure_provenance": "predicted",
            }
        )
    if not entries:
        raise PipelineError(
            "[stages.validation] the search stage produced no structure with a cation to validate"
        )
    specs = _metad_specs(settings, int(own["replicas"]), entries, ctx.out_dir, ctx.seed % 100_000)
    note = "pipeline validation of a searched structure (sselab)"
    return _run_metad(ctx, specs, note, bool(own["store_unconverged"]))


def check_metad_params(stage: str, params: dict[str, Any]) -> None:
    """Validate ``[stages.metad]``/``[stages.validation]`` before the pipeline runs (unknown keys, values)."""
    metad_settings(stage, params)


def check_search_params(stage: str, params: dict[str, Any]) -> None:
    """Validate ``[stages.search]`` before the pipeline runs."""
    search_settings(stage, params)


def _barrier_text(run: dict[str, Any]) -> str:
    """One line per MetaD structure (its replicas combined): the barrier with its uncertainty and convergence,
    and whether it was stored."""
    summary = run["result"]
    result = (MetaDReplicaSet if summary.get("kind") == MetaDReplicaSet.kind else MetaDResult).from_dict(
        summary
    )
    estimate = result.activation_energy()
    if estimate is None:
        why = result.barrier_error if isinstance(result, MetaDResult) else "no replica has a barrier"
        return f"{run['name']}: no barrier ({why})"
    unc = estimate.uncertainty_ev
    spread = f"± {unc:.3f} eV" if unc is not None and math.isfinite(unc) else "eV (uncertainty unknown)"
    verdict = {True: "converged", False: "not converged", None: "convergence not assessed"}[result.converged]
    return (
        f"{run['name']}: Ea = {estimate.activation_energy_ev:.3f} {spread} ({estimate.protocol}), {verdict} "
        f"({run['stored']})"
    )
