"""Import a named dataset (or a local copy of one of its files) into the store, with a saved report.

Example::

    >>> from sselab.store import open_store
    >>> from sselab.datasets import import_dataset
    >>> report = import_dataset("liverpool-ionics", open_store("sqlite:///x.sqlite"))  # doctest: +SKIP
    >>> report.rows_read, report.imported  # doctest: +SKIP
    (820, 820)
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sselab.config import get_settings
from sselab.datasets.fetch import fetch_all
from sselab.datasets.importers import (
    ParsedFile,
    read_laskowski,
    read_liverpool,
    read_obelix,
    read_wang2025,
)
from sselab.datasets.importers.wang2025_candidates import (
    DATASET as CANDIDATES_DATASET,
)
from sselab.datasets.importers.wang2025_candidates import (
    import_wang2025_candidates,
    read_wang2025_candidates,
)
from sselab.datasets.registry import get_dataset
from sselab.datasets.report import ImportReport
from sselab.datasets.validation import screen_parsed_file

if TYPE_CHECKING:
    from sselab.store import Store

logger = logging.getLogger(__name__)


def reports_dir() -> Path:
    """Folder of saved import reports (``<cache_dir>/reports``)."""
    return get_settings().cache_dir / "reports"


def read_dataset_file(
    name: str,
    path: Path,
    *,
    extra_path: Path | None = None,
    temperature_unit: str = "auto",
    progress: bool = False,
) -> ParsedFile:
    """Read a local file in the format of dataset ``name`` (no store, no checksum against the registry).

    Parameters
    ----------
    name
        Registry name whose importer reads the file.
    path
        The table (spreadsheet or CSV).
    extra_path
        ``obelix`` only: the CIF archive (``all_cifs.zip``).
    temperature_unit
        ``liverpool-ionics`` only: ``"C"``, ``"K"`` or ``"auto"``.
    """
    get_dataset(name)
    if name == CANDIDATES_DATASET:  # candidates and published models, no material records
        return read_wang2025_candidates(path, progress=progress).parsed
    if name == "wang2025-ea":
        return read_wang2025(path, progress=progress)
    if name == "liverpool-ionics":
        return read_liverpool(path, temperature_unit=temperature_unit, progress=progress)
    if name == "obelix":
        return read_obelix(path, extra_path, progress=progress)
    return read_laskowski(path, progress=progress)


def import_parsed(parsed: ParsedFile, store: Store, *, save_report: bool = True) -> ImportReport:
    """Screen a file's records at the import boundary, then import them in one store transaction.

    Every import path ends here (the registered datasets through :func:`import_file`, other tables through
    their own reader): :func:`sselab.datasets.validation.screen_parsed_file` moves every absurd, malformed or
    duplicate record to the report's skipped rows first, so nothing absurd is stored and nothing is changed
    silently; the store then adds the new rows, leaves the unchanged ones and replaces the edited ones
    (natural keys, :mod:`sselab.store.keys`), all or nothing.

    Parameters
    ----------
    parsed
        What a reader made of one file (:class:`sselab.datasets.importers.ParsedFile`).
    store
        The open store.
    save_report
        Save the report as ``<cache_dir>/reports/<dataset>.json`` and ``.md``.

    Raises
    ------
    sselab.errors.DataImportError
        When the store refuses the batch (the store is then unchanged).
    """
    screen_parsed_file(parsed)
    result = store.import_batch(parsed.to_batch())
    report = parsed.to_report(result)
    logger.info("%s: %s", parsed.dataset, report.summary)
    if save_report:
        report.save(reports_dir())
    return report


def import_file(
    name: str,
    path: Path,
    store: Store,
    *,
    extra_path: Path | None = None,
    temperature_unit: str = "auto",
    progress: bool = False,
    save_report: bool = True,
) -> ImportReport:
    """Import a local file in the format of dataset ``name`` in one store transaction.

    The whole file is read and checked first (:func:`import_parsed`); a structurally broken file raises
    before the store is touched, and the store's ``import_batch`` rolls back on any error, so a failed
    import leaves the store as it was. Importing the same file again adds nothing; an edited copy adds only
    its new rows and replaces the edited ones (reported).

    Raises
    ------
    sselab.errors.DataImportError
        When the file cannot be read (names the file, row and field).
    """
    if name == CANDIDATES_DATASET:  # stored as a screening run with the models recovered from it
        report = import_wang2025_candidates(path, store, progress=progress)
        logger.info("%s: %s", name, report.summary)
        if save_report:
            report.save(reports_dir())
        return report
    parsed = read_dataset_file(
        name, path, extra_path=extra_path, temperature_unit=temperature_unit, progress=progress
    )
    return import_parsed(parsed, store, save_report=save_report)


def import_dataset(
    name: str, store: Store, progress: bool = True, *, temperature_unit: str = "auto"
) -> ImportReport:
    """Fetch dataset ``name`` (mirror, cache or download; checksum verified) and import it.

    The report is saved as ``<cache_dir>/reports/<name>.json`` and ``.md``.

    Parameters
    ----------
    name
        ``wang2025-ea``, ``obelix``, ``liverpool-ionics`` or ``laskowski2023``.
    store
        An open :class:`sselab.store.Store`.
    progress
        Show a rich progress bar over the rows.
    temperature_unit
        Unit of the Liverpool temperature column: ``"C"``, ``"K"`` or ``"auto"`` (see the importer's rule).
    """
    info = get_dataset(name)
    paths = fetch_all(name)
    primary = paths[info.primary.mirror_path]
    extra = paths[info.files[1].mirror_path] if len(info.files) > 1 else None
    return import_file(
        name, primary, store, extra_path=extra, temperature_unit=temperature_unit, progress=progress
    )
