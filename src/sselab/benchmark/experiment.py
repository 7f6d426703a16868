"""Experimental activation energies of a manifest, read from a named dataset when the manifest links rows.

For ``experiment = {dataset = "wang2025-ea", index = [2]}`` the rows with those ``Index`` values are read
from the verified dataset file (mirror or cache), checked to have the material's composition (additives and
spelling aside) and phase, and their mean Ea becomes the experimental value; their DOI is kept.

Example
-------
>>> from sselab.benchmark.open_set import open_set  # doctest: +SKIP
>>> resolve_experiments(open_set()).by_name("LiBH4|low-T|experimental").experimental_ea_ev  # doctest: +SKIP
0.69
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import pandas as pd

from sselab.benchmark.manifest import BenchmarkMaterial, Manifest
from sselab.datasets.fetch import fetch
from sselab.datasets.importers.wang2025 import PHASES
from sselab.errors import DataImportError
from sselab.models.method_benchmark import composition_key

_DATASETS = ("wang2025-ea",)


@lru_cache(maxsize=2)
def _wang2025_rows() -> pd.DataFrame:
    frame = pd.read_excel(fetch("wang2025-ea"), dtype=object)
    frame = frame[pd.to_numeric(frame["Ea (eV)"], errors="coerce").notna()].copy()
    frame["Index"] = frame["Index"].astype(int)
    frame["phase"] = [PHASES[int(flag)] for flag in frame["Phase_Transition"]]
    return frame.set_index("Index")


def _resolve(material: BenchmarkMaterial, source: str) -> BenchmarkMaterial:
    link = material.experiment
    if link is None:
        return material
    if link.dataset not in _DATASETS:
        raise DataImportError(
            f"{material.name}: experiments can be read from {', '.join(_DATASETS)}, not {link.dataset!r}",
            file=source,
            field="experiment",
        )
    rows = _wang2025_rows()
    values, dois = [], []
    for index in link.index:
        if index not in rows.index:
            raise DataImportError(f"{material.name}: wang2025-ea has no row with Index {index}", file=source)
        formula = str(rows.at[index, "Pretty_Formula"]).strip()
        phase = str(rows.at[index, "phase"])
        if composition_key(formula) != composition_key(material.formula) or phase != material.phase:
            raise DataImportError(
                f"{material.name}: wang2025-ea Index {index} is {formula!r} ({phase}), not "
                f"{material.formula!r} ({material.phase})",
                file=source,
                field="experiment",
            )
        values.append(float(str(rows.at[index, "Ea (eV)"])))
        dois.append(str(rows.at[index, "DOI"]).strip())
    doi = material.doi or ("; ".join(dict.fromkeys(dois)))
    return replace(material, experimental_ea_ev=sum(values) / len(values), doi=doi)


def resolve_experiments(manifest: Manifest) -> Manifest:
    """The manifest with every dataset-linked experimental Ea (and DOI) filled in from the dataset.

    Raises
    ------
    DataImportError
        When a linked row does not exist, or is another material or phase.
    """
    return replace(manifest, materials=tuple(_resolve(m, manifest.source) for m in manifest.materials))
