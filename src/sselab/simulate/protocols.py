"""Protocols: how a barrier was obtained, what it measures, and whether it may enter the method benchmark.

An undoped crystal conducts through defects it makes itself, so the activation energy measured by experiment
is, in the simplest picture, ``Ea ≈ Em + ½ Ef`` (migration plus half the formation energy of a Frenkel or
Schottky pair). A protocol says which part a simulation measures:

=============  ==========================================================================  ===============
protocol       set-up and reported barrier                                                 measures
=============  ==========================================================================  ===============
``frenkel``    perfect crystal; the ion leaves its site for an interstitial; intrinsic     intrinsic Ea
               ``Ea = ½ ΔF(interstitial plateau) + Ea2`` (with Ea1, Ea2, the span)
``paper``      perfect crystal as Wang et al. 2025 ran it; the span, with raw Ea1/Ea2      as the paper
``composite``  no MetaD: CI-NEB Em + ½·min(Ef Frenkel, Ef Schottky) of separated defects  intrinsic Ea
``vacancy``    one vacancy made by hand; the hop into it                                    migration only
``interstitial`` one extra ion; its hop between interstitial sites                          migration only
=============  ==========================================================================  ===============

:func:`benchmark_eligibility` is the one rule for which stored rows the method benchmark (computed vs
experimental Ea) may use: a row must be converged, not a smoke test, and of a protocol that measures what
experiment measures (``migration_only_ok=True`` also admits ``vacancy``/``interstitial`` rows, e.g. for a
panel that shows how far a migration barrier alone lands from experiment).

Example
-------
>>> benchmark_eligibility({"method": "MetaD", "protocol": "frenkel", "converged": True})
Eligibility(eligible=True, reason='converged frenkel result (intrinsic Ea)')
>>> benchmark_eligibility({"method": "MetaD", "protocol": "vacancy", "converged": True}).reason
'vacancy measures migration only (Em), not the Ea of an undoped crystal'
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BENCHMARK_PROTOCOLS",
    "MIGRATION_ONLY_PROTOCOLS",
    "PROTOCOL_INFO",
    "SMOKE_TEST_LABEL",
    "Eligibility",
    "ProtocolInfo",
    "benchmark_eligibility",
    "is_smoke_test",
]

#: The label a smoke test carries in its convergence reason and note (quick profiles, demo runs).
SMOKE_TEST_LABEL = "smoke test"


@dataclass(frozen=True)
class ProtocolInfo:
    """What a protocol sets up and what its reported barrier means."""

    name: str
    measures: str
    reported: str
    metad: bool


PROTOCOL_INFO: dict[str, ProtocolInfo] = {
    "frenkel": ProtocolInfo(
        "frenkel", "intrinsic Ea", "½ΔF(interstitial plateau) + Ea2 (Ea1, Ea2, span kept as parts)", True
    ),
    "paper": ProtocolInfo("paper", "Ea as Wang et al. 2025 report it", "energy span (raw Ea1, Ea2)", True),
    "composite": ProtocolInfo(
        "composite", "intrinsic Ea", "CI-NEB Em + ½·min(Ef Frenkel, Ef Schottky)", False
    ),
    "vacancy": ProtocolInfo("vacancy", "migration only (Em)", "energy span of the hop into a vacancy", True),
    "interstitial": ProtocolInfo(
        "interstitial", "migration only (Em)", "energy span of an interstitial's hop", True
    ),
}
#: Protocols whose barrier is comparable with the experimental Ea of an undoped crystal.
BENCHMARK_PROTOCOLS = ("frenkel", "paper", "composite")
#: Protocols that measure the migration energy only.
MIGRATION_ONLY_PROTOCOLS = ("vacancy", "interstitial")


@dataclass(frozen=True)
class Eligibility:
    """Whether a stored result may enter the method benchmark, and why (not)."""

    eligible: bool
    reason: str


def _parameters(row: Mapping[str, Any]) -> Mapping[str, Any]:
    params = row.get("parameters")
    if isinstance(params, str):
        try:
            params = json.loads(params)
        except json.JSONDecodeError:
            return {}
    return params if isinstance(params, Mapping) else {}


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def is_smoke_test(row: Mapping[str, Any]) -> bool:
    """Whether a stored row (or a result's dict) is a smoke test: ``smoke_test`` in its parameters, or the
    :data:`SMOKE_TEST_LABEL` in its convergence reason or note."""
    if bool(_parameters(row).get("smoke_test")):
        return True
    return any(SMOKE_TEST_LABEL in _text(row.get(key)).lower() for key in ("convergence_reason", "note"))


def benchmark_eligibility(row: Mapping[str, Any], *, migration_only_ok: bool = False) -> Eligibility:
    """May the stored activation-energy ``row`` enter the method benchmark?

    Parameters
    ----------
    row
        A row of :meth:`sselab.store.Store.activation_energy_frame` (as a mapping: ``row.to_dict()``) or any
        mapping with ``method``, ``protocol``, ``converged``, and optionally ``convergence_reason``, ``note``,
        ``parameters``. Experimental rows are the reference, not a candidate: never eligible here.
    migration_only_ok
        Also admit converged ``vacancy``/``interstitial`` rows (migration barriers).

    Returns
    -------
    Eligibility
        ``eligible`` and a reason a report can print.
    """
    method = _text(row.get("method"))
    protocol = _text(row.get("protocol")) or None
    if method == "experiment":
        return Eligibility(False, "an experimental value is the reference, not a computed result")
    if is_smoke_test(row):
        return Eligibility(False, f"{SMOKE_TEST_LABEL}: never part of the benchmark")
    converged = row.get("converged")
    if converged is None or (isinstance(converged, float) and math.isnan(converged)) or not bool(converged):
        state = "not converged" if converged is not None and converged == converged else "convergence unknown"
        return Eligibility(False, f"{state}: {_text(row.get('convergence_reason')) or 'no reason given'}")
    if protocol is None:
        return Eligibility(False, "no protocol recorded: what the number measures is unknown")
    info = PROTOCOL_INFO.get(protocol)
    if info is None:
        return Eligibility(False, f"unknown protocol {protocol!r}")
    if protocol in MIGRATION_ONLY_PROTOCOLS and not migration_only_ok:
        return Eligibility(
            False, f"{protocol} measures migration only (Em), not the Ea of an undoped crystal"
        )
    return Eligibility(True, f"converged {protocol} result ({info.measures})")
