"""A cache of the moving-cation binding energy ``b_m`` (eV) per structure, cation and potential.

``b_m`` costs three single-point energies with a machine-learned potential (CHGNet by default: about 1 s each
on a 100-atom cell, one thread), so a descriptor scan over the stored structures computes each value once and
keeps it in ``<cache_dir>/descriptors/b_m.json`` keyed by sha256(CIF text), cation and potential name. The
calculator is built only when a value is missing (``calculator_factory``), so a scan whose values are all
cached, or whose materials have no structure, never loads the potential.

Example
-------
>>> from pathlib import Path
>>> from sselab.descriptors.bm_cache import BindingEnergyCache
>>> cache = BindingEnergyCache(Path("/tmp/bm-doctest.json"), "emt")
>>> cache.key("data_x", "Li")[:12]
'4699df822e3f'
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sselab.descriptors.elements import DescriptorError
from sselab.descriptors.structure import moving_cation_binding_energy, to_structure

if TYPE_CHECKING:
    from ase.calculators.calculator import Calculator

logger = logging.getLogger(__name__)


class BindingEnergyCache:
    """``b_m`` values by (structure, cation, potential), persisted as JSON.

    Parameters
    ----------
    path
        The JSON file (created on the first store).
    potential
        Name of the potential the values belong to (part of every key), e.g. ``"chgnet"``.
    calculator_factory
        Builds the ASE calculator on the first cache miss (e.g. ``lambda: get_calculator("chgnet",
        threads=1)``, as :func:`sselab.descriptors.bm_potential.binding_energy_cache` does); ``None`` makes a
        miss return NaN.
    """

    def __init__(
        self, path: Path, potential: str, calculator_factory: Callable[[], Calculator] | None = None
    ) -> None:
        self.path = Path(path)
        self.potential = potential
        self.calculator_factory = calculator_factory
        self._calculator: Calculator | None = None
        self.computed = 0
        try:
            self._values: dict[str, float] = (
                json.loads(self.path.read_text(encoding="utf-8")) if self.path.is_file() else {}
            )
        except (OSError, json.JSONDecodeError):
            logger.warning("b_m cache %s unreadable; starting empty", self.path)
            self._values = {}

    def key(self, cif: str, cation: str) -> str:
        """The cache key of ``cif`` with moving ``cation`` under this potential."""
        return hashlib.sha256(f"{self.potential}\n{cation}\n{cif}".encode()).hexdigest()

    def get(self, cif: str, cation: str) -> float:
        """``b_m`` (eV) of the structure, computed and stored when missing (NaN without a factory)."""
        key = self.key(cif, cation)
        if key in self._values:
            return float(self._values[key])
        if self.calculator_factory is None:
            return float("nan")
        if self._calculator is None:
            self._calculator = self.calculator_factory()
        # lazy: pymatgen.io loads pymatgen's I/O stack (~0.5 s); only structures need it
        from pymatgen.io.ase import AseAtomsAdaptor

        atoms = AseAtomsAdaptor.get_atoms(to_structure(cif))
        try:
            value = moving_cation_binding_energy(atoms, cation, self._calculator)
        except (DescriptorError, RuntimeError, ValueError) as exc:
            logger.warning("b_m with %s failed: %s", self.potential, exc)
            return float("nan")
        self._values[key] = float(value)
        self.computed += 1
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._values, indent=0), encoding="utf-8")
        tmp.replace(self.path)
        return float(value)
