"""The search checkpoint: one protocol (store, worker SQLite file, memory); a SIGKILL in the middle of a write
loses at most the individual being written, never one already written, and never leaves half of one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sselab.store import open_store
from sselab.structures.checkpoint import MemoryCheckpoint, copy_individuals, open_checkpoint

# Writes individuals 0, 1, 2 ... with a large payload and prints the key of each one after its write returned
# (the acknowledgement a search relies on). With a second argument it also announces "writing KEY" inside the
# write's transaction, after the INSERT and before the COMMIT, and waits there: a kill then lands mid-write.
_WRITER = textwrap.dedent(
    """
    import sys
    import time

    from sqlalchemy import event

    from sselab.store import open_store  # what open_checkpoint(path) opens, without importing the search

    checkpoint = open_store(sys.argv[1])
    checkpoint.create_search_run("run", "LiBH4", {})
    current = {"key": None}
    if len(sys.argv) > 2:
        def pause_before_commit(conn):
            if current["key"] is not None:
                print("writing", current["key"], flush=True)
                time.sleep(0.5)
        event.listen(checkpoint.engine, "commit", pause_before_commit)
    done = len(checkpoint.search_individuals("run"))
    payload = "x" * 400_000
    for index in range(done, 10_000):
        current["key"] = key = f"{index:05d}"
        extra = {"index": index, "atoms": payload}
        checkpoint.add_search_individual("run", key, payload, -1.0 - index, 0, [], "random", True, extra)
        print(key, flush=True)
    """
)


def _kill(path: Path, script: Path, acks: int, mid_write: bool) -> tuple[list[str], bool]:
    """Run the writer and SIGKILL it after ``acks`` acknowledged writes: inside the next write's transaction
    (``mid_write``) or at some point of it; return the acknowledged keys and whether it died
    mid-transaction (it announced a write, inside the transaction, that it never acknowledged; the store is in
    WAL mode, so no rollback journal is left to show it)."""
    args = [sys.executable, str(script), str(path), *(["pause"] if mid_write else [])]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, bufsize=1)
    assert process.stdout is not None
    seen: list[str] = []
    announced: str | None = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline().split()
            if not line:
                break
            if line[0] != "writing":
                seen.append(line[0])
            elif len(seen) >= acks:
                announced = line[1]
                break  # the writer sits between its INSERT and its COMMIT
            if not mid_write and len(seen) >= acks:
                time.sleep(0.002 * (acks % 5))  # somewhere in the next write
                break
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
    rest = process.stdout.read().split()
    return seen + [w for w in rest if w != "writing"], announced is not None and announced not in rest


def test_sigkill_during_a_checkpoint_write_loses_at_most_the_individual_being_written(tmp_path: Path) -> None:
    path = tmp_path / "worker" / "checkpoint.sqlite"
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    acknowledged: list[str] = []
    for round_, mid_write in enumerate((True, False, True, False)):
        acks, hot = _kill(path, script, 2 + round_, mid_write)
        acknowledged += acks
        frame = open_checkpoint(path).search_individuals("run")
        keys = list(frame["key"])
        # every acknowledged write survived, in order, and at most the one being written is missing
        assert keys[: len(acknowledged)] == acknowledged
        assert len(keys) - len(acknowledged) in (0, 1)
        if mid_write:  # killed between INSERT and COMMIT: that individual is gone, the others are whole
            assert hot and keys == acknowledged
        acknowledged = keys  # a write that committed without its acknowledgement counts from now on
        # nothing half-written: each stored individual is whole
        assert all(len(c) == 400_000 for c in frame["cif"])
        assert [e["index"] for e in frame["extra"]] == list(range(len(keys)))
    assert len(acknowledged) >= 2 + 3 + 4 + 5


def test_open_checkpoint_gives_memory_a_file_store_or_the_object_itself(tmp_path: Path) -> None:
    assert isinstance(open_checkpoint(None), MemoryCheckpoint)
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    assert open_checkpoint(store) is store
    worker = open_checkpoint(tmp_path / "w.sqlite")
    worker.create_search_run("r", "LiBH4", {"z": 1})
    worker.add_search_individual("r", "00000", "cif", -4.0, 0, [], "random", True, {"index": 0})
    worker.add_search_individual("r", "00001", "cif", -4.1, 1, ["00000"], "strain", False, {"index": 1})
    assert copy_individuals(worker, store, "r", "LiBH4", {"by": "test"}) == 2
    assert copy_individuals(worker, store, "r", "LiBH4", {"by": "test"}) == 0
    frame = store.search_individuals("r")
    assert list(frame["parents"]) == [[], ["00000"]] and list(frame["relaxed"]) == [True, False]


@pytest.mark.parametrize("target", ["memory", "file"])
def test_every_checkpoint_is_idempotent_by_key(tmp_path: Path, target: str) -> None:
    checkpoint = open_checkpoint(None if target == "memory" else tmp_path / "c.sqlite")
    checkpoint.create_search_run("r", "LiBH4", {})
    assert checkpoint.add_search_individual("r", "00000", "cif", -4.0, 0, [], "random", True, {})
    assert not checkpoint.add_search_individual("r", "00000", "other", -9.0, 0, [], "random", True, {})
    assert list(checkpoint.search_individuals("r")["energy_ev_per_atom"]) == [-4.0]
