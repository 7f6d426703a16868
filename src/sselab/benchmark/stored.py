"""The benchmark metrics of a store's activation energies: every computed Ea (sselab's own runs and published
values) against the experiments of the same material and phase, per method × potential.

Pairs are found as :func:`sselab.models.method_benchmark.benchmark_methods` finds them (same reduced
composition and phase, experiments averaged, flagged rows left out); the metrics are those of
:func:`sselab.models.method_benchmark.hydride_benchmark`: converged values only (the store's ``converged``
column; a value whose convergence was not assessed is counted as excluded, never mixed in), with and without
the experiments flagged as suspect. A published value keeps its source's label (``"CI-NEB (literature)"``,
potential ``"published"``) and enters as its source reports it.

Rows are named ``formula|phase|provenance`` (as a benchmark manifest names its materials), so the same
``flags`` (``{name: reason}``) work for a benchmark run and for the store.

Example
-------
>>> import pandas as pd
>>> frame = pd.DataFrame({"ea_id": [1, 2, 3], "formula": ["LiBH4"] * 3, "phase": "low-T",
...     "method": ["experiment", "composite", "CI-NEB"], "activation_energy_ev": [0.69, 0.61, 0.30],
...     "potential": [None, "chgnet", None], "protocol": [None, "composite", None],
...     "converged": [None, True, None], "structure_provenance": [None, "experimental", None],
...     "origin": ["literature", "sselab", "literature"], "doi": ["10.1/x", None, "10.1/y"]})
>>> result = stored_benchmark(frame)
>>> result.benchmark.metrics[["method", "potential", "subset", "n"]].values.tolist()[::2]
[['CI-NEB (literature)', 'published', 'converged', 1], ['composite', 'chgnet', 'converged', 1]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from sselab.models.method_benchmark import (
    CONTEXT_COLUMNS,
    ROW_COLUMNS,
    HydrideBenchmark,
    MethodBenchmark,
    benchmark_methods,
    hydride_benchmark,
)
from sselab.simulate.protocols import MIGRATION_ONLY_PROTOCOLS, benchmark_eligibility
from sselab.store.export import ORIGIN_LITERATURE

__all__ = ["StoredBenchmark", "own_runs_by_protocol", "store_rows", "stored_benchmark"]


@dataclass(frozen=True)
class StoredBenchmark:
    """The store's benchmark: the metrics (:class:`~sselab.models.method_benchmark.HydrideBenchmark`) and
    the matched pairs and unmatched rows they came from (:class:`~sselab.models.method_benchmark.
    MethodBenchmark`)."""

    benchmark: HydrideBenchmark
    matched: MethodBenchmark


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _converged(value: Any) -> bool | None:
    if value is None or (not isinstance(value, bool) and pd.isna(value)):
        return None
    return bool(value)


def own_runs_by_protocol(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[Any, str]]]:
    """sselab's own computed rows of ``frame`` as the benchmark may compare them, and those it may not.

    Left out, with the reason of :func:`sselab.simulate.protocols.benchmark_eligibility` (convergence
    aside): smoke tests and rows with no or an unknown ``protocol``. A method whose protocol measures
    migration only (``vacancy``, ``interstitial``) or reports as the paper does (``paper``) is named with it
    (``"MetaD (vacancy)"``), so it never shares a line of metrics with the intrinsic Ea of the same method;
    CI-NEB is a vacancy hop by definition and keeps its name. Experiments and published values pass
    unchanged; convergence is judged later (unconverged rows are counted, never used).

    Example
    -------
    >>> frame = pd.DataFrame({"ea_id": [1, 2, 3], "method": ["MetaD", "MetaD", "MetaD"],
    ...     "protocol": ["frenkel", "vacancy", None], "origin": "sselab"})
    >>> kept, left_out = own_runs_by_protocol(frame)
    >>> kept["method"].tolist(), left_out
    (['MetaD', 'MetaD (vacancy)'], [(3, 'no protocol recorded: what the number measures is unknown')])
    """
    data = frame.copy()
    keep, left_out = [], []
    for index, row in data.iterrows():
        method = _text(row.get("method"))
        own = method not in (None, "experiment") and row.get("origin", "sselab") != ORIGIN_LITERATURE
        if not own:
            keep.append(index)
            continue
        protocol = _text(row.get("protocol"))
        # the one rule (sselab.simulate.protocols); convergence is left to the metrics (counted, never used)
        fields = {str(key): value for key, value in row.items()}
        verdict = benchmark_eligibility({**fields, "converged": True}, migration_only_ok=True)
        reason = None if verdict.eligible else verdict.reason
        if reason is not None:
            left_out.append((row.get("ea_id", index), reason))
            continue
        if method != "CI-NEB" and (protocol in MIGRATION_ONLY_PROTOCOLS or protocol == "paper"):
            data.at[index, "method"] = f"{method} ({protocol})"
        keep.append(index)
    return data.loc[keep], left_out


def store_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, MethodBenchmark]:
    """One benchmark row per computed Ea of ``frame`` (``Store.activation_energy_frame()``) that has an
    experiment: :data:`~sselab.models.method_benchmark.ROW_COLUMNS` and ``CONTEXT_COLUMNS``.

    ``experimental_ea_ev`` is the mean of the matching experiments; ``doi`` is the source of the computed
    value (``None`` for sselab's own runs); ``provenance`` the structure's (``"literature"`` for a published
    value, ``"unknown"`` when a run did not record it).
    """
    frame, _ = own_runs_by_protocol(frame)
    matched = benchmark_methods(frame)
    info = frame.set_index("ea_id") if "ea_id" in frame.columns else pd.DataFrame()
    rows = []
    for pair in matched.pairs.to_dict(orient="records"):
        source = info.loc[pair["ea_id"]] if pair["ea_id"] in info.index else pd.Series(dtype=object)
        literature = pair["origin"] == ORIGIN_LITERATURE
        provenance = _text(source.get("structure_provenance")) or ("literature" if literature else "unknown")
        phase = _text(pair["phase"])
        rows.append(
            {
                "formula": pair["formula"],
                "phase": phase,
                "provenance": provenance,
                "method": pair["method"],
                "protocol": _text(source.get("protocol")),
                "potential": _text(source.get("potential")) or ("published" if literature else "unspecified"),
                "converged": _converged(source.get("converged")),
                "ea_ev": float(pair["computed_ev"]),
                "experimental_ea_ev": float(pair["experiment_ev"]),
                "doi": _text(source.get("doi")),
                "name": f"{pair['formula']}|{phase or 'unspecified'}|{provenance}",
                "status": "ok",
                "suspect": None,
                "has_neutral_molecule": _text(source.get("neutral_molecule")) is not None,
                "origin": ORIGIN_LITERATURE if literature else "sselab",
            }
        )
    columns = [*ROW_COLUMNS, *CONTEXT_COLUMNS]
    table = pd.DataFrame(rows, columns=columns).astype({"converged": object, "suspect": object})
    return table, matched


def stored_benchmark(frame: pd.DataFrame, flags: dict[str, str] | None = None) -> StoredBenchmark:
    """Metrics of the store's computed activation energies per method × potential (see the module).

    Parameters
    ----------
    frame
        ``Store.activation_energy_frame()``.
    flags
        ``{row name: reason}``: experiments to distrust (metrics with and without them).
    """
    rows, matched = store_rows(frame)
    return StoredBenchmark(hydride_benchmark(rows, flags), matched)
