"""The structure a recipe runs on, checked before any work: readable, the cation present, every element known
to the potential, the supercell within bounds.

Example
-------
>>> from ase.build import bulk
>>> from sselab.simulate.settings import NEBSettings
>>> settings = NEBSettings(potential="emt", supercell_min_length_a=7.0)
>>> cell = prepare_cell(bulk("Cu", cubic=True), settings, "Cu")
>>> len(cell.atoms), cell.info.formula, cell.info.source
(32, 'Cu', '<Atoms>')
>>> prepare_cell(bulk("Cu", cubic=True), NEBSettings(potential="emt"), "Li")
Traceback (most recent call last):
...
sselab.errors.SettingsError: cation: no Li atom in the structure Cu4 (<Atoms>)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ase import Atoms
from pymatgen.core import Composition

from sselab.errors import SettingsError
from sselab.simulate.potentials import unsupported_elements
from sselab.simulate.prepare import make_supercell, read_structure, supercell_repeats
from sselab.simulate.results import StructureInfo, StructureProvenance
from sselab.simulate.settings import MethodSettings

__all__ = ["PreparedCell", "load_structure", "prepare_cell", "reduced_formula"]


def load_structure(structure: Atoms | str | Path) -> tuple[Atoms, str]:
    """A copy of ``structure`` (or the structure read from that file) and its source label."""
    if isinstance(structure, Atoms):
        atoms = structure.copy()
        atoms.calc = None
        return atoms, "<Atoms>"
    return read_structure(structure), str(structure)


def reduced_formula(atoms: Atoms) -> str:
    """The reduced formula of ``atoms`` as pymatgen writes it, e.g. ``'LiBH4'``."""
    return str(Composition(atoms.get_chemical_formula()).reduced_formula)


@dataclass(frozen=True)
class PreparedCell:
    """The simulated cell (supercell of the given structure) and what is recorded about it."""

    atoms: Atoms
    info: StructureInfo


def prepare_cell(
    structure: Atoms | str | Path,
    settings: MethodSettings,
    cation: str | None = None,
    provenance: StructureProvenance = "user",
) -> PreparedCell:
    """Read ``structure``, check it against ``settings`` and build its supercell, before any work is done.

    Raises
    ------
    SettingsError
        When ``cation`` is not in the structure, the potential does not know one of its elements, or the
        supercell of ``settings.supercell_min_length_a`` would exceed ``settings.max_atoms``; the message
        names
        the setting.
    DataImportError
        When the file cannot be read.
    """
    atoms, source = load_structure(structure)
    symbols = atoms.get_chemical_symbols()
    if cation is not None and cation not in symbols:
        raise SettingsError(
            f"no {cation} atom in the structure {atoms.get_chemical_formula()} ({source})", field="cation"
        )
    missing = unsupported_elements(settings.potential, symbols)
    if missing:
        raise SettingsError(
            f"{settings.potential} does not support {', '.join(missing)} (in {source}); "
            "choose another potential",
            field="potential",
        )
    min_length = float(getattr(settings, "supercell_min_length_a", 0.0))
    max_atoms = int(getattr(settings, "max_atoms", 10**9))
    n_atoms = len(atoms) * int(np.prod(supercell_repeats(atoms, min_length)))
    if n_atoms > max_atoms:
        raise SettingsError(
            f"{min_length:g} Å makes a cell of {n_atoms} atoms from {len(atoms)}, "
            f"above max_atoms = {max_atoms}",
            field="supercell_min_length_a",
        )
    formula = reduced_formula(atoms)
    cell = make_supercell(atoms, min_length)
    info = StructureInfo(source, formula, len(cell), cation, provenance)
    return PreparedCell(cell, info)
