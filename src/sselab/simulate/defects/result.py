"""The result of a defect-barrier recipe: every part, how it was obtained, and whether it converged."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sselab.simulate.defects.migration import MigrationResult
from sselab.simulate.defects.pairs import FrenkelResult, SchottkyResult
from sselab.simulate.defects.relaxation import RelaxationRecord
from sselab.simulate.defects.settings import CompositeSettings
from sselab.simulate.potential_identity import PotentialIdentity
from sselab.simulate.results import EaEstimate

#: Protocols these recipes produce: ``composite`` (Em + ½·min Ef) and ``vacancy`` (migration only, Em).
PROTOCOLS = ("composite", "vacancy")
#: Store method of each protocol's activation energy (:data:`sselab.store.METHODS`).
STORE_METHODS = {"composite": "composite", "vacancy": "CI-NEB"}


@dataclass(frozen=True)
class SupercellInfo:
    """The supercell every defect lives in.

    Attributes
    ----------
    repetitions
        Of the relaxed input cell along a, b, c.
    n_atoms
        Atoms of the perfect supercell.
    widths_a
        Perpendicular widths (distance between opposite faces, Å): what limits periodic images.
    lattice_abc_a
        a, b, c of the relaxed input cell (Å).
    """

    repetitions: tuple[int, int, int]
    n_atoms: int
    widths_a: tuple[float, float, float]
    lattice_abc_a: tuple[float, float, float]

    def as_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        return {
            "repetitions": list(self.repetitions),
            "n_atoms": self.n_atoms,
            "widths_a": list(self.widths_a),
            "lattice_abc_a": list(self.lattice_abc_a),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SupercellInfo:
        """Inverse of :meth:`as_dict`."""
        return cls(
            tuple(data["repetitions"]),  # type: ignore[arg-type]
            data["n_atoms"],
            tuple(data["widths_a"]),  # type: ignore[arg-type]
            tuple(data["lattice_abc_a"]),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class DefectBarrierResult:
    """Composite (or migration-only) activation energy of a cation with every part that went into it.

    Attributes
    ----------
    protocol
        ``"composite"``: ``activation_energy_ev = Em + ½·min(Ef Frenkel, Ef Schottky)``, the Ea of an
        intrinsic (undoped) conductor; ``"vacancy"``: ``activation_energy_ev = Em``, the migration energy only
        (what a CI-NEB study usually reports).
    formula, cation
        Reduced formula of the input cell and the migrating element.
    activation_energy_ev
        As defined by ``protocol`` (eV).
    limiting_pair
        ``"frenkel"`` or ``"schottky"``: the pair with the lower formation energy (composite only).
    converged
        Every part converged, the NEB maximum is interior, no formation energy is negative, and the Frenkel
        pair did not recombine in every start; ``issues`` says what failed.
    potential
        Which model produced the numbers; ``device`` where it ran.
    bulk, bulk_energy_ev
        The relaxation of the input cell, and the energy of the perfect supercell (eV).
    migration, frenkel, schottky
        The parts (``frenkel``/``schottky`` are ``None`` for the ``vacancy`` protocol).
    part_wall_time_s
        Wall time of each part when it was computed (s); ``reused_parts`` lists parts read from the run
        folder's cache instead.
    """

    protocol: str
    formula: str
    cation: str
    activation_energy_ev: float
    limiting_pair: str | None
    converged: bool
    issues: tuple[str, ...]
    potential: PotentialIdentity
    device: str
    settings: CompositeSettings
    supercell: SupercellInfo
    bulk: RelaxationRecord
    bulk_energy_ev: float
    migration: MigrationResult
    frenkel: FrenkelResult | None = None
    schottky: SchottkyResult | None = None
    wall_time_s: float = 0.0
    part_wall_time_s: dict[str, float] = field(default_factory=dict)
    reused_parts: tuple[str, ...] = ()
    sselab_version: str = ""
    started: str = ""
    finished: str = ""
    run_dir: Path | None = None

    kind: ClassVar[str] = "defect_barrier"

    @property
    def migration_energy_ev(self) -> float:
        """Em of the vacancy hop (eV)."""
        return self.migration.barrier_ev

    def activation_energy(self) -> EaEstimate:
        """The barrier as the store records it: method ``composite`` (protocol ``composite``) or ``CI-NEB``
        (protocol ``vacancy``), 0 K (no temperature), converged when every part converged (else the
        ``issues`` are the reason)."""
        state = "converged" if self.converged else "NOT converged"
        reason = "; ".join(self.issues) if self.issues else "every part converged, NEB maximum interior"
        if self.protocol == "composite":
            note = (
                f"composite Em {self.migration_energy_ev:.3f} eV + ½·Ef({self.limiting_pair}) "
                f"({state}, sselab, {self.potential.name})"
            )
        else:
            note = f"CI-NEB vacancy hop, migration only ({state}, sselab, {self.potential.name})"
        return EaEstimate(
            STORE_METHODS[self.protocol], self.activation_energy_ev, None, None, None, self.protocol,
            self.converged, reason, note,
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        """JSON-able summary of everything (what ``summary.json`` holds)."""
        return {
            "kind": self.kind,
            "protocol": self.protocol,
            "formula": self.formula,
            "cation": self.cation,
            "activation_energy_ev": self.activation_energy_ev,
            "migration_energy_ev": self.migration_energy_ev,
            "limiting_pair": self.limiting_pair,
            "converged": self.converged,
            "issues": list(self.issues),
            "potential": self.potential.as_dict(),
            "device": self.device,
            "settings": self.settings.as_dict(),
            "supercell": self.supercell.as_dict(),
            "bulk": self.bulk.as_dict(),
            "bulk_energy_ev": self.bulk_energy_ev,
            "migration": self.migration.as_dict(),
            "frenkel": self.frenkel.as_dict() if self.frenkel else None,
            "schottky": self.schottky.as_dict() if self.schottky else None,
            "wall_time_s": self.wall_time_s,
            "part_wall_time_s": dict(self.part_wall_time_s),
            "reused_parts": list(self.reused_parts),
            "sselab_version": self.sselab_version,
            "started": self.started,
            "finished": self.finished,
            "run_dir": str(self.run_dir) if self.run_dir is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DefectBarrierResult:
        """Inverse of :meth:`as_dict` (derived fields such as ``migration_energy_ev`` are recomputed)."""
        return cls(
            protocol=data["protocol"],
            formula=data["formula"],
            cation=data["cation"],
            activation_energy_ev=data["activation_energy_ev"],
            limiting_pair=data["limiting_pair"],
            converged=data["converged"],
            issues=tuple(data["issues"]),
            potential=PotentialIdentity.from_dict(data["potential"]),
            device=data["device"],
            settings=CompositeSettings.from_dict(data["settings"]),
            supercell=SupercellInfo.from_dict(data["supercell"]),
            bulk=RelaxationRecord.from_dict(data["bulk"]),
            bulk_energy_ev=data["bulk_energy_ev"],
            migration=MigrationResult.from_dict(data["migration"]),
            frenkel=FrenkelResult.from_dict(data["frenkel"]) if data.get("frenkel") else None,
            schottky=SchottkyResult.from_dict(data["schottky"]) if data.get("schottky") else None,
            wall_time_s=data["wall_time_s"],
            part_wall_time_s=dict(data["part_wall_time_s"]),
            reused_parts=tuple(data["reused_parts"]),
            sselab_version=data["sselab_version"],
            started=data["started"],
            finished=data["finished"],
            run_dir=Path(data["run_dir"]) if data.get("run_dir") else None,
        )
