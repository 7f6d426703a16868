"""The one place where benchmark results and structures enter the store.

Activation energies go through the store's single recorder,
:func:`sselab.simulate.recording.record_activation_energy`: a ``composite`` job is stored with method and
protocol ``composite``, a ``neb`` job as ``CI-NEB`` with protocol ``vacancy``, a ``metad`` or
``md-arrhenius`` job as the recipe's own result would be (``MetaD`` with its protocol, ``MLMD``); each row
carries its potential, device, ``converged`` flag (with the issues as the reason) and the provenance of its
structure (``experimental``, ``predicted`` or ``user``). The recorder refuses impossible numbers;
unconverged ones are kept only with ``store_unconverged`` (labelled ``converged = false``, so no benchmark
mixes them in). The run folders' JSON summaries stay the record of every job.

Example
-------
>>> from sselab.store import open_store
>>> record_results(open_store("sqlite://"), [])
{'stored': 0, 'unconverged': 0, 'skipped': 0, 'refused': 0}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymatgen.io.ase import AseAtomsAdaptor
from pymatgen.io.cif import CifWriter

from sselab.benchmark.dynamic import DYNAMIC_METHODS, dynamic_result
from sselab.benchmark.jobs import BenchmarkRecord
from sselab.benchmark.manifest import Manifest
from sselab.benchmark.sources import load_structure
from sselab.simulate.defects import CompositeSettings, DefectBarrierResult
from sselab.simulate.recording import record_activation_energy
from sselab.simulate.results import EaEstimate, StructureInfo
from sselab.store import Store
from sselab.store.records import StructureRecord

DATASET = "sselab-hydride-benchmark"


@dataclass(frozen=True)
class RecordedBarrier:
    """A finished composite/neb job as the recorder reads a result (the job's barrier, the potential's
    registry name and the manifest's structure provenance)."""

    barrier: DefectBarrierResult
    potential: str
    structure: StructureInfo
    run_dir: Path | None

    kind = "defect_barrier"

    @property
    def device(self) -> str:
        """Where the potential ran."""
        return self.barrier.device

    @property
    def settings(self) -> CompositeSettings:
        """The recipe's settings (stored as the row's parameters)."""
        return self.barrier.settings

    def activation_energy(self) -> EaEstimate:
        """The job's barrier (:meth:`DefectBarrierResult.activation_energy`)."""
        return self.barrier.activation_energy()

    @classmethod
    def of(cls, record: BenchmarkRecord) -> RecordedBarrier | None:
        """The recordable view of ``record``; ``None`` for a failed job."""
        barrier = record.barrier() if record.status == "ok" and record.ea_ev is not None else None
        if barrier is None:
            return None
        material = record.material
        structure = StructureInfo(
            source=str(material.structure),
            formula=barrier.formula,
            n_atoms=barrier.supercell.n_atoms,
            cation=barrier.cation,
            provenance=material.provenance,  # type: ignore[arg-type]  # manifest: experimental/predicted/user
            description=f"{material.name}: {material.provenance_note}".rstrip(": "),
        )
        run_dir = Path(record.run_dir) if record.run_dir else None
        return cls(barrier, record.potential, structure, run_dir)


def record_results(
    store: Store, records: list[BenchmarkRecord], *, store_unconverged: bool = False
) -> dict[str, int]:
    """Record every successful job's activation energy; returns the counts ``stored`` (new rows),
    ``unconverged`` (of those, stored labelled unconverged), ``skipped`` (failed jobs, or already stored for
    the same run folder and method) and ``refused`` (impossible, or unconverged without
    ``store_unconverged``)."""
    counts = {"stored": 0, "unconverged": 0, "skipped": 0, "refused": 0}
    for record in records:
        view: Any = RecordedBarrier.of(record)
        if view is None and record.method in DYNAMIC_METHODS and record.status == "ok" and record.result:
            view = dynamic_result(record.method, record.result)  # MetaD/MD-Arrhenius: the recipe's result
        if view is None:
            counts["skipped"] += 1
            continue
        outcome = record_activation_energy(
            store,
            view,
            material=record.material.formula,
            phase=record.material.phase,
            store_unconverged=store_unconverged,
        )
        if outcome.stored:
            counts["stored"] += 1
            counts["unconverged"] += int(not record.converged)
        elif outcome.reason.startswith("refused"):
            counts["refused"] += 1
        else:
            counts["skipped"] += 1
    return counts


def record_structures(store: Any, manifest: Manifest) -> int:
    """Add each manifest structure (CIF text) with its provenance as a structure of the benchmark dataset."""
    added = 0
    for material in manifest.materials:
        loaded = load_structure(material.structure)
        cif = str(CifWriter(AseAtomsAdaptor.get_structure(loaded.atoms)))
        provenance = json.dumps(
            {"label": material.provenance, "note": material.provenance_note, **loaded.provenance}, default=str
        )
        store.add_structure(StructureRecord(material.formula, cif, provenance, dataset=DATASET))
        added += 1
    return added
