"""sselab's built-in open hydride set: the manifest shipped with the package (``data/open_set.toml``).

Example
-------
>>> manifest = open_set()
>>> len(manifest.materials) >= 8, sorted({m.provenance for m in manifest.materials})
(True, ['experimental', 'predicted'])
"""

from __future__ import annotations

from importlib import resources

from sselab.benchmark.manifest import Manifest, read_manifest

OPEN_SET = "open-set"


def open_set_path() -> str:
    """Path of the built-in manifest file."""
    return str(resources.files("sselab.benchmark") / "data" / "open_set.toml")


def open_set() -> Manifest:
    """The built-in open set (experimental values still to be read: :func:`resolve_experiments`)."""
    return read_manifest(open_set_path())


def load_manifest(name_or_path: str) -> Manifest:
    """``"open-set"`` for the built-in set, else a TOML or CSV manifest file."""
    return open_set() if name_or_path == OPEN_SET else read_manifest(name_or_path)
