"""What the ``sselab`` command does with an error that reaches it: one clean line, never a traceback.

:class:`SselabGroup` is the click group of the ``sselab`` app; every command runs inside its
:meth:`~SselabGroup.invoke`, which turns

* an sselab error (:class:`~sselab.errors.SselabError`: a bad file, row, field or option), an invalid
  ``SSELAB_*`` setting (pydantic), an unreadable store (SQLAlchemy) or a bad path (``OSError``) into
  ``error: <message>`` on stderr and exit code 2;
* Ctrl-C into ``interrupted`` and exit code 130;
* anything else into ``internal error: <type>: <message>`` with the hint to rerun with ``--verbose`` or
  ``SSELAB_DEBUG=1`` for the traceback, and exit code 1.

Click's own usage errors (unknown option, missing argument) keep click's message and exit code 2.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

import typer
from typer._click.core import Context
from typer._click.exceptions import ClickException
from typer.core import TyperGroup

from sselab.config import get_settings
from sselab.errors import SselabError

logger = logging.getLogger("sselab.cli")

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130
_HINT = "run with --verbose (sselab -v ...) or SSELAB_DEBUG=1 for the traceback"


def _first_line(text: str, limit: int = 500) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _pydantic_message(exc: Any) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ())) or "value"
        parts.append(f"{where}: {error.get('msg')}")
    return "invalid setting or option: " + "; ".join(parts)


def describe(exc: BaseException) -> tuple[int, str]:
    """Exit code and one-line message for an exception that reached the command line."""
    module = type(exc).__module__
    if isinstance(exc, SselabError):
        return EXIT_BAD_INPUT, f"error: {_first_line(str(exc))}"
    if module.startswith("pydantic") and hasattr(exc, "errors"):
        return EXIT_BAD_INPUT, f"error: {_first_line(_pydantic_message(exc))}"
    if module.startswith("sqlalchemy"):
        original = getattr(exc, "orig", None) or exc
        return EXIT_BAD_INPUT, f"error: the store cannot be read or written: {_first_line(str(original))}"
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        return EXIT_BAD_INPUT, f"error: {exc.strerror or _first_line(str(exc))}{where}"
    if isinstance(exc, MemoryError):
        return EXIT_INTERNAL, "error: out of memory (try a smaller input)"
    return EXIT_INTERNAL, f"internal error: {type(exc).__name__}: {_first_line(str(exc))} ({_HINT})"


def debug_requested(ctx: Context) -> bool:
    """``--verbose`` on the command line, or ``SSELAB_DEBUG=1``."""
    root = ctx.find_root()
    if root.params.get("verbose"):
        return True
    try:
        return bool(get_settings().debug)
    except Exception:  # an invalid SSELAB_* setting must not hide the error being reported
        return False


class SselabGroup(TyperGroup):
    """The ``sselab`` group: runs a command and reports whatever escapes it in one line (see module doc)."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, ClickException):
            raise
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            code, message = describe(exc)
            logger.debug("error reaching the command line", exc_info=True)
            if debug_requested(ctx):
                typer.echo(traceback.format_exc().rstrip(), err=True)
            typer.echo(message, err=True)
            raise typer.Exit(code) from None
