"""``sselab serve``: browse the store in a web browser (read-only, offline, no login)."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.engine import make_url

from sselab.assistant.access import open_readonly_store
from sselab.cli.common import DbOption
from sselab.config import get_settings
from sselab.errors import SselabError

try:  # the web extra (starlette, jinja2, uvicorn, plotly) is optional: `sselab serve` says how to install it
    import uvicorn

    from sselab.web import create_app
except ModuleNotFoundError as exc:
    MISSING_WEB_EXTRA: str | None = exc.name
else:
    MISSING_WEB_EXTRA = None

LOOPBACK_NAMES = ("127.0.0.1", "localhost")


def _fail(message: str, code: int = 2) -> typer.Exit:
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=code)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _port_free(host: str, port: int) -> str | None:
    """None when ``host:port`` can be bound, else the reason."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"cannot resolve host {host!r}: {exc}"
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --port"
    return None


def serve(
    db: DbOption = None,
    host: Annotated[
        str, typer.Option("--host", help="Interface to listen on (127.0.0.1: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    log_level: Annotated[
        str, typer.Option("--log-level", help="uvicorn log level (warning, info, debug).")
    ] = "warning",
) -> None:
    """Serve the store as a read-only web database: materials, σ(T) fits, comparisons, exports."""
    if MISSING_WEB_EXTRA is not None:
        raise _fail(f"{MISSING_WEB_EXTRA} is missing: install the web extra (pip install 'sselab[web]')")
    if log_level not in ("critical", "error", "warning", "info", "debug", "trace"):
        raise _fail(f"--log-level: {log_level!r} is not one of critical, error, warning, info, debug, trace")
    url = db if db and "://" in db else (f"sqlite:///{Path(db).expanduser().resolve()}" if db else None)
    url = url or get_settings().database_url
    try:
        store = open_readonly_store(url)
        counts = store.stats()
    except SselabError as exc:
        raise _fail(str(exc)) from exc
    display = make_plain(url) or store.engine.url.render_as_string(hide_password=True)
    reason = _port_free(host, port)
    if reason is not None:
        raise _fail(reason)
    console = Console()
    loopback = is_loopback(host)
    shown_host = f"[{host}]" if ":" in host else host
    console.print(
        f"sselab serve: [bold]http://{shown_host}:{port}/materials[/]  (read-only store {display}: "
        f"{counts['materials']} materials, {counts['conductivity_measurements']} σ points, "
        f"{counts['activation_energies']} Ea)  Ctrl-C stops it.",
        highlight=False,
        soft_wrap=True,
    )
    if not loopback:
        console.print(
            f"[bold yellow]warning:[/] listening on {host}, not on this machine only: anyone who can reach "
            f"port {port} can read the whole store. There is no authentication.",
            highlight=False,
            soft_wrap=True,
        )
    app = create_app(
        store,
        display_url=display,
        source_url=url,
        allowed_hosts=list(LOOPBACK_NAMES) if loopback and host != "::1" else None,
    )
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=log_level in ("info", "debug"))


def make_plain(url: str) -> str | None:
    """``url`` without a password (None when it holds one: then the rendered URL is shown)."""
    parsed = make_url(url)
    return None if parsed.password else url


def register(app: typer.Typer) -> None:
    """Add ``sselab serve`` to the main app."""
    app.command("serve")(serve)
