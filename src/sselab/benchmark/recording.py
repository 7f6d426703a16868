"""The one place where benchmark results and structures enter the store (to be switched to the store's new
recorder of issue 11, with its ``protocol``, ``converged``, ``device`` and ``structure_provenance`` columns).

Until then: migration-only barriers are stored as ``CI-NEB`` activation energies (the protocol, convergence,
device and structure provenance in the note; unconverged ones flagged, so the store's report leaves them
out); composite barriers are stored only once the store accepts a ``composite`` method, never under another
method's name. The run folders' JSON summaries stay the record of every job.
"""

from __future__ import annotations

import json
from typing import Any

from sselab.benchmark.manifest import Manifest
from sselab.benchmark.runner import BenchmarkRecord
from sselab.benchmark.sources import load_structure
from sselab.store.records import METHODS, ActivationEnergyRecord, StructureRecord

DATASET = "sselab-hydride-benchmark"
#: Store method of each benchmark method (``None``: the store cannot hold it yet).
STORE_METHOD = {"neb": "CI-NEB", "composite": "composite" if "composite" in METHODS else None}


def record_results(store: Any, records: list[BenchmarkRecord]) -> dict[str, int]:
    """Add every successful record the store can hold; returns counts ``stored``, ``flagged``, ``skipped``."""
    counts = {"stored": 0, "flagged": 0, "skipped": 0}
    for record in records:
        method = STORE_METHOD.get(record.method)
        if record.status != "ok" or record.ea_ev is None or method is None:
            counts["skipped"] += 1
            continue
        note = json.dumps(
            {
                "protocol": record.protocol,
                "converged": record.converged,
                "issues": list(record.issues),
                "device": record.device,
                "structure_provenance": record.material.provenance,
                "benchmark_material": record.material.name,
            }
        )
        ea_id = store.add_activation_energy(
            ActivationEnergyRecord(
                record.material.formula,
                activation_energy_ev=record.ea_ev,
                method=method,
                phase=record.material.phase,
                potential=record.potential,
                parameters=record.result.get("settings"),
                run_folder=record.run_dir,
                dataset=DATASET,
                note=note,
            )
        )
        counts["stored"] += 1
        if not record.converged:
            store.flag_activation_energy(ea_id, "not converged: " + "; ".join(record.issues))
            counts["flagged"] += 1
    return counts


def record_structures(store: Any, manifest: Manifest) -> int:
    """Add each manifest structure (CIF text) with its provenance as a structure of the benchmark dataset."""
    from pymatgen.io.ase import AseAtomsAdaptor
    from pymatgen.io.cif import CifWriter

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
