"""Shared helpers of the assistant tests: a real store from the public datasets, and a scripted LLM server.

The scripted server is the only test double: a local OpenAI-compatible ``POST /v1/chat/completions``
endpoint on 127.0.0.1 whose replies are scripted by the test (tool calls, then a final answer). It records
every request so tests can check what the agent sent back to the model.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

_REAL_STORE: dict[str, Path] = {}


def real_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store with ``wang2025-ea`` and ``liverpool-ionics`` imported from the mirror (built once)."""
    if "path" not in _REAL_STORE:
        from sselab.datasets import import_dataset
        from sselab.store import open_store

        path = tmp_path_factory.mktemp("assistant_store") / "real.sqlite"
        store = open_store(f"sqlite:///{path}")
        import_dataset("wang2025-ea", store, progress=False)
        import_dataset("liverpool-ionics", store, progress=False)
        store.close()
        _REAL_STORE["path"] = path
    return _REAL_STORE["path"]


def copy_store(source: Path, folder: Path, name: str = "store.sqlite") -> Path:
    """A private copy of a store file (tests that add rows or check checksums use their own)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.copyfile(source, target)
    return target


def sha256_of(path: Path) -> str:
    """sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tool_call_reply(
    calls: list[tuple[str, dict[str, Any] | str]], content: str | None = None
) -> dict[str, Any]:
    """A scripted assistant message requesting ``calls`` (name, arguments)."""
    return {
        "role": "assistant",
        "content": content,
        "tool_calls": [
            {
                "id": f"call_{i}_{name}",
                "type": "function",
                "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
            }
            for i, (name, args) in enumerate(calls)
        ],
    }


def answer_reply(text: str) -> dict[str, Any]:
    """A scripted final answer."""
    return {"role": "assistant", "content": text}


Reply = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]


class ScriptedLLM:
    """The script and the requests received (each request body as parsed JSON)."""

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []
        self.base_url = ""

    def next_reply(self, body: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(body)
        if not self.replies:
            return answer_reply("script exhausted")
        reply = self.replies.pop(0)
        return reply(body) if callable(reply) else reply


def _handler(script: ScriptedLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # silence the test output
            return

        def do_POST(self) -> None:
            if self.path.rstrip("/") != "/v1/chat/completions":
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            message = script.next_reply(body)
            payload = {
                "id": f"chatcmpl-{len(script.requests)}",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "scripted"),
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def scripted_llm_server(replies: list[Reply]) -> Iterator[ScriptedLLM]:
    """Serve ``replies`` on 127.0.0.1 at a free port; yields the script with ``base_url`` set."""
    script = ScriptedLLM(replies)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    script.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield script
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def tool_messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool results (parsed JSON) in a request's messages, in order."""
    return [json.loads(m["content"]) for m in request["messages"] if m.get("role") == "tool"]
