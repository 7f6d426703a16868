"""The end-to-end workflow of the paper's Figure 1d as one resumable, distributed pipeline.

``load_config`` reads a TOML configuration (or a built-in profile, ``quick`` or ``paper``), ``run_pipeline``
runs
its stages in order, caching every stage (and every independent job inside a stage) in the store under a hash
of
its inputs and parameters, so that a rerun does only what changed or what an interruption left undone.
"""

from sselab.pipeline.config import PipelineConfig, load_config
from sselab.pipeline.executor import JobExecutor
from sselab.pipeline.runner import (
    PipelineFailed,
    PipelineRun,
    StageContext,
    StageOutcome,
    pipeline_status,
    read_state,
    run_pipeline,
)

__all__ = [
    "JobExecutor",
    "PipelineConfig",
    "PipelineFailed",
    "PipelineRun",
    "StageContext",
    "StageOutcome",
    "load_config",
    "pipeline_status",
    "read_state",
    "run_pipeline",
]
