"""Pipeline configuration: profiles, TOML files and the errors that name the bad key or stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from sselab.errors import PipelineError
from sselab.pipeline import load_config
from sselab.pipeline.stages import STAGES


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pipeline.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("profile", ["quick", "paper"])
def test_builtin_profiles_load_and_name_only_known_stages(profile: str) -> None:
    config = load_config(profile)
    assert config.name == profile
    assert config.source == f"profile:{profile}"
    assert set(config.stages) <= set(STAGES)
    assert config.stages[-1] == "report"
    for name in config.stages:
        for required in STAGES[name].requires:
            assert config.stages.index(required) < config.stages.index(name)


def test_file_config_reads_stages_params_and_overrides(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[pipeline]\nname = "t"\nseed = 7\nout_dir = "o"\nstages = ["data", "report"]\nn_workers = 2\n'
        '[stages.data]\ndatasets = ["wang2025-ea"]\n',
    )
    config = load_config(path)
    assert config.stages == ("data", "report")
    assert config.params("data") == {"datasets": ["wang2025-ea"]}
    assert config.params("report") == {}
    assert (config.seed, config.n_workers, config.out_dir) == (7, 2, Path("o"))
    other = config.with_overrides(out_dir=tmp_path / "x", store_url=None)
    assert other.out_dir == tmp_path / "x" and other.seed == 7


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[stages.data]\nx = 1\n", "missing [pipeline] table"),
        ("[pipeline]\nstages = []\n", "non-empty list"),
        ('[pipeline]\nstages = ["data"]\ncolour = "red"\n', "unknown key(s) in [pipeline]: colour"),
        ('[pipeline]\nstages = ["data"]\n[stages.fit]\na = 1\n', "stage(s) not in the list: fit"),
        ('[pipeline]\nstages = ["data"]\nseed = "one"\n', "seed must be an integer"),
        ('[pipeline\nstages = ["data"]\n', "not valid TOML"),
    ],
)
def test_bad_config_errors_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PipelineError, match=None) as info:
        load_config(_write(tmp_path, text))
    assert message in str(info.value)
    assert "pipeline.toml" in str(info.value)


def test_missing_file_lists_the_profiles(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"not found.*quick, paper"):
        load_config(tmp_path / "nope.toml")
