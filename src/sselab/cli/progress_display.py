"""Showing :class:`sselab.progress.ProgressEvent` reports on the terminal: bars with rate and time left.

On a terminal each (stage, label) gets a rich progress bar (``done/total unit``, ``unit/s``, time left) and a
summary line when it completes; elsewhere (a log, CI) a text line per label at most every
:data:`TEXT_INTERVAL_S`, and the summary.

Example::

    >>> from rich.console import Console
    >>> from sselab.progress import ProgressEvent
    >>> display = ProgressDisplay(Console(file=open("/dev/null", "w"), force_terminal=False))
    >>> display.update("metad", ProgressEvent("MetaD LiBH4", 200, 200, "steps", 80.0))
    >>> display.close()
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from sselab.progress import ProgressEvent

TEXT_INTERVAL_S = 15.0
"""Seconds between two text lines of one label when the output is not a terminal."""


def _seconds(value: float | None) -> str:
    if value is None:
        return "-:--"
    minutes, seconds = divmod(round(value), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def describe(event: ProgressEvent) -> str:
    """``120/200 steps, 2.1 steps/s, 0:38 left`` (or ``done in 1:35`` when complete)."""
    total = f"/{event.total:g}" if event.total is not None else ""
    rate = f", {event.rate_per_s:.3g} {event.unit}/s" if event.rate_per_s else ""
    if event.total is not None and event.done >= event.total:
        return f"{event.done:g}{total} {event.unit} in {_seconds(event.elapsed_s)}{rate}"
    return f"{event.done:g}{total} {event.unit}{rate}, {_seconds(event.remaining_s)} left"


class ProgressDisplay:
    """Receives ``(stage, event)`` (the ``on_progress`` of :func:`sselab.pipeline.run_pipeline`)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self._progress: Progress | None = None
        self._tasks: dict[tuple[str, str], Any] = {}
        self._printed: dict[tuple[str, str], float] = {}
        self._finished: set[tuple[str, str]] = set()

    def _bars(self) -> Progress:
        if self._progress is None:
            self._progress = Progress(
                TextColumn("  {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TextColumn("{task.fields[left]}"),
                console=self.console,
                transient=True,
            )
            self._progress.start()
        return self._progress

    def update(self, stage: str, event: ProgressEvent) -> None:
        """Show ``event`` of ``stage``."""
        key = (stage, event.label)
        if key in self._finished:
            return
        done = event.total is not None and event.done >= event.total
        if self.live:
            bars = self._bars()
            rate = f"{event.rate_per_s:.3g} {event.unit}/s" if event.rate_per_s else ""
            left = f"{_seconds(event.remaining_s)} left" if not done else ""
            if key not in self._tasks:
                self._tasks[key] = bars.add_task(
                    f"{stage}: {event.label}", total=event.total, rate=rate, left=left
                )
            bars.update(self._tasks[key], completed=event.done, total=event.total, rate=rate, left=left)
        now = time.monotonic()
        if done:
            self._finished.add(key)
            if self.live and key in self._tasks:
                self._bars().remove_task(self._tasks.pop(key))
            self.console.print(
                f"    {stage}: {event.label}: {describe(event)}", highlight=False, soft_wrap=True
            )
        elif not self.live and now - self._printed.get(key, -TEXT_INTERVAL_S) >= TEXT_INTERVAL_S:
            self._printed[key] = now
            self.console.print(
                f"    {stage}: {event.label}: {describe(event)}", highlight=False, soft_wrap=True
            )

    def print(self, text: str) -> None:
        """A line above the bars."""
        self.console.print(text)

    def close(self) -> None:
        """Remove the bars."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
