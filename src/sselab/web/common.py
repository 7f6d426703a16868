"""Helpers shared by the views: parameters of a request, ids in paths, the web context, formatting.

Example::

    >>> from sselab.web.common import fmt
    >>> fmt(0.123456), fmt(None), fmt(2.5e-5)
    ('0.1235', '', '2.5e-05')
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from sselab.web.params import ID_MAX, BadRequest, query_dict, validate

_DIGITS = re.compile(r"^[0-9]{1,19}$")


def web_of(request: Request) -> Any:
    """The app's :class:`sselab.web.app.WebContext`."""
    return request.app.state.web


def params_of(request: Request, model: type) -> Any:
    """The request's query string validated by ``model`` (raises :class:`BadRequest`)."""
    return validate(model, query_dict(request.query_params.multi_items(), len(request.url.query)))


def path_id(request: Request, name: str) -> int:
    """A positive integer id from the path (raises :class:`BadRequest` naming it)."""
    text = str(request.path_params[name])
    if not _DIGITS.match(text) or not 1 <= int(text) <= ID_MAX:
        raise BadRequest(f"{name}: {text[:40]!r} is not an id (a whole number from 1 to {ID_MAX})")
    return int(text)


def fmt(value: Any, digits: int = 4) -> str:
    """A number for a table cell: ``digits`` significant digits, empty for missing values."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.{digits}g}"
    return str(value)


def with_query(request: Request, **changes: Any) -> str:
    """The current URL's query string with some parameters replaced (``None`` removes one)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    for key, value in changes.items():
        if value is None:
            continue
        items.extend((key, str(v)) for v in (value if isinstance(value, list | tuple) else [value]))
    return "?" + urlencode(items)
