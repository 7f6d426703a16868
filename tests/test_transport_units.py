"""Unit conversions and the Nernst-Einstein relation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sselab.errors import ConfigError, FitError
from sselab.transport import nernst_einstein_conductivity, to_kelvin, to_s_per_cm


def test_temperature_units() -> None:
    assert to_kelvin(25.0, "°C") == pytest.approx(298.15)
    assert to_kelvin(25.0, "C") == pytest.approx(298.15)
    assert to_kelvin(300.0, "K") == 300.0
    assert to_kelvin([0.0, 100.0], "degC") == pytest.approx([273.15, 373.15])
    with pytest.raises(ConfigError, match="unknown temperature unit 'F'"):
        to_kelvin(1.0, "F")
    with pytest.raises(ConfigError, match="below absolute zero"):
        to_kelvin(-300.0, "°C")


def test_conductivity_units() -> None:
    assert to_s_per_cm(1.0, "S/cm") == 1.0
    assert to_s_per_cm(1.0, "mS/cm") == pytest.approx(1e-3)
    assert to_s_per_cm(1.0, "S/m") == pytest.approx(1e-2)
    assert to_s_per_cm(1.0, "mS cm-1") == pytest.approx(1e-3)
    assert to_s_per_cm([10.0, 20.0], "µS/cm") == pytest.approx([1e-5, 2e-5])
    with pytest.raises(ConfigError, match="unknown conductivity unit 'ohm'"):
        to_s_per_cm(1.0, "ohm")


@given(st.floats(-273.0, 5000.0), st.floats(1e-12, 1e3))
def test_units_round_trip(celsius: float, sigma_s_per_m: float) -> None:
    kelvin = to_kelvin(celsius, "°C")
    assert to_kelvin(kelvin - 273.15, "C") == pytest.approx(kelvin)
    assert to_s_per_cm(sigma_s_per_m, "S/m") * 100.0 == pytest.approx(sigma_s_per_m)
    assert to_s_per_cm(to_s_per_cm(sigma_s_per_m, "S/m") * 1e3, "mS/cm") == pytest.approx(
        sigma_s_per_m / 100.0
    )


def test_nernst_einstein_against_hand_calculation() -> None:
    # n = 1e22 cm^-3, D = 1e-8 cm^2/s, z = 1, T = 300 K:
    # sigma = n e^2 D / (kB T) = 1e22 * (1.602176634e-19)^2 * 1e-8 / (1.380649e-23 * 300) = 6.1975e-4 S/cm
    assert nernst_einstein_conductivity(1e-8, 1e22, 1, 300.0) == pytest.approx(6.19750e-4, rel=1e-4)
    assert nernst_einstein_conductivity(1e-8, 1e22, 2, 300.0) == pytest.approx(4 * 6.19750e-4, rel=1e-4)
    assert nernst_einstein_conductivity(1e-8, 1e22, 1, 300.0, haven_ratio=0.5) == pytest.approx(
        2 * 6.1975e-4, rel=1e-4
    )
    values = nernst_einstein_conductivity(np.array([1e-8, 2e-8]), 1e22, 1, np.array([300.0, 600.0]))
    assert values == pytest.approx([6.1975e-4, 6.1975e-4], rel=1e-4)
    with pytest.raises(FitError, match="temperature must be positive"):
        nernst_einstein_conductivity(1e-8, 1e22, 1, 0.0)
