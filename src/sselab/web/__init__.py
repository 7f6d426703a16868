"""``sselab serve``: the store as a browsable, read-only, offline web database.

Pages: the materials table (filters, sorting, paging, DOIs), a page per material (composition, σ(T) with
Arrhenius fits, Ea by method, structures, runs), the Arrhenius overlay and the method benchmark, the models,
the screening results and the Ask box. Every page exports what it shows as CSV and JSON, and plots come with
a Python snippet that redraws them with sselab's library. See ``docs/web.md``.

Example::

    >>> from sselab.store import open_store
    >>> from sselab.web import create_app
    >>> app = create_app(open_store("sqlite://"))
    >>> app.state.web.display_url
    'sqlite://'
"""

from __future__ import annotations

from sselab.web.app import create_app

__all__ = ["create_app"]
