"""Benchmark jobs: one per (material, method, potential), each writing a JSON summary in its run folder.

Each job reads its structure from its source, runs the method's recipe with its potential, and writes a
JSON summary (:class:`BenchmarkRecord`) in its run folder ``RUN_ROOT/<material>/<potential>/<method>.json``;
a job killed midway reuses the parts its recipe had finished, from the run folder. The jobs run on the
pipeline's executor (:func:`sselab.benchmark.runner.run_benchmark`, or the pipeline's ``method_benchmark``
stage); this module does not import the pipeline, so the pipeline's stages can import it.

Example
-------
>>> from sselab.benchmark.jobs import plan_jobs
>>> from sselab.benchmark.open_set import open_set
>>> jobs = plan_jobs(open_set(), ["composite", "neb"], ["chgnet"], "runs/bench")
>>> len(jobs), jobs[0]["method"]
(18, 'neb')
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sselab.benchmark.dynamic import DYNAMIC_METHODS, run_dynamic
from sselab.benchmark.manifest import BenchmarkMaterial, Manifest
from sselab.benchmark.sources import load_structure
from sselab.errors import ConfigError, SselabError
from sselab.simulate.defects import (
    CompositeSettings,
    DefectBarrierResult,
    composite_barrier,
    vacancy_hop_barrier,
)
from sselab.simulate.settings import MethodSettings

logger = logging.getLogger(__name__)

#: Static methods (0 K, one recipe of :mod:`sselab.simulate.defects` each).
STATIC_METHODS: dict[str, Callable[..., DefectBarrierResult]] = {
    "neb": vacancy_hop_barrier,
    "composite": composite_barrier,
}
#: Every method, in the order their waves run: the static ones, then MetaD and MD-Arrhenius
#: (:mod:`sselab.benchmark.dynamic`).
METHODS: tuple[str, ...] = (*STATIC_METHODS, *DYNAMIC_METHODS)
JOB_STAGE = "benchmark"


@dataclass(frozen=True)
class BenchmarkRecord:
    """The JSON summary of one benchmark job (what the report reads).

    Attributes
    ----------
    material
        The manifest entry (formula, phase, provenance, experimental Ea and DOI, suspect flag, ...).
    method, protocol, potential
        ``"composite"``/``"neb"``; the protocol the number follows (``composite``: Em + ½·min Ef;
        ``vacancy``: Em only); the potential's registry name.
    status
        ``"ok"`` or ``"failed"`` (then ``error`` says why and ``ea_ev`` is ``None``).
    ea_ev
        The computed activation energy (eV) as defined by ``protocol``.
    converged
        Whether every part converged (see ``issues``).
    temperature_k
        Simulation temperature (K); ``None`` for static (0 K) methods.
    structure_provenance
        Where the structure came from (dataset, entry, checksums, ordering; or the predicted file's record).
    potential_identity, device
        Model, version and weights of the potential; where it ran.
    result
        The method's own result (``DefectBarrierResult.as_dict()`` for composite/neb, the recipe's
        ``MetaDResult``/``MDArrheniusResult`` for the dynamic methods).
    """

    material: BenchmarkMaterial
    method: str
    protocol: str | None
    potential: str
    status: str
    ea_ev: float | None
    converged: bool
    issues: tuple[str, ...] = ()
    temperature_k: float | None = None
    structure_provenance: dict[str, Any] = field(default_factory=dict)
    potential_identity: dict[str, Any] = field(default_factory=dict)
    device: str | None = None
    wall_time_s: float = 0.0
    run_dir: str | None = None
    error: str | None = None
    result: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        data = asdict(self)
        data["material"] = self.material.as_dict()
        data["issues"] = list(self.issues)
        data["kind"] = "benchmark_record"
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenchmarkRecord:
        """Inverse of :meth:`as_dict`."""
        values = {k: v for k, v in data.items() if k != "kind"}
        values["material"] = BenchmarkMaterial.from_dict(values["material"])
        values["issues"] = tuple(values.get("issues", ()))
        return cls(**values)

    def barrier(self) -> DefectBarrierResult | None:
        """The composite/neb result object, when the job succeeded (``None`` for a dynamic method)."""
        if self.method not in STATIC_METHODS or not self.result:
            return None
        return DefectBarrierResult.from_dict(self.result)


def slug(text: str) -> str:
    """A file-system-safe folder name for a material name (``"LiBH4·NH3|low-T|predicted"`` ->
    ``"LiBH4-NH3_low-T_predicted"``)."""
    return re.sub(r"[^A-Za-z0-9()_.-]+", "-", text.replace("|", "_")).strip("-")


def job_folder(run_root: str | Path, material: BenchmarkMaterial, potential: str) -> Path:
    """Run folder shared by every method of one (material, potential)."""
    return Path(run_root) / slug(material.name) / potential


def plan_jobs(
    manifest: Manifest,
    methods: list[str],
    potentials: list[str],
    run_root: str | Path,
    settings: CompositeSettings | None = None,
    threads: int | None = 1,
    dynamic_settings: Mapping[str, MethodSettings] | None = None,
    device: str | None = None,
) -> list[dict[str, Any]]:
    """One JSON-able job spec per (material, method, potential), in wave order (``neb`` jobs first).

    ``settings`` are the static methods' (a material's own ``settings`` override them);
    ``dynamic_settings`` maps ``"metad"``/``"md-arrhenius"`` to that method's settings (default: the
    settings class's defaults; the potential and threads are the job's). ``device`` (``"cpu"``, ``"cuda"``)
    pins where the potentials run; ``None`` (default): the potential's own choice (a GPU when there is
    one), recorded with every result either way.

    Raises
    ------
    ConfigError
        For an unknown method or an empty list.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ConfigError(f"--methods: unknown {unknown or 'none given'}; available: {', '.join(METHODS)}")
    if not potentials:
        raise ConfigError("--potentials: give at least one potential")
    chosen = (settings or CompositeSettings()).as_dict()
    dynamic = dict(dynamic_settings or {})
    specs = []
    for method in [m for m in METHODS if m in methods]:
        if method in STATIC_METHODS:
            method_settings = None
        else:
            given = dynamic.get(method) or DYNAMIC_METHODS[method].settings()
            method_settings = {k: v for k, v in given.as_dict().items() if k not in ("potential", "threads")}
        for potential in potentials:
            for material in manifest.materials:
                spec = {
                    "material": material.as_dict(),
                    "method": method,
                    "potential": potential,
                    "settings": (
                        {**chosen, **material.settings} if method_settings is None else method_settings
                    ),
                    "threads": threads,
                    "run_dir": str(job_folder(run_root, material, potential)),
                }
                if device is not None:  # only then: the keys of jobs run without it stay the same
                    spec["device"] = device
                specs.append(spec)
    return specs


