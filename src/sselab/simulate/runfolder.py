"""Run folders: the one place that knows their layout and writes ``summary.json``.

Layout of a run folder (every simulation command writes one)::

    RUN_DIR/
      inputs/          structure as given (start.extxyz), parameters.json
      outputs/         method outputs (HILLS, COLVAR, trajectories, fes.dat ...)
      figures/         PNG figures
      checkpoint.npz   exact restart point (MD/MetaD)
      summary.json     command, parameters, start/end time (UTC), code version, seed, results

Example
-------
>>> from pathlib import Path
>>> folder = RunFolder.create(Path("/tmp/example-run"))  # doctest: +SKIP
>>> folder.write_summary("metad", parameters={}, results={}, seed=1)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import math
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sselab import __version__
from sselab.errors import SimulationError

__all__ = ["RunFolder", "code_commit", "jsonable", "read_summary", "utc_now"]

LOGGER = logging.getLogger(__name__)
SUMMARY_NAME = "summary.json"


def code_commit() -> str | None:
    """The git commit of the sselab checkout (``None`` when not installed from a git checkout)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def utc_now() -> str:
    """Current UTC time, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays, paths, tuples and non-finite floats into JSON-safe values."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, Path):
        return str(value)
    return value


@dataclass(frozen=True)
class RunFolder:
    """A run folder (see the module docstring for its layout)."""

    root: Path

    @classmethod
    def create(cls, root: str | Path) -> RunFolder:
        """Create (or reuse) ``root`` with its ``inputs``, ``outputs`` and ``figures`` sub-folders."""
        folder = cls(Path(root))
        for sub in (folder.inputs, folder.outputs, folder.figures):
            sub.mkdir(parents=True, exist_ok=True)
        return folder

    @property
    def inputs(self) -> Path:
        """Input files."""
        return self.root / "inputs"

    @property
    def outputs(self) -> Path:
        """Output files."""
        return self.root / "outputs"

    @property
    def figures(self) -> Path:
        """PNG figures."""
        return self.root / "figures"

    @property
    def summary_path(self) -> Path:
        """``summary.json``."""
        return self.root / SUMMARY_NAME

    def write_summary(
        self,
        kind: str,
        parameters: dict[str, Any],
        results: dict[str, Any],
        seed: int | None = None,
        command: str | None = None,
        started: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write ``summary.json`` and return it as a dict."""
        summary = {
            "kind": kind,
            "command": command if command is not None else " ".join(sys.argv),
            "parameters": parameters,
            "seed": seed,
            "started_utc": started,
            "finished_utc": utc_now(),
            "code_version": __version__,
            "code_commit": code_commit(),
            "results": results,
            **(extra or {}),
        }
        summary = jsonable(summary)
        self.summary_path.write_text(json.dumps(summary, indent=2) + "\n")
        return summary


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    """Read a run folder's ``summary.json``."""
    path = Path(run_dir) / SUMMARY_NAME
    if not path.is_file():
        raise SimulationError(f"{path} not found: is {run_dir} a run folder?")
    return json.loads(path.read_text())
