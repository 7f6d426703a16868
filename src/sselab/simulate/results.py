"""What every simulation result shares: the structure it ran on, its activation energy, and its dict form.

A result (``MetaDResult``, ``NEBResult``, ``MDArrheniusResult``, ``RelaxationResult``) is a frozen dataclass
with
``as_dict()`` and ``from_dict()``; ``summary.json`` of its run folder is ``as_dict()`` plus the run's metadata
(:data:`~sselab.simulate.runfolder.RUN_METADATA_KEYS`), so ``Result.from_dict(json.load(open(run /
"summary.json")))`` rebuilds it. A
result that measures a barrier says so through ``activation_energy()`` (an :class:`EaEstimate`), with its
``converged`` flag and ``convergence_reason``; :func:`sselab.simulate.recording.record_activation_energy`
stores
it.

Example
-------
>>> info = StructureInfo(source="Cu.cif", formula="Cu", n_atoms=31, cation="Cu", provenance="user")
>>> StructureInfo.from_dict(info.as_dict()) == info
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from ase import Atoms

from sselab.errors import SettingsError, SimulationError
from sselab.simulate.runfolder import RUN_METADATA_KEYS

__all__ = [
    "STRUCTURE_PROVENANCES",
    "EaEstimate",
    "StructureInfo",
    "atoms_as_dict",
    "atoms_from_dict",
    "result_data",
]

#: Labels of where a simulated structure came from (stored with every activation energy).
STRUCTURE_PROVENANCES = ("experimental", "predicted", "user", "built-in")
StructureProvenance = Literal["experimental", "predicted", "user", "built-in"]


@dataclass(frozen=True)
class StructureInfo:
    """The structure a simulation ran on.

    Attributes
    ----------
    source
        The structure file as given, or ``"<Atoms>"`` for an in-memory structure.
    formula
        Reduced formula of the structure as given (before supercell and defects), e.g. ``"LiBH4"``.
    n_atoms
        Atoms of the simulated cell (after supercell and defects).
    cation
        Element of the migrating ion (``None`` for a method without one, e.g. a relaxation).
    provenance
        ``experimental``, ``predicted`` (e.g. from a structure search), ``user`` or ``built-in``.
    description
        One line for people (cell, migrating ion, hop).
    """

    source: str
    formula: str
    n_atoms: int
    cation: str | None = None
    provenance: StructureProvenance = "user"
    description: str = ""

    def __post_init__(self) -> None:
        if self.provenance not in STRUCTURE_PROVENANCES:
            raise SettingsError(
                f"must be one of {', '.join(STRUCTURE_PROVENANCES)}, got {self.provenance!r}",
                field="structure_provenance",
            )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StructureInfo:
        """Inverse of :meth:`as_dict`."""
        return cls(**dict(data))


@dataclass(frozen=True)
class EaEstimate:
    """An activation energy as a method measured it, with how it was obtained.

    Attributes
    ----------
    method
        Store method label (``MetaD``, ``CI-NEB``, ``MLMD``, ``AIMD``; :data:`sselab.store.METHODS`).
    activation_energy_ev
        The barrier (eV).
    uncertainty_ev
        Its standard uncertainty (eV), ``None`` when not estimated.
    temperature_min_k, temperature_max_k
        Temperature (range) of the simulation (K); ``None`` for a 0 K method (CI-NEB).
    protocol
        How the migration was set up (``frenkel``, ``vacancy``, ``composite`` ...).
    converged
        ``True``/``False`` when a convergence criterion was applied, ``None`` when none was.
    convergence_reason
        Why it is (not) converged, or why convergence is unknown.
    note
        A short human description (what the number is).
    """

    method: str
    activation_energy_ev: float
    uncertainty_ev: float | None
    temperature_min_k: float | None
    temperature_max_k: float | None
    protocol: str | None
    converged: bool | None
    convergence_reason: str | None
    note: str


def result_data(data: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The result's own fields of ``data`` (an ``as_dict()`` or a whole ``summary.json``), checked to be a
    ``kind`` result; the run metadata and markers are dropped."""
    found = data.get("kind")
    if found != kind:
        raise SimulationError(f"this is a {found!r} result (summary), not a {kind!r} one")
    return {k: v for k, v in data.items() if k not in RUN_METADATA_KEYS and k not in ("kind", "@class")}


def atoms_as_dict(atoms: Atoms) -> dict[str, Any]:
    """A JSON-ready exact copy of ``atoms``: numbers, positions and cell (Å), periodicity, tags."""
    return {
        "numbers": [int(n) for n in atoms.numbers],
        "positions_a": np.asarray(atoms.positions, float).tolist(),
        "cell_a": np.asarray(atoms.cell, float).tolist(),
        "pbc": [bool(p) for p in atoms.pbc],
        "tags": [int(t) for t in atoms.get_tags()],
    }


def atoms_from_dict(data: Mapping[str, Any]) -> Atoms:
    """Inverse of :func:`atoms_as_dict`."""
    atoms = Atoms(
        numbers=data["numbers"], positions=data["positions_a"], cell=data["cell_a"], pbc=data["pbc"]
    )
    atoms.set_tags(data.get("tags", [0] * len(atoms)))
    return atoms
