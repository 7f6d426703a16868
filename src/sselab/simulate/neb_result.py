"""The result of a CI-NEB run (:func:`sselab.simulate.neb.run_neb`): the band, its barrier and how it was
obtained; ``as_dict``/``from_dict`` round-trip through ``summary.json``.

Example
-------
>>> NEBResult.from_dict(json.load(open("neb-run/summary.json"))).barrier_ev  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ase import Atoms

from sselab.simulate.results import EaEstimate, StructureInfo, atoms_as_dict, atoms_from_dict, result_data
from sselab.simulate.settings import NEBSettings

__all__ = ["NEBResult"]


@dataclass(frozen=True)
class NEBResult:
    """Outcome of :func:`run_neb`.

    Attributes
    ----------
    barrier_ev
        Forward barrier: highest image energy minus the initial energy (eV).
    reverse_barrier_ev
        Highest image energy minus the final energy (eV).
    energies_ev
        Energies of all images, end points included, relative to the initial image (eV).
    path
        The relaxed band (end points included).
    reaction_coordinate_a
        Cumulative distance along the band (Å).
    converged
        Whether the band reached ``settings.fmax`` within ``settings.steps`` and its highest image is an
        interior one (a maximum at an end point is no saddle: not converged, whatever the forces).
    n_force_calls
        Force evaluations (one per moving image per optimiser step, plus the end-point relaxations).
    settings
        The settings used (:class:`~sselab.simulate.settings.NEBSettings`).
    run_dir
        Folder with inputs, outputs, the energy-profile figure and ``summary.json`` (``None`` if not written).
    convergence_reason
        What ``converged`` means for this band.
    potential, device
        Registry name of the potential (``None`` for a calculator given directly) and where it ran.
    structure
        The structure it ran on (``None`` when the end points were given directly).
    hop_distance_a
        Straight-line length of the hop (Å; ``None`` when unknown).
    wall_time_s
        Wall time (s).
    """

    kind: ClassVar[str] = "neb"

    barrier_ev: float
    reverse_barrier_ev: float
    energies_ev: tuple[float, ...]
    path: tuple[Atoms, ...]
    reaction_coordinate_a: tuple[float, ...]
    converged: bool
    n_force_calls: int
    settings: NEBSettings = field(default_factory=lambda: NEBSettings())
    run_dir: Path | None = None
    convergence_reason: str | None = None
    potential: str | None = None
    device: str = "cpu"
    structure: StructureInfo | None = None
    hop_distance_a: float | None = None
    wall_time_s: float = 0.0

    @property
    def parameters(self) -> dict[str, Any]:
        """The settings as a dict."""
        return self.settings.as_dict()

    def activation_energy(self) -> EaEstimate:
        """The forward barrier as a CI-NEB activation energy (0 K: no temperature; ``vacancy`` protocol)."""
        state = "converged" if self.converged else "NOT converged"
        return EaEstimate(
            "CI-NEB", self.barrier_ev, None, None, None, "vacancy", self.converged, self.convergence_reason,
            f"CI-NEB vacancy hop ({state}, sselab)",
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form with the band's images; :meth:`from_dict` rebuilds the result."""
        return {
            "@class": "NEBResult",
            "kind": self.kind,
            "barrier_ev": self.barrier_ev,
            "reverse_barrier_ev": self.reverse_barrier_ev,
            "energies_ev": list(self.energies_ev),
            "reaction_coordinate_a": list(self.reaction_coordinate_a),
            "converged": self.converged,
            "convergence_reason": self.convergence_reason,
            "n_force_calls": self.n_force_calls,
            "settings": self.settings.as_dict(),
            "run_dir": str(self.run_dir) if self.run_dir else None,
            "potential": self.potential,
            "device": self.device,
            "structure": None if self.structure is None else self.structure.as_dict(),
            "hop_distance_a": self.hop_distance_a,
            "wall_time_s": self.wall_time_s,
            "path": [atoms_as_dict(image) for image in self.path],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NEBResult:
        """Inverse of :meth:`as_dict`; also accepts a run folder's whole ``summary.json``."""
        d = result_data(data, cls.kind)
        return cls(
            barrier_ev=float(d["barrier_ev"]),
            reverse_barrier_ev=float(d["reverse_barrier_ev"]),
            energies_ev=tuple(float(e) for e in d["energies_ev"]),
            path=tuple(atoms_from_dict(image) for image in d.get("path", [])),
            reaction_coordinate_a=tuple(float(x) for x in d["reaction_coordinate_a"]),
            converged=bool(d["converged"]),
            n_force_calls=int(d["n_force_calls"]),
            settings=NEBSettings.from_dict(d["settings"]),
            run_dir=None if d.get("run_dir") is None else Path(d["run_dir"]),
            convergence_reason=d.get("convergence_reason"),
            potential=d.get("potential"),
            device=str(d.get("device", "cpu")),
            structure=None if d.get("structure") is None else StructureInfo.from_dict(d["structure"]),
            hop_distance_a=None if d.get("hop_distance_a") is None else float(d["hop_distance_a"]),
            wall_time_s=float(d.get("wall_time_s", 0.0)),
        )
