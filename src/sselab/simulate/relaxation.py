"""The result of a relaxation (:func:`sselab.simulate.recipes.relax_structure`): the relaxed cell and how far
it got.

Example
-------
>>> from ase.build import bulk
>>> from sselab.simulate.settings import RelaxSettings
>>> result = RelaxationResult(bulk("Cu"), -0.01, 0.0, 3, True, RelaxSettings(potential="emt"))
>>> RelaxationResult.from_dict(result.as_dict()).converged
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ase import Atoms

from sselab.simulate.results import StructureInfo, atoms_as_dict, atoms_from_dict, result_data
from sselab.simulate.settings import RelaxSettings

__all__ = ["RelaxationResult"]


@dataclass(frozen=True)
class RelaxationResult:
    """A relaxed structure.

    Attributes
    ----------
    atoms
        The relaxed cell (positions and, with ``settings.cell_filter``, cell).
    energy_ev
        Its potential energy (eV).
    max_force_ev_per_a
        The largest remaining force on an atom (eV/Å).
    steps
        Optimizer steps taken.
    converged
        Whether the forces fell below ``settings.fmax`` within ``settings.steps``.
    settings
        The settings used.
    run_dir
        Folder with ``inputs/start.extxyz``, ``outputs/relaxed.extxyz`` and ``summary.json`` (or ``None``).
    potential, device, structure
        What it ran with and on.
    wall_time_s
        Wall time (s).
    """

    kind: ClassVar[str] = "relax"

    atoms: Atoms
    energy_ev: float
    max_force_ev_per_a: float
    steps: int
    converged: bool
    settings: RelaxSettings = field(default_factory=lambda: RelaxSettings())
    run_dir: Path | None = None
    potential: str | None = None
    device: str = "cpu"
    structure: StructureInfo | None = None
    wall_time_s: float = 0.0

    @property
    def energy_per_atom_ev(self) -> float:
        """Energy per atom (eV/atom)."""
        return self.energy_ev / len(self.atoms)

    @property
    def convergence_reason(self) -> str:
        """What ``converged`` means here."""
        relation = "below" if self.converged else "still above"
        return (
            f"largest force {self.max_force_ev_per_a:.3g} eV/Å, {relation} "
            f"fmax = {self.settings.fmax:g} eV/Å after {self.steps} of {self.settings.steps} steps"
        )

    def activation_energy(self) -> None:
        """A relaxation measures no barrier."""
        return None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (with the relaxed cell); :meth:`from_dict` rebuilds the result."""
        return {
            "@class": "RelaxationResult",
            "kind": self.kind,
            "atoms": atoms_as_dict(self.atoms),
            "energy_ev": self.energy_ev,
            "energy_per_atom_ev": self.energy_per_atom_ev,
            "max_force_ev_per_a": self.max_force_ev_per_a,
            "steps": self.steps,
            "converged": self.converged,
            "convergence_reason": self.convergence_reason,
            "settings": self.settings.as_dict(),
            "run_dir": None if self.run_dir is None else str(self.run_dir),
            "potential": self.potential,
            "device": self.device,
            "structure": None if self.structure is None else self.structure.as_dict(),
            "wall_time_s": self.wall_time_s,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RelaxationResult:
        """Inverse of :meth:`as_dict`; also accepts a run folder's whole ``summary.json``."""
        d = result_data(data, cls.kind)
        return cls(
            atoms=atoms_from_dict(d["atoms"]),
            energy_ev=float(d["energy_ev"]),
            max_force_ev_per_a=float(d["max_force_ev_per_a"]),
            steps=int(d["steps"]),
            converged=bool(d["converged"]),
            settings=RelaxSettings.from_dict(d["settings"]),
            run_dir=None if d.get("run_dir") is None else Path(d["run_dir"]),
            potential=d.get("potential"),
            device=str(d.get("device", "cpu")),
            structure=None if d.get("structure") is None else StructureInfo.from_dict(d["structure"]),
            wall_time_s=float(d.get("wall_time_s", 0.0)),
        )
