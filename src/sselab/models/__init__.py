"""Regression of Ea on descriptors: descriptor tables, subsets, linear models, scans, method benchmark.

>>> from sselab.models import LinearEaModel, MODEL_FAMILIES, descriptor_scan, descriptor_table
"""

from __future__ import annotations

from sselab.models.linear import LinearEaModel
from sselab.models.ols import OlsResult, fit_ols
from sselab.models.scan import ScanResult, descriptor_scan, save_scan
from sselab.models.subsets import MODEL_FAMILIES, Selection, Subset, named_subset, select_rows
from sselab.models.table import DescriptorTable, descriptor_table

__all__ = [
    "MODEL_FAMILIES",
    "DescriptorTable",
    "LinearEaModel",
    "OlsResult",
    "ScanResult",
    "Selection",
    "Subset",
    "descriptor_scan",
    "descriptor_table",
    "fit_ols",
    "named_subset",
    "save_scan",
    "select_rows",
]
