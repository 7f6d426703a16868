"""The default ``b_m`` cache: ``<cache_dir>/descriptors/b_m.json`` with a potential of :mod:`sselab.simulate`.

Apart from :mod:`sselab.descriptors.bm_cache` so that reading descriptor tables (the models, the importers,
``sselab data``) does not import the simulation package; only building the default cache does.

Example
-------
>>> binding_energy_cache("none") is None
True
"""

from __future__ import annotations

from sselab.config import get_settings
from sselab.descriptors.bm_cache import BindingEnergyCache
from sselab.simulate.potentials import get_calculator


def binding_energy_cache(potential: str = "chgnet") -> BindingEnergyCache | None:
    """The default cache ``<cache_dir>/descriptors/b_m.json`` for ``potential`` (``"none"``/``""``: None).

    The calculator is ``get_calculator(potential, threads=1)``, built on the first cache miss (offline: the
    CHGNet weights ship in its wheel).
    """
    if potential.strip().lower() in ("", "none"):
        return None
    path = get_settings().cache_dir / "descriptors" / "b_m.json"
    return BindingEnergyCache(path, potential, lambda: get_calculator(potential, threads=1))
