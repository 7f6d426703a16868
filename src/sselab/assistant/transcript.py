"""Transcripts of assistant sessions: saved as JSON, auditable, and replayable without the model.

A transcript holds the question, the model and endpoint, every tool call with its arguments and a summary and
digest of its result, the final answer, figures, SQL and DOIs, with timestamps. :func:`replay` re-executes the
recorded tool calls in order on a store and reports every call whose result digest differs.

Example::

    >>> from sselab.assistant.transcript import load_transcript  # doctest: +SKIP
    >>> report = replay(load_transcript("out/transcript.json"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from sselab import __version__
from sselab.assistant.registry import ToolContext, ToolRegistry
from sselab.errors import ConfigError

TRANSCRIPT_VERSION = 1


def now_iso() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.now(UTC).isoformat()


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


@dataclass
class ToolCallRecord:
    """One tool call: the model's call id, tool name, arguments, result id and audit record of the result."""

    call_id: str
    name: str
    arguments: Any
    result_id: str | None
    result: dict[str, Any]
    started_at: str


@dataclass
class Transcript:
    """A whole assistant session (see the module docstring)."""

    question: str
    model: str
    base_url: str | None
    store_url: str
    max_steps: int
    started_at: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    answer: str | None = None
    stopped_reason: str | None = None
    dois: list[str] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    finished_at: str | None = None
    sselab_version: str = __version__
    version: int = TRANSCRIPT_VERSION

    @classmethod
    def start(
        cls, question: str, model: str, base_url: str | None, context: ToolContext, max_steps: int
    ) -> Transcript:
        """A new transcript for ``question`` (password of the store URL hidden)."""
        return cls(
            question=question,
            model=model,
            base_url=base_url,
            store_url=_safe_url(context.store_url),
            max_steps=max_steps,
            started_at=now_iso(),
        )

    def add_step(self, step: int, content: str | None, calls: list[ToolCallRecord]) -> None:
        """Record one model turn: its text and the tool calls it requested."""
        self.steps.append(
            {"step": step, "at": now_iso(), "content": content, "tool_calls": [asdict(c) for c in calls]}
        )

    def finish(
        self,
        answer: str | None,
        stopped_reason: str,
        dois: tuple[str, ...],
        sql: tuple[str, ...],
        figures: tuple[str, ...],
    ) -> None:
        """Record the outcome."""
        self.answer = answer
        self.stopped_reason = stopped_reason
        self.dois, self.sql, self.figures = list(dois), list(sql), list(figures)
        self.finished_at = now_iso()

    def tool_calls(self) -> list[dict[str, Any]]:
        """All recorded tool calls in order."""
        return [call for step in self.steps for call in step["tool_calls"]]

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return asdict(self)

    def save(self, path: Path) -> Path:
        """Write the transcript as indented JSON to ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), indent=2, ensure_ascii=False))
        return path


def load_transcript(path: str | Path) -> Transcript:
    """Read a transcript saved by :meth:`Transcript.save`; names the file and field when it is not one."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read transcript {path}: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("version") != TRANSCRIPT_VERSION:
        raise ConfigError(f"{path}: not an sselab transcript (field 'version' must be {TRANSCRIPT_VERSION})")
    known = Transcript.__dataclass_fields__
    missing = [
        name for name in ("question", "model", "store_url", "max_steps", "started_at") if name not in raw
    ]
    if missing:
        raise ConfigError(f"{path}: transcript lacks field(s) {', '.join(missing)}")
    return Transcript(**{k: v for k, v in raw.items() if k in known})


@dataclass(frozen=True)
class ReplayMismatch:
    """A replayed call whose result differs from the recorded one."""

    index: int
    name: str
    expected_digest: str
    actual_digest: str
    expected_summary: str
    actual_summary: str


@dataclass(frozen=True)
class ReplayReport:
    """Outcome of :func:`replay`: how many calls were re-run and which differ."""

    n_calls: int
    mismatches: tuple[ReplayMismatch, ...]

    @property
    def matches(self) -> bool:
        """True when every replayed result equals the recorded one."""
        return not self.mismatches


def replay(transcript: Transcript, context: ToolContext, registry: ToolRegistry) -> ReplayReport:
    """Re-execute the transcript's tool calls in order, without the model, and compare result digests.

    Parameters
    ----------
    transcript
        A loaded transcript.
    context
        Tool context on the store to replay against (usually the recorded store).
    registry
        The tools.
    """
    mismatches = []
    calls = transcript.tool_calls()
    for index, call in enumerate(calls):
        arguments = call["arguments"]
        result = registry.call(
            context, call["name"], arguments if isinstance(arguments, dict) else str(arguments)
        )
        if result.ok:
            context.remember(result)
        expected = call["result"]
        actual_digest = result.result_digest()
        if actual_digest != expected.get("digest"):
            mismatches.append(
                ReplayMismatch(
                    index=index,
                    name=call["name"],
                    expected_digest=str(expected.get("digest")),
                    actual_digest=actual_digest,
                    expected_summary=str(expected.get("summary")),
                    actual_summary=result.summary,
                )
            )
    return ReplayReport(len(calls), tuple(mismatches))
