"""The Fig. 1b-style hydride σ(T) figure on small frames: filtering, Ea join by formula, PNG written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sselab.report.conductivity import HYDRIDE_FAMILIES, plot_hydride_conductivity


def _sigma() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "formula": ["LiBH4", "LiBH4", "Li7La3Zr2O12", "Li2NH"],
            "cation": ["Li", "Li", "Li", "Li"],
            "anion_family": ["nido-borane", "nido-borane", "oxide", "imide"],
            "temperature_k": [300.0, 400.0, 298.15, 298.15],
            "conductivity_s_per_cm": [1e-8, 1e-3, 1e-4, 2.5e-4],
        }
    )


def _ea() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "formula": ["LiBH4", "LiBH4", "Mg(BH4)2", "Li7La3Zr2O12", "NaCB11H12"],
            "cation": ["Li", "Li", "Mg", "Li", "Na"],
            "anion_family": ["nido-borane", "nido-borane", "nido-borane", "oxide", "closo-carborane"],
            "activation_energy_ev": [0.5, 0.7, 1.0, 0.3, 0.2],
            "method": ["experiment", "experiment", "experiment", "experiment", "MetaD"],
            "phase": ["high-T", "low-T", "low-T", None, None],
        }
    )


def test_figure_keeps_hydrides_and_sizes_points_by_known_ea(tmp_path: Path) -> None:
    path = tmp_path / "fig" / "figure1b.png"
    summary = plot_hydride_conductivity(_sigma(), _ea(), path)
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert summary.conductivity_points == 3  # the garnet (oxide) is not a hydride
    assert summary.conductivity_materials == 2
    assert summary.points_with_ea == 2  # LiBH4 has Ea, Li2NH has none here
    assert summary.ea_values == 3  # experiment only, hydride families only
    assert summary.ea_materials == 2


def test_figure_without_hydride_points_still_renders(tmp_path: Path) -> None:
    sigma = _sigma()[_sigma()["anion_family"] == "oxide"]
    summary = plot_hydride_conductivity(sigma, _ea(), tmp_path / "empty.png")
    assert summary.conductivity_points == 0 and (tmp_path / "empty.png").exists()


def test_hydride_families_are_chem_families() -> None:
    from sselab.chem import families

    known = {value for name, value in vars(families).items() if name.isupper() and isinstance(value, str)}
    assert set(HYDRIDE_FAMILIES) <= known
