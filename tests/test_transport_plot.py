"""The Arrhenius figure helper writes a PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sselab.transport import BOLTZMANN_EV_PER_K, fit_arrhenius, fit_two_segment, plot_arrhenius


def test_plot_one_line_and_two_segments(tmp_path: Path) -> None:
    temperature = np.linspace(300.0, 450.0, 12)
    sigma = 1e5 / temperature * np.exp(-0.5 / (BOLTZMANN_EV_PER_K * temperature))
    one = plot_arrhenius(
        fit_arrhenius(temperature, sigma), temperature, sigma, tmp_path / "one.png", title="x"
    )
    two = plot_arrhenius(
        fit_two_segment(temperature, sigma, form="sigma"), temperature, sigma, tmp_path / "a" / "two.png"
    )
    for path in (one, two):
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
