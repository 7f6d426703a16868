"""Progress of long work: reported by the code doing it, shown by whoever runs it (standard library only).

Any function, in any stage, calls :func:`report_progress` as it advances (``report_progress(120, 200,
label="MetaD LiBH4", unit="steps")``). Nothing happens unless the caller installed a sink with
:func:`progress_sink`: the pipeline installs one per stage and per job (on a Dask worker the sink sends the
event to the client, see :mod:`sselab.pipeline.executor`), and the command line shows the events as bars
with steps/s and the time left. Reports are throttled per label (at most one every
:data:`MIN_INTERVAL_S`, plus the last one), so calling this every step costs nothing.

Example::

    >>> events = []
    >>> with progress_sink(events.append):
    ...     for step in range(1, 4):
    ...         report_progress(step, 3, label="demo")
    >>> events[-1].done, events[-1].total, events[-1].label
    (3.0, 3.0, 'demo')
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

MIN_INTERVAL_S = 0.5
"""Shortest interval between two reports of one label (the first and the last always go)."""


@dataclass(frozen=True)
class ProgressEvent:
    """Where a piece of work stands.

    Attributes
    ----------
    label
        What advances (``"MetaD libh4-pnma"``, ``"obelix rows"``).
    done, total
        Units done and expected (``total`` None when unknown).
    unit
        What is counted (``"steps"``, ``"rows"``, ``"structures"``).
    elapsed_s
        Seconds since the first report of this label in this sink.
    """

    label: str
    done: float
    total: float | None
    unit: str = "steps"
    elapsed_s: float = 0.0

    @property
    def rate_per_s(self) -> float | None:
        """Units per second so far (None before any time has passed)."""
        return self.done / self.elapsed_s if self.elapsed_s > 0 else None

    @property
    def remaining_s(self) -> float | None:
        """Estimated seconds left at the current rate (None when unknown)."""
        rate = self.rate_per_s
        if self.total is None or not rate:
            return None
        return max(self.total - self.done, 0.0) / rate

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (sent from Dask workers to the client)."""
        return {"label": self.label, "done": self.done, "total": self.total, "unit": self.unit,
                "elapsed_s": self.elapsed_s}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ProgressEvent:
        """Rebuild from :meth:`as_dict`."""
        total = data.get("total")
        return cls(str(data["label"]), float(data["done"]), None if total is None else float(total),  # type: ignore[arg-type]
                   str(data.get("unit", "steps")), float(data.get("elapsed_s", 0.0)))  # type: ignore[arg-type]  # fmt: skip


ProgressSink = Callable[[ProgressEvent], None]


@dataclass
class _Installed:
    sink: ProgressSink
    started: dict[str, float] = field(default_factory=dict)
    last: dict[str, float] = field(default_factory=dict)


_CURRENT: ContextVar[_Installed | None] = ContextVar("sselab_progress_sink", default=None)


@contextmanager
def progress_sink(sink: ProgressSink) -> Iterator[None]:
    """Send the :func:`report_progress` calls made inside the block (this thread/context) to ``sink``."""
    token = _CURRENT.set(_Installed(sink))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def report_progress(done: float, total: float | None = None, *, label: str = "", unit: str = "steps") -> None:
    """Report that ``done`` of ``total`` units of ``label`` are done (no-op without a sink; throttled)."""
    installed = _CURRENT.get()
    if installed is None:
        return
    now = time.monotonic()
    started = installed.started.setdefault(label, now)
    last = installed.last.get(label)
    final = total is not None and done >= total
    if last is not None and now - last < MIN_INTERVAL_S and not final:
        return
    installed.last[label] = now
    try:
        installed.sink(
            ProgressEvent(label, float(done), None if total is None else float(total), unit, now - started)
        )
    except Exception:  # a display that fails must never stop the work it displays
        _CURRENT.set(None)
