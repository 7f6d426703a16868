"""Pipeline configuration: a TOML file or a built-in profile.

A configuration names the store, the output folder, a seed and, for each stage in order, its parameters::

    [pipeline]
    name = "quick"
    seed = 1
    out_dir = "out"
    stages = ["data", "insights", "method_benchmark", "metad", "fit", "screening", "search", "validation",
    "report"]

    [stages.metad]
    steps = 400
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sselab.errors import PipelineError

PROFILES = ("quick", "paper")


@dataclass(frozen=True)
class PipelineConfig:
    """A parsed pipeline configuration.

    Attributes
    ----------
    name
        Profile or configuration name (recorded in provenance).
    stages
        Stage names in execution order.
    stage_params
        Parameters per stage (``{stage: {key: value}}``); a missing stage has ``{}``.
    seed
        Base random seed; each stage and job derives its own from it.
    out_dir
        Folder for run folders, figures and the report.
    store_url
        Store URL (``None``: ``--db``/``SSELAB_DB``/default).
    n_workers
        Dask workers of the local cluster (``None``: one per core).
    source
        Where the configuration came from (file path or ``profile:NAME``).
    """

    name: str
    stages: tuple[str, ...]
    stage_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    seed: int = 1
    out_dir: Path = Path("out")
    store_url: str | None = None
    n_workers: int | None = None
    source: str = ""

    def params(self, stage: str) -> dict[str, Any]:
        """Parameters of ``stage`` (empty dict when not configured)."""
        return dict(self.stage_params.get(stage, {}))

    def with_overrides(self, **changes: Any) -> PipelineConfig:
        """A copy with top-level fields replaced (``out_dir``, ``store_url``, ``n_workers``...)."""
        values = {**self.__dict__, **{k: v for k, v in changes.items() if v is not None}}
        return PipelineConfig(**values)


def _from_mapping(data: dict[str, Any], source: str) -> PipelineConfig:
    try:
        head = data["pipeline"]
    except KeyError as exc:
        raise PipelineError(f"{source}: missing [pipeline] table") from exc
    unknown = set(head) - {"name", "seed", "out_dir", "stages", "store", "n_workers"}
    if unknown:
        raise PipelineError(f"{source}: unknown key(s) in [pipeline]: {', '.join(sorted(unknown))}")
    stages = head.get("stages")
    if not isinstance(stages, list) or not all(isinstance(s, str) for s in stages) or not stages:
        raise PipelineError(f"{source}: [pipeline] stages must be a non-empty list of stage names")
    stage_params = data.get("stages", {})
    if not isinstance(stage_params, dict):
        raise PipelineError(f"{source}: [stages] must be a table of tables")
    extra = set(stage_params) - set(stages)
    if extra:
        raise PipelineError(
            f"{source}: parameters given for stage(s) not in the list: {', '.join(sorted(extra))}"
        )
    seed = head.get("seed", 1)
    if not isinstance(seed, int):
        raise PipelineError(f"{source}: [pipeline] seed must be an integer, got {seed!r}")
    return PipelineConfig(
        name=str(head.get("name", Path(source).stem)),
        stages=tuple(stages),
        stage_params={k: dict(v) for k, v in stage_params.items()},
        seed=seed,
        out_dir=Path(head.get("out_dir", "out")),
        store_url=head.get("store"),
        n_workers=head.get("n_workers"),
        source=source,
    )


def load_config(name_or_path: str | Path) -> PipelineConfig:
    """Read a configuration from a TOML file, or a built-in profile by name (``quick``, ``paper``).

    Raises
    ------
    PipelineError
        When the file is missing, not TOML, or names unknown keys.
    """
    text_name = str(name_or_path)
    if text_name in PROFILES:
        text = resources.files("sselab.pipeline").joinpath("profiles", f"{text_name}.toml").read_text("utf-8")
        source = f"profile:{text_name}"
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise PipelineError(
                f"pipeline configuration {path} not found (built-in profiles: {', '.join(PROFILES)})"
            )
        text = path.read_text("utf-8")
        source = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PipelineError(f"{source}: not valid TOML: {exc}") from exc
    return _from_mapping(data, source)
