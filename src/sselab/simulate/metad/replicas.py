"""Independent replicas of one metadynamics as ONE result: the barrier is their mean, the error bar sd/√n.

A replica is the same run with another seed (its own bias, its own trajectory). The set is converged when at
least :data:`~sselab.simulate.metad.uncertainty.MIN_REPLICAS` replicas are and every replica is; its
uncertainty is ``sd/√n`` over the converged replicas' barriers, and unknown (``None``) below three. It is
stored as one activation energy (method ``MetaD``) with the run folder of the set, not as a row per replica.

Example
-------
>>> replicas = [MetaDResult.from_dict(read_summary(f"run/replica-{k}")) for k in range(3)]  # doctest: +SKIP
>>> combined = MetaDReplicaSet.from_replicas(replicas, "run")  # doctest: +SKIP
>>> combined.activation_energy().uncertainty_ev  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from sselab.errors import SimulationError
from sselab.simulate.metad.result import MetaDResult
from sselab.simulate.metad.uncertainty import MIN_REPLICAS
from sselab.simulate.protocols import SMOKE_TEST_LABEL
from sselab.simulate.results import EaEstimate, StructureInfo, result_data
from sselab.simulate.settings import MetaDSettings

__all__ = ["MetaDReplicaSet", "combine_barriers"]


def combine_barriers(values: Sequence[float]) -> tuple[float, float | None]:
    """``(mean, sd/√n)`` of replica barriers (eV); the error is ``None`` below :data:`MIN_REPLICAS`.

    >>> combine_barriers([0.50, 0.52, 0.48, 0.51])
    (0.5025, 0.008539125638299673)
    """
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        raise SimulationError("no replica barrier to combine")
    mean = float(array.mean())
    if array.size < MIN_REPLICAS:
        return mean, None
    return mean, float(array.std(ddof=1) / np.sqrt(array.size))


@dataclass(frozen=True)
class MetaDReplicaSet:
    """Replicas of one MetaD (same settings but the seed) and their combined barrier."""

    kind: ClassVar[str] = "metad-replicas"

    replicas: tuple[MetaDResult, ...]
    run_dir: Path

    @classmethod
    def from_replicas(cls, replicas: Sequence[MetaDResult], run_dir: str | Path) -> MetaDReplicaSet:
        """The set of ``replicas`` (at least one, same protocol and potential), recorded under ``run_dir``."""
        if not replicas:
            raise SimulationError("a replica set needs at least one replica")
        labels = {(r.protocol, r.potential, r.settings.temperature_k) for r in replicas}
        if len(labels) > 1:
            raise SimulationError(f"replicas of different runs cannot be combined: {sorted(labels, key=str)}")
        return cls(tuple(replicas), Path(run_dir))

    @property
    def settings(self) -> MetaDSettings:
        """The first replica's settings (the others differ only in the seed)."""
        return self.replicas[0].settings

    @property
    def protocol(self) -> str:
        """The replicas' protocol."""
        return self.replicas[0].protocol

    @property
    def potential(self) -> str | None:
        """The replicas' potential."""
        return self.replicas[0].potential

    @property
    def device(self) -> str:
        """Where the replicas ran."""
        return self.replicas[0].device

    @property
    def structure(self) -> StructureInfo | None:
        """The structure the replicas ran on."""
        return self.replicas[0].structure

    @property
    def converged(self) -> bool:
        """Every replica converged and there are at least three."""
        return len(self.replicas) >= MIN_REPLICAS and all(r.converged is True for r in self.replicas)

    @property
    def convergence_reason(self) -> str:
        """Why the set is (not) converged."""
        n_conv = sum(r.converged is True for r in self.replicas)
        if any(r.settings.smoke_test for r in self.replicas):
            return f"{SMOKE_TEST_LABEL}: never converged"
        if self.converged:
            return f"all {len(self.replicas)} replicas converged (stopping rule)"
        failing = [
            f"replica {k}: {r.convergence_reason}"
            for k, r in enumerate(self.replicas)
            if r.converged is not True
        ]
        return (
            f"{n_conv} of {len(self.replicas)} replicas converged (need all, at least {MIN_REPLICAS}); "
            + "; ".join(failing[:3])
        )

    def barriers_ev(self) -> list[float]:
        """The reported barrier of each replica that has one."""
        return [r.reported_ev for r in self.replicas if r.reported_ev is not None]

    def activation_energy(self) -> EaEstimate | None:
        """The mean barrier with its standard error (``None`` below three replicas with a barrier)."""
        values = self.barriers_ev()
        if not values:
            return None
        mean, error = combine_barriers(values)
        t = self.settings.temperature_k
        smoke = f"{SMOKE_TEST_LABEL}: " if self.settings.smoke_test else ""
        note = (
            f"{smoke}mean of {len(values)} replica(s) ± sd/sqrt(n) ({self.protocol} protocol, MetaD, sselab)"
        )
        return EaEstimate(
            "MetaD", mean, error, t, t, self.protocol, self.converged, self.convergence_reason, note
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (each replica's ``as_dict()``)."""
        estimate = self.activation_energy()
        return {
            "@class": "MetaDReplicaSet",
            "kind": self.kind,
            "run_dir": str(self.run_dir),
            "replicas": [r.as_dict() for r in self.replicas],
            "barriers_ev": self.barriers_ev(),
            "mean_ev": None if estimate is None else estimate.activation_energy_ev,
            "uncertainty_ev": None if estimate is None else estimate.uncertainty_ev,
            "converged": self.converged,
            "convergence_reason": self.convergence_reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetaDReplicaSet:
        """Inverse of :meth:`as_dict`."""
        d = result_data(data, cls.kind)
        return cls(tuple(MetaDResult.from_dict(r) for r in d["replicas"]), Path(d["run_dir"]))
