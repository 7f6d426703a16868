"""Acceptance: single and pair R² tables with leave-one-out errors on the divalent wang2025-ea entries with
neutral molecules, through the real store, with the excluded rows and their reasons."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
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
    found = scan.pairs[(scan.pairs["p1"] == "X") & (scan.pairs["p2"] == "r_atom")]
    pair = {key: float(found[key].iloc[0]) for key in ("r2", "a1", "a2", "b", "a1_lo", "a1_hi")}
    design = np.column_stack([np.ones(len(rows)), rows["X"], rows["r_atom"]])
    y = rows["activation_energy_ev"].to_numpy()
    beta = np.linalg.lstsq(design, y, rcond=None)[0]
    residual = y - design @ beta
    assert pair["r2"] == pytest.approx(1 - residual @ residual / np.sum((y - y.mean()) ** 2))
    assert [pair["a1"], pair["a2"], pair["b"]] == pytest.approx([beta[1], beta[2], beta[0]])
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
    volume = dict(zip(table.rows["formula"], table.rows["V"].astype(float), strict=True))
    distance = dict(zip(table.rows["formula"], table.rows["d"].astype(float), strict=True))
    assert volume["LiBH4"] == pytest.approx(np.prod(LIBH4_PNMA_LATTICE_A) / 4, rel=1e-4)
    assert 3.0 < distance["LiBH4"] < 5.0 and np.isnan(volume["NaBH4"])
    selection = select_rows(table, Subset(name="all"), ("V",))
    assert list(selection.rows["formula"]) == ["LiBH4"]
    assert selection.excluded["reason"].tolist() == [
        "descriptor V missing (no stored structure or potential)"
    ]


def test_y1_bh4_family_filters_by_anion_and_phase(wang_store) -> None:
    """The user-chosen family ``y1-bh4``: divalent, BH4⁻ as the only anion, carbon-free molecules, low-T."""
    table = descriptor_table(wang_store.activation_energy_frame(method="experiment"))
    selection = select_rows(table, MODEL_FAMILIES["y1-bh4"], ("x_wang2025",))
    rows = selection.rows
    assert len(rows) >= 5 and (rows["parsed_valence"] == 2).all() and (rows["phase"] == "low-T").all()
    assert set(rows["anion_names"]) == {"BH4"} and not rows["molecule_contains_carbon"].any()
    reasons = set(selection.excluded["reason"])
    assert "phase high-T" in reasons and "anions B12H12" in reasons and "anions CB11H12" in reasons
    # x_wang2025 is a table column computed from the summed X and r_atom
    expected = -0.059 * rows["X"].to_numpy() + 0.0029 * rows["r_atom"].to_numpy()
    assert rows["x_wang2025"].to_numpy() == pytest.approx(expected)
    scan = descriptor_scan(table, MODEL_FAMILIES["y1-bh4"], descriptors=("X", "r_atom", "x_wang2025"))
    single = scan.singles.set_index("descriptor").loc["x_wang2025"]
    assert single["n"] == len(rows) and np.isfinite(single["r2"])


def test_phase_and_anion_filters_name_their_reasons() -> None:
    from sselab.errors import ConfigError

    frame = pd.DataFrame(
        {
            "formula": [
                "Mg(BH4)2·2NH3",
                "Mg(BH4)2·2NH3",
                "Mg(BH4)2·NH3",
                "Mg(BH4)(NH2)·NH3",
                "MgB12H12·6H2O",
            ],
            "activation_energy_ev": [1.0, 0.5, 1.2, 1.1, 0.9],
            "phase": ["low-T", "high-T", None, "low-T", "low-T"],
        }
    )
    table = descriptor_table(frame)
    subset = Subset(name="bh4-low", anions=("BH4",), phases=("low-T",))
    selection = select_rows(table, subset)
    assert list(selection.rows["formula"]) == ["Mg(BH4)2·2NH3"]
    assert list(selection.excluded["reason"]) == [
        "phase high-T",
        "phase not given",
        "anions BH4;NH2",
        "anions B12H12",
    ]
    assert Subset.from_dict(subset.as_dict()) == subset
    with pytest.raises(ConfigError, match="x_paper"):
        descriptor_scan(table, subset, descriptors=("X", "x_paper"))