def job_waves(specs: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]], list[int | None]]]:
    """How the jobs run: ``(label, jobs, after)`` per wave, in order (empty waves left out).

    The first wave holds every static job (``neb`` before ``composite``); ``after[i]`` is the index, in that
    wave, of the ``neb`` job a ``composite`` job waits for (same run folder: same material and potential),
    else ``None``. Then one wave per dynamic method, with nothing to wait for inside it.

    Example
    -------
    >>> from sselab.benchmark.open_set import open_set
    >>> waves = job_waves(plan_jobs(open_set(), ["composite", "neb"], ["chgnet"], "runs/bench"))
    >>> [(label, len(jobs)) for label, jobs, _ in waves], waves[0][2][9]
    ([('static', 18)], 0)
    """
    static = sorted(
        (s for s in specs if s["method"] in STATIC_METHODS), key=lambda s: METHODS.index(s["method"])
    )
    neb_of = {s["run_dir"]: i for i, s in enumerate(static) if s["method"] == "neb"}
    after = [neb_of.get(s["run_dir"]) if s["method"] == "composite" else None for s in static]
    waves = [("static", static, after)]
    for method in (m for m in METHODS if m not in STATIC_METHODS):
        wave = [s for s in specs if s["method"] == method]
        waves.append((method, wave, [None] * len(wave)))
    return [w for w in waves if w[1]]


