"""Kill the pipeline with SIGKILL during its simulation stage, rerun it: it completes, finished stages and
jobs are not recomputed, and the store holds no duplicate rows.

The simulation is real metadynamics, made cheap: a Cu vacancy hop with ASE's EMT potential (``potential =
"emt"``) and a few hundred steps per job, on a one-worker Dask cluster so the jobs finish one after the other.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from sqlalchemy import text

from sselab.simulate.metad.replicas import MetaDReplicaSet
from sselab.store import open_store

JOBS = 3


def _config(tmp_path: Path) -> Path:
    from ase.build import bulk
    from ase.io import write

    cif = tmp_path / "cu.cif"
    write(cif, bulk("Cu", "fcc", a=3.61, cubic=True).repeat((2, 2, 2)))
    path = tmp_path / "tiny.toml"
    path.write_text(
        f"""
[pipeline]
name = "tiny"
seed = 3
out_dir = "{tmp_path / "out"}"
store = "sqlite:///{tmp_path / "store.db"}"
n_workers = 1
stages = ["data", "metad", "method_benchmark", "report"]

[stages.data]
datasets = ["wang2025-ea"]

[stages.metad]
structures = [{{ path = "{cif}", cation = "Cu", name = "cu-vacancy" }}]
replicas = {JOBS}
potential = "emt"
protocol = "vacancy"
supercell_min_length_a = 0.0
relax_steps = 0
npt_steps = 0
equilibration_steps = 0
temperature_k = 900.0
steps = 500
pace = 10
height_ev = 0.1
width_a = 0.2
bias_factor = 20.0
checkpoint_every = 50
store_unconverged = true
""",
        encoding="utf-8",
    )
    return path


def _command(config: Path) -> list[str]:
    return [sys.executable, "-m", "sselab", "pipeline", "run", str(config)]


def _state(out: Path) -> dict | None:
    try:
        return json.loads((out / "pipeline_state.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _kill_during_metad(config: Path, out: Path, timeout_s: float = 90.0) -> dict:
    """Start the pipeline in its own process group; SIGKILL the group once one MetaD job is done, not all."""
    proc = subprocess.Popen(
        _command(config), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            state = _state(out)
            jobs = (state or {}).get("jobs") or {}
            if state and state.get("stage") == "metad" and 1 <= jobs.get("done", 0) < jobs.get("total", 0):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                return state
            assert proc.poll() is None, "the pipeline ended before it could be killed"
            time.sleep(0.05)
        raise AssertionError(f"no MetaD job finished within {timeout_s} s; state: {_state(out)}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def _duplicates(store_url: str) -> dict[str, int]:
    store = open_store(store_url)
    checks = {
        "activation_energies": "SELECT COUNT(*) FROM (SELECT material_id, method, activation_energy_ev, "
        "run_folder, dataset, row_number, COUNT(*) AS n FROM activation_energies "
        "GROUP BY material_id, method, activation_energy_ev, run_folder, dataset, row_number HAVING n > 1)",
        "stage_results": "SELECT COUNT(*) FROM (SELECT stage, input_hash, COUNT(*) AS n FROM stage_results "
        "GROUP BY stage, input_hash HAVING n > 1)",
        "search_individuals": "SELECT COUNT(*) FROM (SELECT run_id, key, COUNT(*) AS n "
        "FROM search_individuals "
        "GROUP BY run_id, key HAVING n > 1)",
    }
    with store.engine.connect() as conn:
        return {name: int(conn.execute(text(sql)).scalar() or 0) for name, sql in checks.items()}


def _provenance(frame: pd.DataFrame, stage: str) -> list[str]:
    rows = frame[frame["stage"] == stage]
    return sorted(json.dumps(p, sort_keys=True) for p in rows["provenance"])


def test_sigkill_during_metad_then_rerun_completes_without_duplicates_or_recomputation(
    tmp_path: Path,
) -> None:
    config, out = _config(tmp_path), tmp_path / "out"
    url = f"sqlite:///{tmp_path / 'store.db'}"
    killed_state = _kill_during_metad(config, out)
    assert killed_state["finished"] == ["data"]
    before = open_store(url).stage_results_frame()
    data_before, jobs_before = _provenance(before, "data"), _provenance(before, "metad/metad")
    assert 1 <= len(jobs_before) < JOBS
    ea_before = open_store(url).activation_energy_frame()

    rerun = subprocess.run(_command(config), capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    state = _state(out)
    assert state is not None and state["status"] == "finished"
    assert "data" in state["cached"] and "data" not in state["finished"]
    assert state["finished"] == ["metad", "method_benchmark", "report"]

    after = open_store(url).stage_results_frame()
    assert _provenance(after, "data") == data_before  # not recomputed
    jobs_after = _provenance(after, "metad/metad")
    assert len(jobs_after) == JOBS and set(jobs_before) <= set(jobs_after)  # finished jobs kept as they were
    assert _duplicates(url) == {"activation_energies": 0, "stage_results": 0, "search_individuals": 0}

    ea = open_store(url).activation_energy_frame()
    assert (ea["method"] == "experiment").sum() == (ea_before["method"] == "experiment").sum()
    metad = ea[ea["method"] == "MetaD"]
    assert metad["run_folder"].is_unique
    outputs = after[after["stage"] == "metad"]["outputs"].iloc[0]
    # the three replicas of the one structure are ONE result, stored (at most) once
    assert len(outputs["runs"]) == 1 and outputs["runs"][0]["replicas"] == JOBS
    combined = MetaDReplicaSet.from_dict(outputs["runs"][0]["combined"])
    assert len(combined.replicas) == JOBS and all(r.steps_done == 500 for r in combined.replicas)
    assert len(metad) == (1 if combined.activation_energy() is not None else 0)
    if len(metad):  # labelled unconverged: 1 ps cannot satisfy the stopping rule
        assert not metad["converged"].iloc[0] and set(metad["protocol"]) == {"vacancy"}
    assert (out / "report" / "report.html").is_file()

    third = subprocess.run(_command(config), capture_output=True, text=True, timeout=120)
    assert third.returncode == 0
    assert _state(out)["finished"] == [] and len(open_store(url).activation_energy_frame()) == len(ea)
