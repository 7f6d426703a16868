"""Training rows by source (experiment, converged computed, both); structure descriptors with a b_m cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ase.calculators.emt import EMT
from pymatgen.core import Lattice, Structure

from sselab.descriptors.bm_cache import BindingEnergyCache
from sselab.errors import ConfigError
from sselab.models import MODEL_FAMILIES, descriptor_table, select_rows
from sselab.models.subsets import with_training


def _frame(**extra: list[object]) -> pd.DataFrame:
    base = {
        "ea_id": [1, 2, 3, 4],
        "material_id": [1, 2, 3, 4],
        "formula": ["Mg(BH4)2·2NH3", "Mg(BH4)2·2NH3", "Mg(BH4)2·6NH3", "Mg(BH4)2·3NH3"],
        "activation_energy_ev": [1.2, 2.0, 0.9, 1.1],
        "method": ["experiment", "MetaD", "MetaD", "regression"],
    }
    return pd.DataFrame({**base, **extra})


def test_computed_rows_need_a_converged_flag_in_the_store() -> None:
    table = descriptor_table(_frame())
    both = select_rows(table, with_training(MODEL_FAMILIES["y1"], "both"))
    assert both.rows["method"].tolist() == ["experiment"]
    reasons = dict(zip(both.excluded["row"], both.excluded["reason"], strict=True))
    assert reasons[1] == reasons[2] == "computed Ea: convergence not recorded (no 'converged' column)"
    assert reasons[3] == "method regression"


def test_converged_computed_rows_train_when_the_column_exists() -> None:
    table = descriptor_table(_frame(converged=[None, True, False, True]))
    both = select_rows(table, with_training(MODEL_FAMILIES["y1"], "both"))
    assert both.rows["method"].tolist() == ["experiment", "MetaD"]
    assert "computed Ea not converged" in set(both.excluded["reason"])
    computed = select_rows(table, with_training(MODEL_FAMILIES["y1"], "computed"))
    assert computed.rows["ea_id"].tolist() == [2]
    experiment = select_rows(table, with_training(MODEL_FAMILIES["y1"], "experiment"))
    assert experiment.rows["ea_id"].tolist() == [1]


def test_training_choices_are_checked() -> None:
    with pytest.raises(ConfigError, match="unknown training source 'md'"):
        with_training(MODEL_FAMILIES["y1"], "md")
    with pytest.raises(ConfigError, match="hold model predictions"):
        with_training(MODEL_FAMILIES["y1"], "computed", ["regression"])
    assert with_training(MODEL_FAMILIES["y1"], "computed", ["CI-NEB"]).methods == ("CI-NEB",)


def _copper_amide_cif() -> str:
    """A small Cu–NH2 rock-salt-like cell: elements ASE's EMT knows (a fixture, not a real crystal)."""
    lattice = Lattice.cubic(4.2)
    species = ["Cu", "N", "H", "H"]
    coords = [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0.74], [0.5, 0.74, 0.5]]
    return Structure(lattice, species, coords).to(fmt="cif")


def test_structure_descriptors_and_a_cached_b_m_for_a_stored_structure(tmp_path: Path) -> None:
    calls: list[int] = []

    def factory() -> EMT:
        calls.append(1)
        return EMT()

    frame = pd.DataFrame({"material_id": [7, 8], "formula": ["Cu(NH2)", "Cu(NH2)"],
                          "activation_energy_ev": [0.4, 0.5]})  # fmt: skip
    structures = pd.DataFrame({"material_id": [7], "cif": [_copper_amide_cif()]})
    cache = BindingEnergyCache(tmp_path / "bm.json", "emt", factory)
    table = descriptor_table(frame, structures=structures, binding_energies=cache)
    row = table.rows.iloc[0]
    assert row["V"] == pytest.approx(4.2**3) and row["d"] == pytest.approx(4.2, abs=1e-6)
    direct = cache.get(_copper_amide_cif(), "Cu")
    assert np.isfinite(row["b_m"]) and row["b_m"] == pytest.approx(direct)
    assert np.isnan(table.rows.iloc[1][["V", "d", "b_m"]].astype(float)).all()  # material 8: no structure
    assert (cache.computed, len(calls)) == (1, 1)
    again = BindingEnergyCache(tmp_path / "bm.json", "emt", factory)
    descriptor_table(frame, structures=structures, binding_energies=again)
    assert (again.computed, len(calls)) == (0, 1)  # read from the file, no calculator built
    other = BindingEnergyCache(tmp_path / "bm.json", "emt-other")
    assert np.isnan(other.get(_copper_amide_cif(), "Cu"))  # another potential is another key


@pytest.mark.slow
def test_b_m_with_chgnet_through_the_default_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real default: CHGNet, one thread, offline, cached (about 15 s on one CPU)."""
    from pymatgen.io.ase import AseAtomsAdaptor

    from sselab.config import get_settings
    from sselab.descriptors.bm_potential import binding_energy_cache
    from sselab.errors import PotentialUnavailableError
    from sselab.simulate.reference import libh4_pnma

    monkeypatch.setenv("SSELAB_CACHE_DIR", str(tmp_path))
    get_settings.cache_clear()
    cache = binding_energy_cache("chgnet")
    assert cache is not None
    cif = AseAtomsAdaptor.get_structure(libh4_pnma()).to(fmt="cif")
    try:
        value = cache.get(cif, "Li")
    except PotentialUnavailableError as exc:
        pytest.skip(str(exc))
    assert -10.0 < value < 0.0 and (tmp_path / "descriptors" / "b_m.json").is_file()
    assert binding_energy_cache("chgnet").get(cif, "Li") == pytest.approx(value)