def run_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one job (a Dask task): its recipe, its JSON summary written in its run folder.

    A deterministic failure of the input or the simulation (:class:`~sselab.errors.SselabError`) is returned
    as a ``failed`` record (and cached); anything else propagates and the job is rerun next time.
    """
    material = BenchmarkMaterial.from_dict(spec["material"])
    folder = Path(spec["run_dir"])
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    provenance: dict[str, Any] = {}
    try:
        loaded = load_structure(material.structure)
        provenance = loaded.provenance
        if spec["method"] in DYNAMIC_METHODS:
            return _dynamic_job(spec, material, loaded.atoms, provenance, folder, start)
        result = STATIC_METHODS[spec["method"]](
            loaded.atoms,
            material.cation,
            potential=spec["potential"],
            settings=CompositeSettings.from_dict(spec["settings"]),
            threads=spec.get("threads"),
            device=spec.get("device"),
            run_dir=folder,
        )
        record = BenchmarkRecord(
            material=material,
            method=spec["method"],
            protocol=result.protocol,
            potential=spec["potential"],
            status="ok",
            ea_ev=result.activation_energy_ev,
            converged=result.converged,
            issues=result.issues,
            structure_provenance=provenance,
            potential_identity=result.potential.as_dict(),
            device=result.device,
            wall_time_s=time.perf_counter() - start,
            run_dir=str(folder),
            result=result.as_dict(),
        )
    except SselabError as exc:
        logger.warning("%s / %s / %s failed: %s", material.name, spec["method"], spec["potential"], exc)
        record = BenchmarkRecord(
            material=material,
            method=spec["method"],
            protocol=None,
            potential=spec["potential"],
            status="failed",
            ea_ev=None,
            converged=False,
            structure_provenance=provenance,
            wall_time_s=time.perf_counter() - start,
            run_dir=str(folder),
            error=f"{type(exc).__name__}: {exc}",
        )
    return _write(record, folder, spec["method"])


def _write(record: BenchmarkRecord, folder: Path, method: str) -> dict[str, Any]:
    summary = record.as_dict()
    (folder / f"{method}.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    return summary


def _dynamic_job(
    spec: dict[str, Any],
    material: BenchmarkMaterial,
    atoms: Any,
    provenance: dict[str, Any],
    folder: Path,
    start: float,
) -> dict[str, Any]:
    """A MetaD or MD-Arrhenius job (:func:`sselab.benchmark.dynamic.run_dynamic`); a
    :class:`~sselab.errors.SselabError` propagates to :func:`run_job`'s handler."""
    outcome = run_dynamic(spec["method"], atoms, material, spec, folder)
    record = BenchmarkRecord(
        material=material,
        method=spec["method"],
        protocol=outcome.protocol,
        potential=spec["potential"],
        status="ok",
        ea_ev=outcome.ea_ev,
        converged=outcome.converged,
        issues=outcome.issues,
        temperature_k=outcome.temperature_k,
        structure_provenance=provenance,
        potential_identity=outcome.potential_identity,
        device=outcome.device,
        wall_time_s=time.perf_counter() - start,
        run_dir=str(folder),
        result=outcome.result,
    )
    return _write(record, folder, spec["method"])


def read_records(run_root: str | Path) -> list[BenchmarkRecord]:
    """Every job summary under ``run_root`` (what :func:`run_job` wrote), sorted by folder."""
    records = []
    for path in sorted(Path(run_root).glob("*/*/*.json")):
        data = json.loads(path.read_text())
        if data.get("kind") == "benchmark_record":
            records.append(BenchmarkRecord.from_dict(data))
    return records
