"""The result of a metadynamics run, as ``summary.json`` holds it: settings, analysis, convergence, labels.

``MetaDResult.from_dict(json.load(open(run / "summary.json")))`` rebuilds the result of any MetaD run folder;
its hills and COLVAR are read from the folder's ``outputs`` when asked for.

Example
-------
>>> result = MetaDResult.from_dict(json.load(open("metad-run/summary.json")))  # doctest: +SKIP
>>> result.barriers.rate_determining_ev, result.converged, result.settings.protocol  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from sselab.simulate.metad.analysis import MetaDAnalysis
from sselab.simulate.metad.barriers import BarrierResult
from sselab.simulate.metad.fes import FES
from sselab.simulate.metad.plumed import ColvarData, HillsData, read_colvar, read_hills
from sselab.simulate.protocols import SMOKE_TEST_LABEL
from sselab.simulate.results import EaEstimate, StructureInfo, result_data
from sselab.simulate.runfolder import read_summary
from sselab.simulate.settings import MetaDSettings

__all__ = ["MetaDResult", "load_metad_result", "reported_barrier"]

HILLS_FILE = "outputs/HILLS"
COLVAR_FILE = "outputs/COLVAR"


@dataclass(frozen=True)
class MetaDResult:
    """Outcome of a metadynamics run (:func:`~sselab.simulate.metad.engine.run_metadynamics`).

    Attributes
    ----------
    settings
        The settings it ran with (:class:`~sselab.simulate.settings.MetaDSettings`).
    run_dir
        The run folder (``HILLS`` and ``COLVAR`` in its ``outputs``).
    analysis
        FES, barriers (``None`` when the ion never left its site, see ``barrier_error``) and uncertainty.
    steps_done, n_hills
        MD steps done in total (earlier chunks and resumed runs included) and hills deposited.
    wall_time_s
        Wall time of the last call (s).
    cv_names, widths
        CV names and hill widths (CV units).
    start, end
        CV coordinates of the start site and of the target site (``None``: the nearest equivalent minimum).
    potential, device
        Registry name of the potential (``None`` for a calculator given directly) and where it ran.
    structure
        The structure it ran on (``None`` for a model system).
    converged, convergence_reason
        Whether a stopping rule found the barrier converged (``None``: no rule applied), and why.
    parameters
        Everything else recorded about the run (CVs, grid, protocol details, preparation).
    host_drift_a, max_host_drift_a
        How far the centroid of the host (the atoms no CV names) moved from the start, at the end and at
        most (Å); ``None`` for an older run folder.
    convergence
        The stopping rule's measurements (transitions, barrier changes, hill ratio, estimator difference).
    """

    kind: ClassVar[str] = "metad"

    settings: MetaDSettings
    run_dir: Path
    analysis: MetaDAnalysis
    steps_done: int
    n_hills: int
    wall_time_s: float
    cv_names: tuple[str, ...]
    widths: tuple[float, ...]
    start: tuple[float, ...]
    end: tuple[float | None, ...] | None = None
    potential: str | None = None
    device: str = "cpu"
    structure: StructureInfo | None = None
    converged: bool | None = None
    convergence_reason: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    host_drift_a: float | None = None
    max_host_drift_a: float | None = None
    convergence: dict[str, Any] = field(default_factory=dict)

    @property
    def barriers(self) -> BarrierResult | None:
        """The barriers (eV) with their uncertainty, or ``None``."""
        return self.analysis.barriers

    @property
    def barrier_error(self) -> str | None:
        """Why there is no barrier (``None`` when there is one)."""
        return self.analysis.barrier_error

    @property
    def fes(self) -> FES:
        """The FES the barriers were read from."""
        return self.analysis.fes

    @property
    def protocol(self) -> str:
        """How the migration was set up (``settings.protocol``)."""
        return self.settings.protocol

    @property
    def simulated_time_ps(self) -> float:
        """Simulated time (ps)."""
        return self.steps_done * self.settings.timestep_fs / 1000.0

    @cached_property
    def hills(self) -> HillsData:
        """This walker's hills, read from ``outputs/HILLS`` (eV, ps)."""
        return read_hills(self.run_dir / HILLS_FILE)

    @cached_property
    def colvar(self) -> ColvarData:
        """The CV trace, read from ``outputs/COLVAR`` (CV units, eV)."""
        return read_colvar(self.run_dir / COLVAR_FILE)

    def with_convergence(
        self, converged: bool | None, reason: str | None, details: Mapping[str, Any] | None = None
    ) -> MetaDResult:
        """A copy with the verdict of a stopping rule (and its measurements)."""
        return replace(self, converged=converged, convergence_reason=reason, convergence=dict(details or {}))

    @property
    def reported_ev(self) -> float | None:
        """The barrier this protocol reports (:func:`reported_barrier`), ``None`` when there is none."""
        return None if self.barriers is None else reported_barrier(self.protocol, self.barriers)[0]

    def activation_energy(self) -> EaEstimate | None:
        """The protocol's barrier as an activation energy (``None`` when there is none): the intrinsic Ea
        for ``frenkel``, the energy span otherwise; its uncertainty only when replicas or walkers gave one."""
        b = self.barriers
        if b is None:
            return None
        value, what = reported_barrier(self.protocol, b)
        if value is None:
            return None
        smoke = f"{SMOKE_TEST_LABEL}: " if self.settings.smoke_test else ""
        note = f"{smoke}{what}, {b.kind} path ({self.protocol} protocol, MetaD, sselab)"
        t = self.settings.temperature_k
        return EaEstimate(
            "MetaD", value, b.uncertainty_ev, t, t, self.protocol, self.converged, self.convergence_reason,
            note,
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form; :meth:`from_dict` rebuilds the result from it (or from the whole summary)."""
        return {
            "@class": "MetaDResult",
            "kind": self.kind,
            "settings": self.settings.as_dict(),
            "run_dir": str(self.run_dir),
            "analysis": self.analysis.as_dict(),
            "steps_done": self.steps_done,
            "n_hills": self.n_hills,
            "simulated_time_ps": self.simulated_time_ps,
            "wall_time_s": self.wall_time_s,
            "cv_names": list(self.cv_names),
            "widths": list(self.widths),
            "start": list(self.start),
            "end": None if self.end is None else list(self.end),
            "potential": self.potential,
            "device": self.device,
            "structure": None if self.structure is None else self.structure.as_dict(),
            "converged": self.converged,
            "convergence_reason": self.convergence_reason,
            "parameters": self.parameters,
            "host_drift_a": self.host_drift_a,
            "max_host_drift_a": self.max_host_drift_a,
            "convergence": self.convergence,
            "reported_ev": self.reported_ev,
            "files": {"hills": HILLS_FILE, "colvar": COLVAR_FILE},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetaDResult:
        """Inverse of :meth:`as_dict`; also accepts a run folder's whole ``summary.json``."""
        d = result_data(data, cls.kind)
        return cls(
            settings=MetaDSettings.from_dict(d["settings"]),
            run_dir=Path(d["run_dir"]),
            analysis=MetaDAnalysis.from_dict(d["analysis"]),
            steps_done=int(d["steps_done"]),
            n_hills=int(d["n_hills"]),
            wall_time_s=float(d["wall_time_s"]),
            cv_names=tuple(d["cv_names"]),
            widths=tuple(float(w) for w in d["widths"]),
            start=tuple(float(x) for x in d["start"]),
            end=None if d.get("end") is None else tuple(None if x is None else float(x) for x in d["end"]),
            potential=d.get("potential"),
            device=str(d.get("device", "cpu")),
            structure=None if d.get("structure") is None else StructureInfo.from_dict(d["structure"]),
            converged=d.get("converged"),
            convergence_reason=d.get("convergence_reason"),
            parameters=dict(d.get("parameters") or {}),
            host_drift_a=None if d.get("host_drift_a") is None else float(d["host_drift_a"]),
            max_host_drift_a=None if d.get("max_host_drift_a") is None else float(d["max_host_drift_a"]),
            convergence=dict(d.get("convergence") or {}),
        )


def reported_barrier(protocol: str, barriers: BarrierResult) -> tuple[float | None, str]:
    """The barrier a protocol reports and what it is: ``frenkel`` the intrinsic ``½ΔF(plateau) + Ea2``
    (``None`` when no onward hop from the interstitial was sampled), every other protocol the energy span."""
    if protocol == "frenkel":
        value = barriers.intrinsic_ev
        return value, "intrinsic Ea = ½ΔF(interstitial plateau) + Ea2"
    return barriers.effective_ev, "effective barrier (energy span)"


def load_metad_result(run_dir: str | Path) -> MetaDResult:
    """The result of the MetaD run folder ``run_dir`` (from its ``summary.json``)."""
    return MetaDResult.from_dict(read_summary(run_dir))
