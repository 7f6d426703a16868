"""The x of Dataset 2 derived from its rows; additive descriptors and their normalisations."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sselab.descriptors import DescriptorError
from sselab.descriptors.additive import AdditiveDescriptor
from sselab.descriptors.wang2025_x import derive_wang2025_x


@pytest.fixture(scope="module")
def dataset2(dataset_mirror: Path) -> pd.DataFrame:
    frame = pd.read_excel(dataset_mirror / "wang2025" / "supplementary_dataset_2.xlsx", header=None).iloc[3:]
    return pd.DataFrame({"formula": frame[1].astype(str), "x": frame[2].astype(float)}).reset_index(drop=True)


def test_dataset_2_x_is_additive_over_atoms_with_the_cation_weighted_by_half_the_anions(dataset2) -> None:
    d = derive_wang2025_x(list(dataset2["formula"]), list(dataset2["x"]))
    assert (d.n_single, d.n_multi) == (306, 252)
    assert d.single_max_abs < 1e-9  # exactly additive on the rows written per one cation
    assert d.factors == pytest.approx((0.25, 0.5, 0.5), abs=1e-9)  # M2(A)2·nL: cation ¼, the rest ½ per atom
    assert d.descriptor.normalisation == "dataset2"
    assert (
        d.normalisations["dataset2"] < 1e-9 < 0.1 < d.normalisations["per_cation"] < d.normalisations["sum"]
    )
    assert d.residual.max_abs < 1e-9 and d.residual.within["0.005"] == 1.0
    assert d.holdout_max_abs < 1e-9  # half the rows predict the other half: a property of the data
    assert sorted(d.descriptor.coefficients) == ["B", "C", "Ca", "H", "Mg", "N", "O", "Zn"]


def test_element_data_come_close_but_do_not_reproduce_x(dataset2) -> None:
    d = derive_wang2025_x(list(dataset2["formula"]), list(dataset2["x"]))
    assert 0.005 < d.element_rule.max_abs < 0.1 and d.element_rule.spearman > 0.999
    assert 0.3 < d.element_rule.within["0.005"] < 0.9
    assert d.printed_rule.max_abs > 0.5 and d.printed_rule.within["0.05"] == 0.0
    assert d.element_weights[0] < 0 < d.element_weights[1]


def test_derivation_finds_a_known_table_and_its_normalisation() -> None:
    table = {"Mg": 0.3, "Ca": 0.5, "B": 0.1, "C": 0.06, "H": -0.04, "N": 0.02, "O": -0.03}
    truth = AdditiveDescriptor("toy", table, normalisation="per_cation")
    formulas = [
        f"{m}{k}({a})2·{n}{mol}"
        for m in ("Mg", "Ca")
        for k, a in ((1, "BH4"), (1, "CB9H10"), (1, "CB11H12"), (2, "B12H12"))
        for n in (1, 2, 3, 5)
        for mol in ("NH3", "H2O", "NH3BH3", "CH3NH2")
    ]
    d = derive_wang2025_x(formulas, list(truth.evaluate_formulas(formulas)))
    assert d.descriptor.normalisation == "per_cation"
    assert d.descriptor.coefficients == pytest.approx(table, abs=1e-9)
    assert d.factors == pytest.approx((0.5, 0.5, 0.5), abs=1e-9)


def test_dataset2_normalisation_depends_on_chemistry_not_on_the_writing() -> None:
    x = AdditiveDescriptor("x", {"Mg": 0.4, "B": 0.1, "H": -0.05, "O": -0.03}, normalisation="dataset2")
    one, two = x.evaluate_formulas(["MgB12H12·6H2O", "Mg2(B12H12)2·12H2O"])
    assert one == pytest.approx(two)
    plain = AdditiveDescriptor("p", dict(x.coefficients))
    assert plain.evaluate_formulas(["Mg2(B12H12)2"])[0] == pytest.approx(
        2 * plain.evaluate_formulas(["MgB12H12"])[0]
    )


def test_additive_descriptor_errors_name_what_is_missing() -> None:
    x = AdditiveDescriptor("x", {"Mg": 0.4, "B": 0.1, "H": -0.05}, normalisation="dataset2")
    with pytest.raises(DescriptorError, match=r"no coefficient for \['N'\]"):
        x.evaluate_formulas(["Mg(BH4)2·NH3"])
    with pytest.raises(DescriptorError, match="unknown normalisation 'mean'"):
        AdditiveDescriptor("x", {"Mg": 1.0}, normalisation="mean")
    with pytest.raises(DescriptorError, match="without conducting cation or anion"):
        derive_wang2025_x(["NH3"], [0.1])
    assert AdditiveDescriptor.from_dict(x.as_dict()) == x
    assert x.evaluate_formulas(["Mg(BH4)2"])[0] == pytest.approx(0.4 + 2 * (0.1 - 4 * 0.05))
