"""The hydride benchmark (issue 13): computed activation energies of real hydrides against experiment.

Manifests (TOML/CSV) name structures and their experiments; :mod:`sselab.benchmark.sources` reads the
structures with provenance; :mod:`sselab.benchmark.runner` runs one job per (material, method, potential) on
the pipeline's executor and writes a JSON summary per job; :mod:`sselab.models.method_benchmark` computes the
metrics and the parity figure.
"""

from sselab.benchmark.experiment import resolve_experiments
from sselab.benchmark.manifest import BenchmarkMaterial, ExperimentLink, Manifest, read_manifest
from sselab.benchmark.open_set import OPEN_SET, load_manifest, open_set
from sselab.benchmark.sources import LoadedStructure, load_structure

__all__ = [
    "OPEN_SET",
    "BenchmarkMaterial",
    "ExperimentLink",
    "LoadedStructure",
    "Manifest",
    "load_manifest",
    "load_structure",
    "open_set",
    "read_manifest",
    "resolve_experiments",
]
