"""Keep freed heap memory in the process while a torch potential runs (glibc ``mallopt``).

A force call of an MLIP allocates and frees tensors of tens of MB. With glibc's defaults, and far more with
the ``MALLOC_TRIM_THRESHOLD_=65536`` that Dask sets for its workers, freed memory goes back to the kernel
and the next call faults it in again, page by page. Measured on the project's 2-core VM
(``benchmarks/bench_heap_trim.py``, ``docs/benchmarks.md`` "Heap trimming and force-call cost"): with two
Dask workers busy, a force call on 96-atom LiBH4 was 2.2× (CHGNet) and 1.8× (SevenNet-0) faster with the
settings below, the forces bit-identical (only where freed memory goes changes, not the arithmetic).
The price: a process keeps up to its peak heap (about 1 GB for a 100-atom SevenNet job) until it ends.

:func:`keep_freed_memory` is called by :func:`sselab.simulate.potentials.get_calculator`; set
``SSELAB_KEEP_FREED_MEMORY=0`` to leave the allocator as it is. It does nothing outside glibc (macOS,
musl), and tells you so by returning ``False``.

Example
-------
>>> MALLOPT_SETTINGS["M_TRIM_THRESHOLD"]  # (mallopt parameter, bytes kept before trimming)
(-1, 1073741824)
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import platform

from sselab.config import get_settings

__all__ = ["MALLOPT_SETTINGS", "keep_freed_memory"]

logger = logging.getLogger(__name__)

#: ``mallopt`` parameters (glibc ``malloc.h`` numbers) and values: trim threshold 1 GiB, top pad
#: 256 MiB, mmap threshold 32 MiB (glibc's largest; larger blocks are still mapped and unmapped).
MALLOPT_SETTINGS: dict[str, tuple[int, int]] = {
    "M_TRIM_THRESHOLD": (-1, 1 << 30),
    "M_TOP_PAD": (-2, 1 << 28),
    "M_MMAP_THRESHOLD": (-3, 1 << 25),
}

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Apply :data:`MALLOPT_SETTINGS` once per process; ``True`` when glibc accepted them.

    Skipped (``False``) with ``SSELAB_KEEP_FREED_MEMORY=0``, off Linux, or without glibc's ``mallopt``.
    """
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if not get_settings().keep_freed_memory or platform.system() != "Linux":
        return _applied
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return _applied
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    _applied = all(mallopt(param, value) == 1 for param, value in MALLOPT_SETTINGS.values())
    logger.info("glibc mallopt %s: %s", MALLOPT_SETTINGS, "applied" if _applied else "refused")
    return _applied
