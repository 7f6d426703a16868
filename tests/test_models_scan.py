"""Acceptance: single and pair R² tables with leave-one-out errors on the divalent wang2025-ea entries with
neutral molecules, through the real store, with the excluded rows and their reasons."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from sselab.descriptors import DESCRIPTORS
from sselab.models import MODEL_FAMILIES, Subset, descriptor_scan, descriptor_table, save_scan, select_rows
from sselab.simulate.reference import LIBH4_PNMA_LATTICE_A


@pytest.fixture(scope="module")
def wang_store(tmp_path_factory: pytest.TempPathFactory, dataset_mirror: Path) -> Iterator[object]:
    """A store holding the wang2025-ea dataset, imported once for the module."""
    from sselab.config import get_settings
    from sselab.datasets import import_dataset
    from sselab.store import open_store

    base = tmp_path_factory.mktemp("wang_store")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SSELAB_CACHE_DIR", str(base / "cache"))
        mp.setenv("SSELAB_DATA_DIR", str(base / "data"))
        get_settings.cache_clear()
        store = open_store(f"sqlite:///{base / 'store.sqlite'}")
        import_dataset("wang2025-ea", store, progress=False)
        get_settings.cache_clear()
    yield store


def test_divalent_neutral_scan_tables(wang_store) -> None:
    frame = wang_store.activation_energy_frame(method="experiment")
    table = descriptor_table(frame, structures=wang_store.structures_frame())
    scan = descriptor_scan(table, MODEL_FAMILIES["divalent-neutral"])
    rows = scan.selection.rows
    # every kept row is divalent with a neutral molecule and no additive; every other row has a reason
    assert (
        (rows["parsed_valence"] == 2).all()
        and (rows["n_molecules"] > 0).all()
        and rows["additive"].isna().all()
    )
    assert len(rows) + len(scan.selection.excluded) == len(table.rows)
    reasons = set(scan.selection.excluded["reason"])
    assert "no neutral molecule" in reasons and any(r.startswith("composite with additive") for r in reasons)
    assert list(scan.singles["descriptor"]) == list(DESCRIPTORS)
    assert len(scan.pairs) == len(list(combinations(DESCRIPTORS, 2))) == 28
    # no structures are stored with wang2025-ea: V, d, b_m fits are reported as missing, not silently dropped
    for name in ("V", "d", "b_m"):
        single = scan.singles.set_index("descriptor").loc[name]
        assert single["n"] == 0 and single["n_missing"] == len(rows) and "too few" in single["note"]
    fitted = scan.singles.dropna(subset=["r2"])
    assert set(fitted["descriptor"]) == {"X", "Z", "n", "r_atom", "r_ion"}
    assert (fitted["n"] == len(rows)).all() and fitted["loo_rmse_ev"].notna().all()
    # the (X, r_atom) pair recomputed independently with numpy
    pair = scan.pairs.set_index(["p1", "p2"]).loc[("X", "r_atom")]
    design = np.column_stack([np.ones(len(rows)), rows["X"], rows["r_atom"]])
    y = rows["activation_energy_ev"].to_numpy()
    beta = np.linalg.lstsq(design, y, rcond=None)[0]
    residual = y - design @ beta
    assert pair["r2"] == pytest.approx(1 - residual @ residual / np.sum((y - y.mean()) ** 2))
    assert (pair["a1"], pair["a2"], pair["b"]) == pytest.approx((beta[1], beta[2], beta[0]))
    assert pair["a1_lo"] < pair["a1"] < pair["a1_hi"]
    assert len(scan.best_pairs(3)) == 3


def test_scan_is_stored_and_loadable(wang_store) -> None:
    table = descriptor_table(wang_store.activation_energy_frame(method="experiment"))
    scan = descriptor_scan(table, MODEL_FAMILIES["divalent-neutral"], descriptors=("X", "r_atom", "n"))
    save_scan(wang_store, "scan:test", scan)
    payload = wang_store.load_model_fit("scan:test")
    assert payload["kind"] == "DescriptorScan" and payload["n_rows"] == len(scan.selection.rows)
    assert len(payload["pairs"]) == 3 and len(payload["excluded"]) == len(scan.selection.excluded)
    assert payload["subset"]["valence"] == 2


def test_y1_and_y2_subsets_follow_the_paper_split(wang_store) -> None:
    table = descriptor_table(wang_store.activation_energy_frame(method="experiment"))
    y1 = select_rows(table, MODEL_FAMILIES["y1"], ("X", "r_atom")).rows
    y2 = select_rows(table, MODEL_FAMILIES["y2"], ("X", "r_atom")).rows
    assert not y1["molecule_contains_carbon"].any() and not y1["anion_contains_carbon"].any()
    assert (y2["molecule_contains_carbon"] | y2["anion_contains_carbon"]).all()
    assert set(y1["dominant_anion_family"]) <= {"nido-borane", "arachno-borane", "closo-borane"}
    assert not set(y1["ea_id"]) & set(y2["ea_id"])


def test_structure_descriptors_come_from_stored_structures(tmp_path: Path) -> None:
    from pymatgen.io.ase import AseAtomsAdaptor

    from sselab.simulate.reference import libh4_pnma
    from sselab.store import open_store
    from sselab.store.records import ActivationEnergyRecord, MaterialRecord, StructureRecord

    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    libh4 = MaterialRecord.from_formula("LiBH4", dataset="fixture")
    cif = AseAtomsAdaptor.get_structure(libh4_pnma()).to(fmt="cif")
    store.add_structure(
        StructureRecord(libh4, cif, provenance="Soulié et al. 2002 (sselab.simulate.reference)")
    )
    for formula, ea in (("LiBH4", 0.69), ("NaBH4", 0.64)):
        store.add_activation_energy(
            ActivationEnergyRecord(MaterialRecord.from_formula(formula, dataset="fixture"), ea, "experiment")
        )
    table = descriptor_table(store.activation_energy_frame(), structures=store.structures_frame())
    rows = table.rows.set_index("formula")
    assert rows.loc["LiBH4", "V"] == pytest.approx(np.prod(LIBH4_PNMA_LATTICE_A) / 4, rel=1e-4)
    assert 3.0 < rows.loc["LiBH4", "d"] < 5.0 and np.isnan(rows.loc["NaBH4", "V"])
    selection = select_rows(table, Subset(name="all"), ("V",))
    assert list(selection.rows["formula"]) == ["LiBH4"]
    assert selection.excluded["reason"].tolist() == [
        "descriptor V missing (no stored structure or potential)"
    ]
