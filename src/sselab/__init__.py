"""sselab: data-driven discovery of solid-state electrolytes.

The package mirrors the workflow of Wang et al., Angew. Chem. 2025 (Figure 1d): ``chem`` (formulas),
``store`` (the database), ``datasets`` (public data), ``transport`` (Arrhenius), ``simulate`` (MD,
metadynamics, NEB), ``structures`` (crystal structure search), ``descriptors``, ``models`` (regression of Ea),
``screening``, ``assistant`` (LLM tools), ``pipeline`` and ``report``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sselab")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
