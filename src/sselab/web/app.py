"""The Starlette application of ``sselab serve``: routes, templates, static files and the safety net.

Safety model (see ``docs/web.md``): only GET/HEAD routes; every query string validated by
:mod:`sselab.web.params` (unknown keys, bad values, reversed ranges, over-long strings are a 4xx page with the
reason); every database read through :mod:`sselab.store.browse`, i.e. bound parameters on the store's
read-only path with time and row limits; files served only from the package's own ``static`` folder or from
a run folder's ``figures`` listing; a Content-Security-Policy that allows scripts from this server only;
any unexpected error is a plain 500 page without a traceback (logged on the server).

Example::

    >>> from sselab.store import open_store
    >>> from sselab.web import create_app
    >>> app = create_app(open_store("sqlite://"))
    >>> sorted(r.path for r in app.routes)[:2]
    ['/', '/ask']
"""

from __future__ import annotations

import gzip
import logging
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from plotly.offline import get_plotlyjs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from sselab import __version__
from sselab.errors import SselabError, UnsafeQueryError
from sselab.store import browse
from sselab.web import views_ask, views_compare, views_material, views_materials, views_tables
from sselab.web.common import with_query
from sselab.web.params import BadRequest

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
STATIC_FILES = {"style.css": "text/css; charset=utf-8", "plots.js": "text/javascript; charset=utf-8"}
FACETS_TTL_S = 30.0
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend((k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items())
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


@lru_cache(maxsize=1)
def plotly_js() -> tuple[bytes, bytes]:
    """The plotly.js bundle shipped in the ``plotly`` package, plain and gzip-compressed (read once)."""
    raw = get_plotlyjs().encode("utf-8")
    return raw, gzip.compress(raw, compresslevel=6)


def _plotly(request: Request) -> Response:
    raw, packed = plotly_js()
    headers = {"Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type="text/javascript; charset=utf-8", headers=headers)
    return Response(raw, media_type="text/javascript; charset=utf-8", headers=headers)


def _static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in STATIC_FILES:  # a fixed list: no path from the request ever reaches the file system
        raise HTTPException(404, f"no static file {name[:60]!r}")
    return Response(
        (STATIC_DIR / name).read_bytes(),
        media_type=STATIC_FILES[name],
        headers={"Cache-Control": "public, max-age=3600"},
    )


class WebContext:
    """What every view needs: the read-only store, its URL as the user gave it, templates, cached facets."""

    def __init__(self, store: Any, display_url: str, source_url: str, llm: Any = None) -> None:
        self.store = store
        self.display_url = display_url
        self.source_url = source_url
        self.llm = llm
        self.templates = Jinja2Templates(directory=str(TEMPLATES_DIR))  # autoescapes .html
        self.templates.env.globals.update(version=__version__, store_url=display_url, url_with=with_query)
        self._facets: tuple[float, dict[str, list[Any]]] | None = None

    def facets(self) -> dict[str, list[Any]]:
        """Distinct values for the filters (re-read every :data:`FACETS_TTL_S` seconds)."""
        now = time.monotonic()
        if self._facets is None or now - self._facets[0] > FACETS_TTL_S:
            self._facets = (now, browse.facets(self.store))
        return self._facets[1]

    def render(self, request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
        """Render template ``name`` with ``context``."""
        return self.templates.TemplateResponse(request, name, context, status_code=status_code)


def _error_page(request: Request, status: int, reason: str) -> Response:
    web: WebContext | None = getattr(request.app.state, "web", None)
    if web is None:
        return HTMLResponse(f"{status}: {reason}", status_code=status)
    return web.render(request, "error.html", status_code=status, status=status, reason=reason)


async def _bad_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadRequest)
    return _error_page(request, exc.status_code, exc.reason)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    reasons = {404: "no such page", 405: "only GET requests are served (the app is read-only)"}
    return _error_page(request, exc.status_code, str(exc.detail or reasons.get(exc.status_code, "")))


async def _store_error(request: Request, exc: Exception) -> Response:
    status = 503 if isinstance(exc, UnsafeQueryError) else 400
    return _error_page(request, status, str(exc).splitlines()[0])


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.exception("unexpected error on %s", request.url.path, exc_info=exc)
    return HTMLResponse(
        "<!doctype html><title>500</title><h1>500</h1><p>Unexpected server error; it was logged.</p>",
        status_code=500,
    )


def create_app(
    store: Any,
    display_url: str | None = None,
    source_url: str | None = None,
    allowed_hosts: list[str] | None = None,
    llm: Any = None,
) -> Starlette:
    """The web app over ``store`` (open it read-only: :func:`sselab.assistant.access.open_readonly_store`).

    Parameters
    ----------
    store
        The :class:`sselab.store.Store` to browse.
    display_url
        The store URL shown on the pages and written into the Python snippets (default ``store.url``).
    source_url
        The store URL (with any password) the assistant opens read-only (default ``display_url``).
    allowed_hosts
        Host names the app answers to (``Host`` header; protects a loopback server against DNS rebinding);
        ``None`` answers any host.
    llm
        :class:`sselab.assistant.agent.LLMSettings` for the Ask box (default: read ``SSELAB_LLM_*``).
    """
    shown = display_url or store.url
    web = WebContext(store, shown, source_url or shown, llm)
    routes = [
        Route("/", lambda request: RedirectResponse("/materials", status_code=302)),
        Route("/materials", views_materials.materials),
        Route("/material/{material_id}", views_material.material),
        Route("/structure/{structure_id}.cif", views_material.structure_cif),
        Route("/run/{ea_id}", views_material.run),
        Route("/run/{ea_id}/figure/{name}", views_material.run_figure),
        Route("/compare/arrhenius", views_compare.arrhenius),
        Route("/compare/benchmark", views_compare.benchmark),
        Route("/models", views_tables.models),
        Route("/screening", views_tables.screening),
        Route("/ask", views_ask.ask),
        Route("/ask/recipe/{name}", views_ask.recipe),
        Route("/static/plotly.min.js", _plotly),
        Route("/static/{name}", _static),
    ]
    middleware = [Middleware(SecurityHeaders)]
    if allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            BadRequest: _bad_request,
            HTTPException: _http_error,
            SselabError: _store_error,
            Exception: _server_error,
        },
    )
    app.router.redirect_slashes = False  # one URL per page; "/materials/" is a 404, not a redirect
    app.state.web = web
    return app
