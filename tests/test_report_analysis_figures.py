"""Figure 3b draws training rows by source and the published lines; Figure 4a marks unranked predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sselab.descriptors.additive import AdditiveDescriptor
from sselab.models import LinearEaModel
from sselab.models.published import recover_published_line
from sselab.report import analysis_figures
from sselab.screening import paper_space, screen

TOY_TABLE = {"Mg": 0.38, "Ca": 0.48, "Zn": 0.31, "B": 0.135, "C": 0.061, "H": -0.05, "N": 0.016, "O": -0.028}
X_TOY = AdditiveDescriptor("x_toy", TOY_TABLE, normalisation="dataset2")


def _capture(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    figures: list[Any] = []

    def keep(fig: Any, path: str | Path) -> Path:
        figures.append(fig)
        fig.savefig(path)
        return Path(path)

    monkeypatch.setattr(analysis_figures, "_save", keep)
    return figures


def test_figure_3b_marks_metad_filled_experiment_open_and_draws_published_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures = _capture(monkeypatch)
    rows = pd.DataFrame(
        {
            "formula": ["Mg(BH4)2·NH3", "Mg(BH4)2·2NH3", "Mg(BH4)2·3NH3", "Mg(BH4)2·6NH3"],
            "activation_energy_ev": [1.5, 1.2, 1.1, 0.9],
            "method": ["experiment", "MetaD", "experiment", "MetaD"],
        }
    )
    fitted = LinearEaModel(("x_toy",), definitions=(X_TOY,), name="y1").fit(rows)
    published = recover_published_line(
        np.array([-1.0, 1.0]), np.array([0.8, 2.8]), name="pub-y1", descriptor=X_TOY, label="published by X"
    )
    path = analysis_figures.ea_vs_combination({"y1": fitted}, tmp_path / "fig3b.png", {"y1": published})
    assert path.stat().st_size > 10_000
    ax = figures[0].axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("MetaD (n=2)" in t for t in labels) and any("experiment (n=2)" in t for t in labels)
    assert any("published by X" in t for t in labels)
    scatters = {c.get_label(): c for c in ax.collections}
    metad = scatters["y1 training: MetaD (n=2)"].get_facecolors()
    experiment = scatters["y1 training: experiment (n=2)"].get_facecolors()
    assert metad[0][3] > 0 and (len(experiment) == 0 or experiment[0][3] == 0)  # filled vs open


def test_figure_4a_shows_unranked_predictions_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    figures = _capture(monkeypatch)
    line = LinearEaModel.from_coefficients(("X",), (-0.05,), 4.0, name="steep")
    flat = LinearEaModel.from_coefficients(("X",), (0.0,), 1.0, name="flat")
    result = screen(paper_space(), {"y1": line, "y2": flat})
    assert result.predictions["rank"].isna().any()
    analysis_figures.candidate_predictions(result, tmp_path / "fig4a.png")
    labels = [t.get_text() for t in figures[0].axes[0].get_legend().get_texts()]
    assert any(t.startswith("y1: not ranked") for t in labels)
