"""One importer per dataset; each reads a file into records without touching the store."""

from __future__ import annotations

from sselab.datasets.importers._common import ROOM_TEMPERATURE_K, ParsedFile
from sselab.datasets.importers.laskowski import read_laskowski
from sselab.datasets.importers.liverpool import decide_temperature_unit, read_liverpool
from sselab.datasets.importers.obelix import read_obelix
from sselab.datasets.importers.wang2025 import read_wang2025

__all__ = [
    "ROOM_TEMPERATURE_K",
    "ParsedFile",
    "decide_temperature_unit",
    "read_laskowski",
    "read_liverpool",
    "read_obelix",
    "read_wang2025",
]
