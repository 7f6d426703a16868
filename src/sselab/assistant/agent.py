"""The agent loop: an OpenAI-compatible chat model answers a question by calling the assistant's tools.

Works with any server speaking the Chat Completions protocol with ``tools=`` (OpenAI, vLLM, Ollama,
llama.cpp's ``llama-server --jinja``, LM Studio). Settings: ``SSELAB_LLM_BASE_URL``, ``SSELAB_LLM_MODEL``,
``SSELAB_LLM_API_KEY`` (read through :func:`sselab.config.get_settings`). Every step is recorded in a
:class:`~sselab.assistant.transcript.Transcript` so that the answer can be audited and replayed.

Example::

    >>> from sselab.assistant.agent import LLMSettings
    >>> LLMSettings(model="qwen2.5:7b-instruct", base_url="http://localhost:11434/v1").configured
    True
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sselab.assistant.registry import ToolContext, ToolRegistry
from sselab.assistant.results import merge_dois
from sselab.assistant.transcript import ToolCallRecord, Transcript, now_iso
from sselab.config import get_settings
from sselab.errors import ConfigError

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = """You are sselab's assistant for solid-state electrolyte data (ionic conductivity \
sigma in S/cm at temperature T in K, activation energy Ea in eV, by experiment or simulation methods), \
stored in a read-only database.
Rules:
- Answer only from tool results; never invent numbers. If the data cannot answer, say so.
- Prefer filter_materials and the insight_* recipes; use describe_schema before writing SQL with run_sql.
- run_sql accepts ONE read-only SELECT/WITH statement; include the doi column so sources can be cited.
- If a tool returns ok=false, read the error, fix the arguments and try again.
- Use make_figure with source_result_id of an earlier result to plot rows.
- Finish with a concise answer that states the numbers, their units and the DOIs of the rows used."""

DEFAULT_MAX_STEPS = 8


@dataclass(frozen=True)
class LLMSettings:
    """Where the chat model is: OpenAI-compatible base URL, model name and API key."""

    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    timeout_s: float = 120.0

    @property
    def configured(self) -> bool:
        """True when a model name and an endpoint (a base URL or an OpenAI API key) are set."""
        return bool(self.model) and bool(self.base_url or self.api_key)

    @classmethod
    def from_settings(cls) -> LLMSettings:
        """Read ``SSELAB_LLM_*`` through :func:`sselab.config.get_settings`."""
        s = get_settings()
        return cls(model=s.llm_model, base_url=s.llm_base_url, api_key=s.llm_api_key)


@dataclass(frozen=True)
class AgentAnswer:
    """The outcome of :func:`ask`: the model's answer plus what the tools did (not taken from the model)."""

    answer: str | None
    stopped_reason: str
    dois: tuple[str, ...]
    sql: tuple[str, ...]
    figures: tuple[str, ...]
    transcript: Transcript
    transcript_path: Path | None


def _assistant_message(message: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"role": "assistant", "content": message.content or ""}
    if message.tool_calls:
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments or "{}"},
            }
            for call in message.tool_calls
        ]
    return out


def _client(settings: LLMSettings) -> Any:
    # lazy: openai takes ~1 s to import; only a call to the model needs it
    from openai import OpenAI

    return OpenAI(
        base_url=settings.base_url,
        api_key=settings.api_key or "not-needed",
        timeout=settings.timeout_s,
        max_retries=1,
    )


def _complete(
    client: Any,
    settings: LLMSettings,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    transcript: Transcript,
    path: Path,
) -> Any:
    """One Chat Completions call; an unreachable or failing endpoint saves the transcript and raises."""
    # lazy: openai takes ~1 s to import; only a call to the model needs it
    from openai import APIError

    try:
        response = client.chat.completions.create(
            model=settings.model, messages=messages, tools=tools, temperature=0
        )
    except APIError as exc:
        transcript.finish(None, "llm_error", (), (), ())
        transcript.save(path)
        raise ConfigError(
            f"the LLM endpoint {settings.base_url or 'api.openai.com'} (model {settings.model!r}) "
            f"failed: {exc}; transcript so far: {path}"
        ) from exc
    if not response.choices:
        raise ConfigError(f"the LLM endpoint {settings.base_url} returned no choices")
    return response.choices[0].message


def ask(
    question: str,
    context: ToolContext,
    registry: ToolRegistry,
    settings: LLMSettings | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
    transcript_path: Path | None = None,
) -> AgentAnswer:
    """Answer ``question`` with the chat model, which may call ``registry``'s tools for ``max_steps`` turns.

    Parameters
    ----------
    question
        The user's question in plain language.
    context
        Tool context (store, output folder, SQL limits).
    registry
        The tools offered to the model.
    settings
        LLM endpoint; default from ``SSELAB_LLM_*``.
    max_steps
        Most model turns (each may request several tool calls).
    transcript_path
        Where to save the JSON transcript (default ``<out_dir>/transcript.json``).

    Raises
    ------
    ConfigError
        When no model is configured.
    """
    settings = settings or LLMSettings.from_settings()
    if not settings.configured:
        raise ConfigError(
            "no LLM configured: set SSELAB_LLM_MODEL and SSELAB_LLM_BASE_URL (or SSELAB_LLM_API_KEY)"
        )
    if max_steps < 1:
        raise ConfigError(f"max_steps must be at least 1, got {max_steps}")
    client = _client(settings)
    transcript = Transcript.start(question, settings.model or "", settings.base_url, context, max_steps)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": question},
    ]
    tools = registry.openai_tools()
    answer: str | None = None
    stopped_reason = "step_limit"
    path = transcript_path or context.out_dir / "transcript.json"
    for step in range(1, max_steps + 1):
        message = _complete(client, settings, messages, tools, transcript, path)
        messages.append(_assistant_message(message))
        if not message.tool_calls:
            answer = message.content or ""
            stopped_reason = "answered"
            transcript.add_step(step, message.content, [])
            break
        records = []
        for call in message.tool_calls:
            arguments_text = call.function.arguments or "{}"
            result = registry.call(context, call.function.name, arguments_text)
            result_id = context.remember(result) if result.ok else None
            logger.info("step %d: %s -> %s", step, call.function.name, result.summary[:200])
            try:
                arguments: Any = json.loads(arguments_text)
            except json.JSONDecodeError:
                arguments = arguments_text
            records.append(
                ToolCallRecord(
                    call_id=call.id,
                    name=call.function.name,
                    arguments=arguments,
                    result_id=result_id,
                    result=result.audit_record(),
                    started_at=now_iso(),
                )
            )
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": call.id,
                    "content": result.model_message(result_id),
                }
            )
        transcript.add_step(step, message.content, records)
    ok_results = list(context.results.values())
    dois = merge_dois(*(r.dois for r in ok_results))
    sql = tuple(s for r in ok_results for s in r.sql)
    figures = tuple(f for r in ok_results for f in r.figures)
    transcript.finish(answer, stopped_reason, dois, sql, figures)
    transcript.save(path)
    return AgentAnswer(answer, stopped_reason, dois, sql, figures, transcript, path)
