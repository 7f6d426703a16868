"""The potentials shipped in the CHGNet and SevenNet wheels are selectable by name and say what they load."""

from __future__ import annotations

import importlib.util

import pytest
from ase.build import bulk
from ase.calculators.calculator import Calculator

from sselab.errors import PotentialUnavailableError
from sselab.simulate.potentials import (
    PotentialIdentity,
    get_calculator,
    list_potentials,
    potential_identity,
)

needs_chgnet = pytest.mark.skipif(importlib.util.find_spec("chgnet") is None, reason="chgnet not installed")
needs_sevenn = pytest.mark.skipif(importlib.util.find_spec("sevenn") is None, reason="sevenn not installed")


def _energy(calc: Calculator) -> float:
    atoms = bulk("LiF", "rocksalt", a=4.03)
    atoms.calc = calc
    return float(atoms.get_potential_energy())


def test_every_new_name_is_registered_offline() -> None:
    names = {info.name: info for info in list_potentials()}
    for name in ("chgnet-r2scan", "sevennet-l3i5", "sevennet-mf-0-pbe", "sevennet-mf-0-r2scan"):
        assert name in names
        assert not names[name].downloads_weights


@needs_chgnet
def test_chgnet_names_load_different_weights_and_record_them() -> None:
    default = get_calculator("chgnet", device="cpu", threads=1)
    r2scan = get_calculator("chgnet-r2scan", device="cpu", threads=1)
    a, b = potential_identity(default), potential_identity(r2scan)
    assert (a.model_version, b.model_version) == ("0.3.0", "r2scan")
    assert a.package == "chgnet" and a.package_version is not None
    assert a.weights_sha256 != b.weights_sha256
    # a different model gives a different energy (r2SCAN total energies are far below PBE ones)
    assert abs(_energy(default) - _energy(r2scan)) > 0.1


@needs_sevenn
def test_sevennet_mf0_modals_are_separate_names() -> None:
    pbe = get_calculator("sevennet-mf-0-pbe", device="cpu", threads=1)
    r2scan = get_calculator("sevennet-mf-0-r2scan", device="cpu", threads=1)
    assert (potential_identity(pbe).modal, potential_identity(r2scan).modal) == ("PBE", "R2SCAN")
    assert potential_identity(pbe).weights_sha256 == potential_identity(r2scan).weights_sha256
    assert abs(_energy(pbe) - _energy(r2scan)) > 0.1


@needs_sevenn
def test_sevennet_still_means_sevennet_0() -> None:
    identity = potential_identity(get_calculator("sevennet", device="cpu", threads=1))
    assert identity.model == "7net-0"
    assert identity.model_version == "SevenNet_0__11Jul2024"


def test_identity_round_trips_and_falls_back_for_foreign_calculators() -> None:
    from ase.calculators.lj import LennardJones

    identity = potential_identity(get_calculator("emt"))
    assert identity.name == "emt" and identity.package == "ase"
    assert PotentialIdentity.from_dict(identity.as_dict()) == identity
    foreign = potential_identity(LennardJones())
    assert foreign.name == "lennardjones" and foreign.model_version is None


def test_unknown_name_is_a_clean_error() -> None:
    with pytest.raises(PotentialUnavailableError, match="unknown potential 'sevennet-mf-1'"):
        get_calculator("sevennet-mf-1")
