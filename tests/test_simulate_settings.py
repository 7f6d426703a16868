"""Settings: one validated, frozen object per method, refusing unknown keys and impossible values by name."""

from __future__ import annotations

import json
import math

import pytest

from sselab.errors import SearchInputError, SearchSettingsError, SettingsError
from sselab.simulate.settings import (
    MDArrheniusSettings,
    MetaDSettings,
    NEBSettings,
    RelaxSettings,
    option_name,
)
from sselab.structures.settings import SearchSettings, settings_for_profile


@pytest.mark.parametrize("cls", [MetaDSettings, NEBSettings, MDArrheniusSettings, RelaxSettings])
def test_settings_round_trip_through_json_and_are_frozen(cls) -> None:
    settings = cls(potential="emt", threads=2)
    assert cls.from_dict(json.loads(json.dumps(settings.as_dict()))) == settings
    with pytest.raises(Exception, match="frozen"):
        settings.threads = 3  # type: ignore[misc]


def test_plain_metadynamics_keeps_an_infinite_bias_factor_through_json() -> None:
    settings = MetaDSettings(bias_factor=math.inf)
    text = json.dumps(settings.as_dict())
    assert MetaDSettings.from_dict(json.loads(text)).bias_factor == math.inf


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"temperatures_k": (600.0, 600.0, 700.0)}, "temperatures_k", "temperatures must be distinct"),
        ({"temperatures_k": (600.0, float("inf"))}, "temperatures_k", "Input should be a finite number"),
        ({"fit_start_fraction": 1.0}, "fit_start_fraction", "Input should be less than 1"),
        ({"device": "tpu"}, "device", "device must be 'cpu' or 'cuda'"),
    ],
)
def test_md_arrhenius_settings_name_the_bad_field(changes: dict, field: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as info:
        MDArrheniusSettings.build(**changes)
    assert info.value.field == field and fragment in str(info.value)


def test_replace_validates_and_a_mapping_with_unknown_keys_is_refused_with_its_source() -> None:
    settings = NEBSettings()
    assert settings.replace(n_images=7).n_images == 7
    with pytest.raises(SettingsError, match="n_images"):
        settings.replace(n_images=0)
    with pytest.raises(SettingsError, match=r"^run\.toml: unknown setting\(s\) --images for NEBSettings"):
        NEBSettings.build({"images": 3}, source="run.toml", label=option_name)


def test_search_settings_refuse_unknown_keys_and_impossible_values_by_name() -> None:
    with pytest.raises(SearchSettingsError, match="unknown setting"):
        SearchSettings.build(population=4)
    for field, value in (("fmax_ev_per_a", float("nan")), ("seed", -1), ("budget", 0), ("threads", 0)):
        with pytest.raises(SearchSettingsError) as info:
            settings_for_profile("quick", **{field: value})
        assert info.value.field == field and isinstance(info.value, SearchInputError)
    with pytest.raises(SearchSettingsError, match="unknown search profile 'fast'"):
        settings_for_profile("fast")


def test_the_search_fingerprint_ignores_where_it_runs_but_not_what_it_computes() -> None:
    from sselab.structures import search_cell

    cell = search_cell("LiBH4", 2, [("Li", 1), ("BH4", 1)])
    base = SearchSettings()
    assert base.fingerprint(cell) == SearchSettings(threads=4, device="cpu", budget=9).fingerprint(cell)
    assert base.fingerprint(cell) != SearchSettings(fmax_ev_per_a=0.02).fingerprint(cell)
    assert SearchSettings.from_dict(base.as_dict()) == base
