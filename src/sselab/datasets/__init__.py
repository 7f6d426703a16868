"""Named public datasets: registry (canonical URL + sha256), fetch (mirror, cache, download) and importers.

Example::

    >>> from sselab.datasets import list_datasets
    >>> [d.name for d in list_datasets()]
    ['wang2025-ea', 'wang2025-candidates', 'obelix', 'liverpool-ionics', 'laskowski2023']
"""

from __future__ import annotations

from sselab.datasets.fetch import fetch, fetch_all, sha256_of
from sselab.datasets.importing import (
    import_dataset,
    import_file,
    import_parsed,
    read_dataset_file,
    reports_dir,
)
from sselab.datasets.registry import DatasetFile, DatasetInfo, get_dataset, list_datasets
from sselab.datasets.report import ImportReport, SkippedRow

__all__ = [
    "DatasetFile",
    "DatasetInfo",
    "ImportReport",
    "SkippedRow",
    "fetch",
    "fetch_all",
    "get_dataset",
    "import_dataset",
    "import_file",
    "import_parsed",
    "list_datasets",
    "read_dataset_file",
    "reports_dir",
    "sha256_of",
]
