"""The data part of ``sselab demo``: import the public datasets, summarise them, plot hydride σ(T).

Example::

    >>> from sselab.store import open_store
    >>> from sselab.datasets.demo import run_data_demo
    >>> summary = run_data_demo(open_store(), "out")  # doctest: +SKIP
    >>> summary["figure"]  # doctest: +SKIP
    'out/figure1b_hydride_conductivity.png'
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sselab.datasets.importing import import_dataset
from sselab.datasets.registry import list_datasets
from sselab.report.conductivity import plot_hydride_conductivity

if TYPE_CHECKING:
    from sselab.store import Store

logger = logging.getLogger(__name__)

FIGURE_NAME = "figure1b_hydride_conductivity.png"


def summary_tables(store: Store) -> dict[str, pd.DataFrame]:
    """Counts per dataset and per cation from the store.

    Returns
    -------
    dict
        ``"per_dataset"`` (columns ``dataset, materials, measurements, ea_rows, structures``) and
        ``"per_cation"`` (columns ``cation, materials, measurements, ea_rows``).
    """
    materials = store.materials_frame()
    sigma = store.conductivity_frame()
    ea = store.activation_energy_frame()
    structures = store.structures_frame()
    names = [info.name for info in list_datasets()]
    extra = sorted(set(materials["dataset"].dropna()) - set(names))
    per_dataset = pd.DataFrame(
        {
            "dataset": names + extra,
            "materials": [int((materials["dataset"] == n).sum()) for n in names + extra],
            "measurements": [int((sigma["dataset"] == n).sum()) for n in names + extra],
            "ea_rows": [int((ea["dataset"] == n).sum()) for n in names + extra],
            "structures": [_count_structures(structures, materials, n) for n in names + extra],
        }
    )
    cations = sorted(set(materials["cation"].dropna()))
    per_cation = pd.DataFrame(
        {
            "cation": [*cations, "(unparsed)"],
            "materials": [int((materials["cation"] == c).sum()) for c in cations]
            + [int(materials["cation"].isna().sum())],
            "measurements": [int((sigma["cation"] == c).sum()) for c in cations]
            + [int(sigma["cation"].isna().sum())],
            "ea_rows": [int((ea["cation"] == c).sum()) for c in cations] + [int(ea["cation"].isna().sum())],
        }
    )
    return {"per_dataset": per_dataset, "per_cation": per_cation}


def _count_structures(structures: pd.DataFrame, materials: pd.DataFrame, dataset: str) -> int:
    if structures.empty or "material_id" not in structures.columns:
        return 0
    ids = set(materials.loc[materials["dataset"] == dataset, "material_id"])
    return int(structures["material_id"].isin(ids).sum())


def run_data_demo(store: Store, out_dir: str | Path, *, progress: bool = False) -> dict[str, Any]:
    """Import all registered datasets into ``store``, and write the hydride σ(T) figure into ``out_dir``.

    Datasets come from the mirror (``SSELAB_DATA_MIRROR``) when set, else the cache or a download; files
    already imported are not imported twice.

    Returns
    -------
    dict
        ``reports`` (dataset -> ImportReport), ``per_dataset`` and ``per_cation`` (DataFrames), ``figure``
        (path of the PNG, str) and ``figure_summary`` (counts shown in the figure).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    reports = {info.name: import_dataset(info.name, store, progress=progress) for info in list_datasets()}
    tables = summary_tables(store)
    figure = plot_hydride_conductivity(
        store.conductivity_frame(), store.activation_energy_frame(), out / FIGURE_NAME
    )
    logger.info("data demo: figure %s", figure.path)
    return {
        "reports": reports,
        "per_dataset": tables["per_dataset"],
        "per_cation": tables["per_cation"],
        "figure": str(figure.path),
        "figure_summary": figure,
    }
