"""The potentials registry: names, availability, errors, and the shipped MLIPs offline."""

from __future__ import annotations

import importlib.util

import pytest
from ase.build import bulk

from sselab.errors import PotentialUnavailableError
from sselab.simulate.potentials import get_calculator, list_potentials, resolve_device


def test_registry_lists_every_potential() -> None:
    names = {p.name for p in list_potentials()}
    assert {"chgnet", "sevennet", "mace-mp", "mattersim", "orb", "xtb", "cp2k", "emt"} <= names
    emt = next(p for p in list_potentials() if p.name == "emt")
    assert emt.available and not emt.downloads_weights


def test_emt_gives_energies() -> None:
    atoms = bulk("Cu")
    atoms.calc = get_calculator("EMT")
    assert atoms.get_potential_energy() == pytest.approx(-0.0057, abs=1e-3)


def test_unknown_potential_is_a_clear_error() -> None:
    with pytest.raises(PotentialUnavailableError, match="unknown potential 'nope'"):
        get_calculator("nope")


@pytest.mark.skipif(importlib.util.find_spec("mace") is not None, reason="mace installed")
def test_missing_optional_package_names_the_extra() -> None:
    with pytest.raises(PotentialUnavailableError, match=r"sselab\[mace\]"):
        get_calculator("mace-mp")


def test_download_potentials_refuse_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    from sselab.config import get_settings
    from sselab.simulate import potentials

    monkeypatch.setenv("SSELAB_OFFLINE", "1")
    get_settings.cache_clear()
    with pytest.raises(PotentialUnavailableError, match=r"offline|OFFLINE"):
        potentials._offline_guard("orb")


def test_device_defaults_to_settings_or_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    from sselab.config import get_settings

    monkeypatch.setenv("SSELAB_DEVICE", "cpu")
    get_settings.cache_clear()
    assert resolve_device() == "cpu"
    assert resolve_device("cuda") == "cuda"


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("sevenn") is None, reason="sevenn not installed")
def test_sevennet_loads_shipped_weights_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    from sselab.config import get_settings

    monkeypatch.setenv("SSELAB_OFFLINE", "1")
    get_settings.cache_clear()
    atoms = bulk("LiF", "rocksalt", a=4.03)
    atoms.calc = get_calculator("sevennet", device="cpu", threads=1)
    assert -12.0 < atoms.get_potential_energy() < -6.0
