"""Logging of the ``sselab`` command: the user sees sselab's messages, the log file gets everything.

Python warnings (torch, CHGNet, pymatgen, ...) and the records of third-party loggers go to
``<SSELAB_CACHE_DIR>/logs/sselab.log`` only; the terminal shows sselab's own warnings and errors (and its
INFO records with ``--verbose``). With ``--verbose`` everything is shown on the terminal as well.

Example::

    >>> path = configure_logging(verbose=False)  # doctest: +SKIP
    >>> path.name  # doctest: +SKIP
    'sselab.log'
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from sselab.config import get_settings

_TAG = "_sselab_cli_handler"
LOG_FILE_BYTES = 5_000_000
"""Size at which the log file is rotated (three old files are kept)."""


class _OwnRecords(logging.Filter):
    """Pass sselab's records (and the CLI's); drop third-party ones and captured warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name == "sselab" or record.name.startswith("sselab.")


def log_file() -> Path:
    """Where the command line writes its log (``<cache_dir>/logs/sselab.log``)."""
    return get_settings().cache_dir / "logs" / "sselab.log"


def configure_logging(verbose: bool) -> Path | None:
    """Install the terminal and file handlers on the root logger (replacing earlier ones of this module).

    Parameters
    ----------
    verbose
        Show INFO records and third-party output (warnings included) on the terminal too.

    Returns
    -------
    Path or None
        The log file, or ``None`` when it cannot be written (then nothing is logged to a file).
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _TAG, False)]:
        root.removeHandler(handler)
        handler.close()
    console = logging.StreamHandler()
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    if not verbose:
        console.addFilter(_OwnRecords())
    setattr(console, _TAG, True)
    root.addHandler(console)
    path: Path | None = log_file()
    try:
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=LOG_FILE_BYTES, backupCount=3, encoding="utf-8", delay=True
        )
    except (OSError, ValueError):
        path = None
    else:
        file_handler.setLevel(logging.INFO)
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        setattr(file_handler, _TAG, True)
        root.addHandler(file_handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(False)  # re-install, even if an earlier call's hook was replaced meanwhile
    logging.captureWarnings(True)  # warnings.warn(...) -> logger "py.warnings" -> the file, not the terminal
    return path
