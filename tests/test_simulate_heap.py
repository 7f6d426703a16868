"""Freed heap memory stays in the process once a potential is made (glibc), and the setting turns it off."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.system() != "Linux", reason="glibc mallopt")

PROBE = """
import numpy as np
from sselab.simulate.potentials import get_calculator
from sselab.simulate.heap import keep_freed_memory

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

get_calculator("emt")
block = np.ones(20 * 2**20 // 8)  # 20 MB, every page touched
before = rss_mb()
del block
print(keep_freed_memory(), round(before - rss_mb(), 1))
"""


def _probe(keep: str) -> tuple[str, float]:
    env = {**os.environ, "SSELAB_KEEP_FREED_MEMORY": keep}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    applied, returned_mb = out.stdout.split()
    return applied, float(returned_mb)


def test_a_freed_block_stays_in_the_process_after_get_calculator() -> None:
    applied, returned_mb = _probe("1")
    assert applied == "True"
    assert returned_mb < 2.0  # kept: no page faults when the next force call needs it again


def test_the_setting_leaves_glibc_defaults_which_return_the_block() -> None:
    applied, returned_mb = _probe("0")
    assert applied == "False"
    assert returned_mb > 15.0  # glibc maps a block this large on its own and unmaps it on free
