"""Concurrent writers on one SQLite store: imports wait for each other instead of failing."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path

import pandas as pd

from sselab.store import ActivationEnergyRecord, ConductivityRecord, ImportBatch, MaterialRecord, open_store

ROWS = 3000


def _batch(name: str, sha_char: str) -> ImportBatch:
    records = [
        ConductivityRecord(MaterialRecord(f"Li{name}{i % 50}"), 300.0 + i * 0.01, 1e-5, row_number=i + 2)
        for i in range(ROWS)
    ]
    return ImportBatch(name, sha_char * 64, f"{name}.csv", conductivities=records)


def _import_after_barrier(args: tuple[str, str, str, object]) -> str:
    url, name, sha_char, barrier = args
    store = open_store(url)
    batch = _batch(name, sha_char)
    barrier.wait()  # type: ignore[attr-defined]
    try:
        result = store.import_batch(batch)
    except Exception as exc:  # the report names the failure of the losing process
        return f"{type(exc).__name__}: {exc}"
    finally:
        store.close()
    return f"ok {result.inserted['conductivity_measurements']}"


def test_two_concurrent_imports_into_one_file_both_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    open_store(url).close()  # created and migrated once
    context = multiprocessing.get_context("fork")
    for attempt in range(3):  # the race is not deterministic: three rounds, each must succeed for both
        with context.Manager() as manager:
            barrier = manager.Barrier(2)
            jobs = [(url, f"a{attempt}", "a", barrier), (url, f"b{attempt}", "b", barrier)]
            with context.Pool(2) as pool:
                outcomes = pool.map(_import_after_barrier, jobs)
        assert outcomes == [f"ok {ROWS}", f"ok {ROWS}"], outcomes
    store = open_store(url)
    assert store.stats()["conductivity_measurements"] == 6 * ROWS
    store.close()


def test_import_waits_for_a_writer_holding_the_lock(tmp_path: Path) -> None:
    """Another connection holds the write lock for 1.5 s: the import waits (busy timeout) and succeeds."""
    path = tmp_path / "locked.sqlite"
    store = open_store(f"sqlite:///{path}")
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO sources (doi) VALUES ('10.1/holder')")
    released = threading.Event()

    def release() -> None:
        time.sleep(1.5)
        holder.execute("COMMIT")
        released.set()

    thread = threading.Thread(target=release)
    thread.start()
    start = time.perf_counter()
    result = store.import_batch(_batch("waiting", "c"))
    waited = time.perf_counter() - start
    thread.join()
    holder.close()
    assert released.is_set() and waited >= 1.0
    assert result.inserted["conductivity_measurements"] == ROWS
    assert store.stats()["sources"] == 1
    store.close()


def _screen_and_record_after_barrier(args: tuple[str, str, object]) -> str:
    """Screening runs and simulation results (read-then-write transactions) written in a loop."""
    url, name, barrier = args
    store = open_store(url)
    formulas = [f"Mg(BH4)2·{n}NH3" for n in range(1, 40)]
    rows = pd.DataFrame(
        {"candidate_formula": formulas, "route": "y1", "model_kind": "given", "activation_energy_ev": 0.5,
         "rank": range(1, 40)}
    )  # fmt: skip
    barrier.wait()  # type: ignore[attr-defined]
    try:
        for i in range(15):
            store.save_screening(f"{name}-{i % 3}", rows, criterion="point")  # replaces: reads, then writes
            store.save_model_fit(f"{name}-fit", {"kind": "linear", "i": i})
            store.add_activation_energy(
                ActivationEnergyRecord(MaterialRecord(f"Li{name}"), 0.4 + i * 0.01, "MetaD", dataset=name)
            )
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        store.close()
    return "ok"


def test_concurrent_screening_and_simulation_writers_wait_for_each_other(tmp_path: Path) -> None:
    """Every write path (screening runs, model fits, single results) takes the lock at BEGIN IMMEDIATE."""
    url = f"sqlite:///{tmp_path / 'writers.sqlite'}"
    open_store(url).close()
    context = multiprocessing.get_context("fork")
    with context.Manager() as manager:
        barrier = manager.Barrier(3)
        with context.Pool(3) as pool:
            outcomes = pool.map(
                _screen_and_record_after_barrier, [(url, n, barrier) for n in ("a", "b", "c")]
            )
    assert outcomes == ["ok", "ok", "ok"], outcomes
    store = open_store(url)
    assert len(store.screening_runs_frame()) == 9 and store.stats()["activation_energies"] == 45
    store.close()
