"""Ab initio metadynamics with CP2K's own well-tempered MetaD, from the same settings as sselab's MetaD.

:func:`~sselab.simulate.cp2k_input.cp2k_metad_input` writes the CP2K input (the CVs of
:mod:`sselab.simulate.metad.colvars`, the hills in eV and CV units, GFN1-xTB or DFT);
:func:`run_cp2k_metadynamics` runs it when a CP2K executable is on ``PATH`` and reads CP2K's hills log back
with
:func:`read_cp2k_hills` into the same :class:`~sselab.simulate.metad.plumed.HillsData` that the FES analysis
uses (and a PLUMED ``HILLS`` copy).

Units, as checked against CP2K 2023.1 (Debian package): in ``PROJECT-HILLS.metadynLog`` each line is
``time (fs), centres (CP2K internal units: bohr for distances), scales (same units), height (hartree)``, and
for
well-tempered runs the printed height is the deposited height times ``γ/(γ-1) = (T + ΔT)/ΔT``, as in PLUMED.

Example
-------
>>> result = run_cp2k_metadynamics(atoms, [Distance(0, 1, "d")], "cp2k-run", height_ev=0.02, widths=[0.1],
...                                pace=5, bias_factor=10, temperature_k=300, steps=200)  # doctest: +SKIP
>>> CP2KMetaDResult.from_dict(json.load(open("cp2k-run/summary.json"))).hills  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from ase import Atoms

from sselab.errors import DataImportError, SimulationError
from sselab.simulate.cp2k_input import BOHR_A, HARTREE_EV, cp2k_metad_input, cv_kind
from sselab.simulate.metad.plumed import HillsData, read_hills, write_hills
from sselab.simulate.results import result_data
from sselab.simulate.runfolder import RunFolder, utc_now

logger = logging.getLogger(__name__)

EXECUTABLES = ("cp2k", "cp2k.psmp", "cp2k.ssmp", "cp2k.popt", "cp2k.sopt")


@dataclass(frozen=True)
class CP2KMetaDResult:
    """Outcome of :func:`run_cp2k_metadynamics`: hills (eV, ps, CV units as in sselab), files and timing.

    ``hills`` is what was read from CP2K's log; :meth:`from_dict` reads it back from the PLUMED copy
    ``plumed_hills``.
    """

    kind: ClassVar[str] = "cp2k-metad"

    hills: HillsData
    hills_log: Path
    plumed_hills: Path
    output: Path
    run_dir: Path
    wall_time_s: float
    executable: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the hills stay in their files); :meth:`from_dict` rebuilds the result."""
        return {
            "@class": "CP2KMetaDResult",
            "kind": self.kind,
            "hills_log": str(self.hills_log),
            "plumed_hills": str(self.plumed_hills),
            "output": str(self.output),
            "run_dir": str(self.run_dir),
            "wall_time_s": self.wall_time_s,
            "executable": self.executable,
            "n_hills": len(self.hills.heights_ev),
            "parameters": self.parameters,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CP2KMetaDResult:
        """Inverse of :meth:`as_dict`; also accepts the run folder's whole ``summary.json``."""
        d = result_data(data, cls.kind)
        paths = {k: Path(d[k]) for k in ("hills_log", "plumed_hills", "output", "run_dir")}
        return cls(
            hills=read_hills(paths["plumed_hills"]), wall_time_s=float(d["wall_time_s"]),
            executable=str(d["executable"]), parameters=dict(d.get("parameters") or {}), **paths,
        )  # fmt: skip


def find_cp2k() -> str | None:
    """Path of the first CP2K executable on ``PATH`` (``cp2k``, ``cp2k.psmp``, ...), else ``None``."""
    for name in EXECUTABLES:
        path = shutil.which(name)
        if path:
            return path
    return None


def read_cp2k_hills(
    path: str | Path, cv_names: Sequence[str], cv_kinds: Sequence[str], bias_factor: float
) -> HillsData:
    """Read CP2K's ``PROJECT-HILLS.metadynLog`` into :class:`HillsData` (deposited heights eV, times ps).

    Parameters
    ----------
    cv_names
        Names of the CVs, in ``&METAVAR`` order.
    cv_kinds
        ``"length"`` (CP2K writes bohr; converted to Å) or ``"dimensionless"`` per CV.
    bias_factor
        γ of the run (``inf`` for plain metadynamics): the printed heights are divided by ``γ/(γ-1)``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataImportError("CP2K hills log not found", file=str(path))
    n = len(cv_names)
    if len(cv_kinds) != n or any(k not in ("length", "dimensionless") for k in cv_kinds):
        raise SimulationError(f"cv_kinds must be 'length' or 'dimensionless', one per CV: {list(cv_kinds)}")
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 + 2 * n:
            raise DataImportError(
                f"{len(parts)} columns, expected {2 + 2 * n} for {n} CVs", file=str(path), row=number
            )
        try:
            rows.append([float(p) for p in parts])
        except ValueError as exc:
            raise DataImportError(f"not a number: {exc}", file=str(path), row=number) from exc
    data = np.array(rows, dtype=float).reshape(-1, 2 + 2 * n)
    to_sselab = np.array([BOHR_A if k == "length" else 1.0 for k in cv_kinds])
    factor = bias_factor / (bias_factor - 1.0) if np.isfinite(bias_factor) else 1.0
    return HillsData(
        cv_names=tuple(cv_names),
        times_ps=data[:, 0] / 1000.0,
        centers=data[:, 1 : 1 + n] * to_sselab,
        sigmas=data[:, 1 + n : 1 + 2 * n] * to_sselab,
        heights_ev=data[:, 1 + 2 * n] * HARTREE_EV / factor,
        bias_factor=float(bias_factor),
    )


def run_cp2k_metadynamics(
    atoms: Atoms,
    colvars: Sequence[Any],
    run_dir: str | Path,
    height_ev: float,
    widths: Sequence[float],
    pace: int,
    bias_factor: float,
    temperature_k: float,
    steps: int,
    timestep_fs: float = 1.0,
    method: str = "xtb",
    executable: str | None = None,
    omp_threads: int = 1,
    timeout_s: float | None = None,
    **input_options: Any,
) -> CP2KMetaDResult:
    """Write the CP2K input into ``run_dir/inputs``, run CP2K in ``run_dir/outputs`` and read the hills back.

    Also writes ``outputs/HILLS`` (PLUMED format, via :func:`sselab.simulate.metad.hills.write_hills`) and
    ``summary.json``. Analyse the hills with ``free_energy_surface(result.hills, bias_factor)`` and
    ``find_barriers``; ``sselab fes`` needs a COLVAR and ``inputs/parameters.json``, which a CP2K run lacks.

    Raises
    ------
    SimulationError
        No CP2K executable, CP2K failed (its output file is named), or it wrote no hills.
    """
    exe = executable or find_cp2k()
    if exe is None:
        raise SimulationError(
            f"no CP2K executable on PATH (looked for {', '.join(EXECUTABLES)}); "
            "install it, e.g. 'apt-get install cp2k'"
        )
    started = utc_now()
    folder = RunFolder.create(run_dir)
    project = "sselab"
    text = cp2k_metad_input(
        atoms,
        colvars,
        height_ev,
        widths,
        pace,
        bias_factor,
        temperature_k,
        steps,
        timestep_fs,
        method,
        project=project,
        **input_options,
    )
    inp = folder.inputs / f"{project}.inp"
    inp.write_text(text)
    out = folder.outputs / f"{project}.out"
    env = {**os.environ, "OMP_NUM_THREADS": str(omp_threads)}
    clock = time.perf_counter()
    try:
        subprocess.run(
            [exe, "-i", str(inp.resolve()), "-o", str(out.resolve())],
            cwd=folder.outputs,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.CalledProcessError as exc:
        raise SimulationError(f"CP2K failed (exit {exc.returncode}); see {out}: {exc.stderr[-500:]}") from exc
    except subprocess.TimeoutExpired as exc:
        raise SimulationError(f"CP2K did not finish within {timeout_s} s; see {out}") from exc
    wall = time.perf_counter() - clock
    log = folder.outputs / f"{project}-HILLS.metadynLog"
    if not log.is_file():
        raise SimulationError(f"CP2K wrote no hills log {log.name} (fewer steps than pace?); see {out}")
    names = [cv.name for cv in colvars]
    hills = read_cp2k_hills(log, names, [cv_kind(cv) for cv in colvars], bias_factor)
    plumed = folder.outputs / "HILLS"
    write_hills(plumed, hills.to_hillset(), names, bias_factor)
    parameters = {
        "engine": "cp2k",
        "method": method,
        "cv_names": names,
        "height_ev": height_ev,
        "widths": list(widths),
        "pace": pace,
        "bias_factor": bias_factor,
        "temperature_k": temperature_k,
        "steps": steps,
        "timestep_fs": timestep_fs,
        "natoms": len(atoms),
        **input_options,
    }
    result = CP2KMetaDResult(hills, log, plumed, out, folder.root, wall, exe, parameters)
    folder.write_summary(result, started=started)
    return result
