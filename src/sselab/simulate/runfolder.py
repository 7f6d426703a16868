"""Run folders: the one place that knows their layout and writes ``summary.json``.

Layout of a run folder (every simulation command writes one)::

    RUN_DIR/
      inputs/          structure as given (start.extxyz), parameters.json
      outputs/         method outputs (HILLS, COLVAR, trajectories, fes.dat ...)
      figures/         PNG figures
      checkpoint.npz   exact restart point (MD/MetaD)
      summary.json     the result (its ``as_dict()``: settings, numbers, labels) and the run's metadata
                       (command, start/end time (UTC), code version and commit)

Example
-------
>>> from pathlib import Path
>>> folder = RunFolder.create(Path("/tmp/example-run"))  # doctest: +SKIP
>>> folder.write_summary(result)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from sselab import __version__
from sselab.errors import SettingsError, SimulationError

__all__ = [
    "RUN_METADATA_KEYS",
    "RunFolder",
    "SupportsAsDict",
    "code_commit",
    "jsonable",
    "read_summary",
    "utc_now",
]

LOGGER = logging.getLogger(__name__)
SUMMARY_NAME = "summary.json"
#: Keys of ``summary.json`` that describe the run, not the result (``from_dict`` ignores them).
RUN_METADATA_KEYS = frozenset(
    {"command", "started_utc", "finished_utc", "code_version", "code_commit", "reanalysed_with"}
)


class SupportsAsDict(Protocol):
    """A result that serialises itself (every simulation result does)."""

    def as_dict(self) -> dict[str, Any]: ...


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
        """Create (or reuse) ``root`` with its ``inputs``, ``outputs`` and ``figures`` sub-folders.

        Raises
        ------
        SettingsError
            When ``root`` (or one of its sub-folders) exists and is not a folder.
        """
        folder = cls(Path(root))
        for path in (folder.root, folder.inputs, folder.outputs, folder.figures):
            if path.exists() and not path.is_dir():
                raise SettingsError(f"{path} is a file, not a folder", field="run_dir")
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
        result: SupportsAsDict,
        *,
        started: str | None = None,
        command: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write ``summary.json``: ``result.as_dict()`` and the run's metadata (:data:`RUN_METADATA_KEYS`).

        The file is replaced atomically (a kill leaves the previous summary or the new one, never half of
        one). Returns what was written.
        """
        summary = {
            **result.as_dict(),
            "command": command if command is not None else " ".join(sys.argv),
            "started_utc": started,
            "finished_utc": utc_now(),
            "code_version": __version__,
            "code_commit": code_commit(),
            **(extra or {}),
        }
        summary = jsonable(summary)
        tmp = self.summary_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(summary, indent=2) + "\n")
        os.replace(tmp, self.summary_path)
        return summary


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    """Read a run folder's ``summary.json``."""
    path = Path(run_dir) / SUMMARY_NAME
    if not path.is_file():
        raise SimulationError(f"{path} not found: is {run_dir} a run folder?")
    return json.loads(path.read_text())
