"""Shared set-up of the web tests: a store with the four public datasets (built once per session), the same
with the paper's screening candidates, a live ``sselab serve`` app on 127.0.0.1, the headless Debian chromium
for Playwright, and a reader of the pages' HTML tables."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

PUBLIC_DATASETS = ("wang2025-ea", "obelix", "liverpool-ionics", "laskowski2023")
SCREENING_DATASET = "wang2025-candidates"
"""Wang et al. 2025 Supplementary Dataset 2: a screening run of 558 predictions and the published lines."""
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_PUBLIC: dict[str, Path] = {}


def public_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store with the four public datasets imported from the mirror (built once per session)."""
    if "path" not in _PUBLIC:
        from sselab.datasets import import_dataset
        from sselab.store import open_store

        path = tmp_path_factory.mktemp("web_store") / "public.sqlite"
        store = open_store(f"sqlite:///{path}")
        for name in PUBLIC_DATASETS:
            import_dataset(name, store, progress=False)
        store.close()
        _PUBLIC["path"] = path
    return _PUBLIC["path"]


def screening_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The public store plus :data:`SCREENING_DATASET` imported from the mirror (built once per session)."""
    if "screening" not in _PUBLIC:
        from sselab.datasets import import_dataset
        from sselab.store import open_store

        path = copy_of(public_store_file(tmp_path_factory), tmp_path_factory.mktemp("web_screening_store"))
        store = open_store(f"sqlite:///{path}")
        import_dataset(SCREENING_DATASET, store, progress=False)
        store.close()
        _PUBLIC["screening"] = path
    return _PUBLIC["screening"]


class _TableReader(HTMLParser):
    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.depth = 0  # > 0 inside the wanted table
        self.header: list[str] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and (self.depth or dict(attrs).get("id") == self.table_id):
            self.depth += 1
        elif self.depth == 1 and tag == "thead":
            self.in_head = True
        elif self.depth == 1 and tag == "tr" and not self.in_head:
            self.rows.append([])
        elif self.depth == 1 and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth == 1 and tag == "thead":
            self.in_head = False
        elif self.depth == 1 and tag in ("td", "th") and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            (self.header if self.in_head else self.rows[-1]).append(text)
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def html_table(html: str, table_id: str) -> tuple[list[str], list[list[str]]]:
    """(header cells, body rows as lists of cell texts, whitespace collapsed) of ``<table id=table_id>``."""
    reader = _TableReader(table_id)
    reader.feed(html)
    if not reader.header and not reader.rows:
        raise AssertionError(f"no table with id {table_id!r} in the page")
    return reader.header, reader.rows


def copy_of(source: Path, folder: Path) -> Path:
    """A private copy of a store file."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(source, folder / source.name))


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def web_app(store_path: Path, **kwargs: Any) -> Any:
    """The app over a read-only store at ``store_path`` (as ``sselab serve`` builds it)."""
    from sselab.assistant.access import open_readonly_store
    from sselab.web import create_app

    url = f"sqlite:///{store_path}"
    return create_app(open_readonly_store(url), display_url=url, **kwargs)


@contextmanager
def live_server(store_path: Path, **kwargs: Any) -> Iterator[str]:
    """Serve the app with uvicorn in a thread on 127.0.0.1; yields the base URL."""
    import uvicorn

    port = free_port()
    app = web_app(store_path, allowed_hosts=["127.0.0.1", "localhost"], **kwargs)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def browser_or_skip() -> Any:
    """Playwright's sync API, or skip with the reason when it or Debian's chromium is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium; .ci/run does it)")
    try:
        from playwright.sync_api import sync_playwright
    except ModuleNotFoundError:
        pytest.skip("the playwright package is not installed (pip install -e '.[dev]')")
    return sync_playwright
