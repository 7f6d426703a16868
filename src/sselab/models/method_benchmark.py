"""Benchmark of computed Ea against experiment, per method (the paper's Figures 1c and 2b).

Each computed activation energy (MetaD, CI-NEB, AIMD, MLMD, BVSE, regression, ...) is matched to the
experimental Ea of the same material – same reduced composition of the conducting compound (additive
excluded), so ``Mg(BH4)2·2NH3`` and ``Mg(BH4)2-2NH3`` match – and the same phase:

* both phases given: they must be equal;
* the computed phase not given (``None``, NaN or ``pd.NA``: pandas 3 reads a missing string as NaN): matched
  when the experiments of that composition cover a single phase;
* several experimental values for the same composition and phase are averaged (``n_experiment`` says how
  many).

Computed values from the literature (rows with a source and no sselab run folder, ``origin`` =
``"literature"``) are benchmarked apart from sselab's own runs: their method is labelled ``"CI-NEB
(literature)"`` (:func:`method_label`), so each is its own method in the metrics and the parity plot.

Rows flagged as doubtful are left out. Per method: N, R² (coefficient of determination of the computed values
as predictions of experiment, 1 − SS_res/SS_tot), the squared Pearson correlation, MAE, RMSE and the mean
signed error (computed − experiment), all in eV.

Example
-------
>>> from sselab.models.method_benchmark import benchmark_methods
>>> result = benchmark_methods(store.activation_energy_frame())  # doctest: +SKIP
>>> result.metrics  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from pymatgen.core import Composition

from sselab.chem import parse_formula
from sselab.errors import FitError, FormulaParseError
from sselab.store.export import ORIGIN_LITERATURE

logger = logging.getLogger(__name__)

EXPERIMENT = "experiment"


def method_label(method: str, origin: object) -> str:
    """How the benchmark names a computed method: literature values apart from sselab's own runs.

    >>> method_label("CI-NEB", "literature"), method_label("CI-NEB", "sselab"), method_label("MetaD", None)
    ('CI-NEB (literature)', 'CI-NEB', 'MetaD')
    """
    return f"{method} ({ORIGIN_LITERATURE})" if origin == ORIGIN_LITERATURE else str(method)


#: Columns of :attr:`MethodBenchmark.metrics`.
METRIC_COLUMNS: tuple[str, ...] = ("method", "n", "r2", "pearson_r2", "mae_ev", "rmse_ev", "mean_error_ev")


@dataclass(frozen=True)
class MethodBenchmark:
    """Matched pairs, per-method metrics and the computed rows that found no experiment.

    Attributes
    ----------
    pairs
        ``method, formula, composition_key, phase, computed_ev, experiment_ev, n_experiment, ea_id, origin``;
        ``method`` is the method's label (:func:`method_label`: ``"CI-NEB (literature)"`` for a value from a
        source, ``"CI-NEB"`` for sselab's own run), ``origin`` the row's ``"literature"``/``"sselab"``;
        ``phase`` is an object column holding ``None`` where no phase was given (test with ``pd.isna``).
    metrics
        One row per method, columns :data:`METRIC_COLUMNS`.
    unmatched
        ``method, formula, phase, reason, origin`` for computed rows without an experimental partner.
    """

    pairs: pd.DataFrame
    metrics: pd.DataFrame
    unmatched: pd.DataFrame


@lru_cache(maxsize=4096)
def composition_key(formula: str) -> str:
    """Reduced composition of the conducting compound (additive excluded), e.g. ``'MgB2H14N2'``."""

    try:
        composition = parse_formula(formula).composition
    except FormulaParseError:
        try:
            composition = Composition(formula)
        except ValueError:
            return formula.strip()
    return str(composition.reduced_formula)


def _phase(value: object) -> str | None:
    """The phase label, or ``None`` when not given: ``None``, NaN, ``pd.NA`` (pandas 3 string columns), NaT
    and blank strings all mean "no phase"."""
    if not isinstance(value, str) and bool(np.all(pd.isna(np.asarray(value, dtype=object)))):
        return None
    text = str(value).strip()
    return text or None


def regression_metrics(experiment_ev: np.ndarray, computed_ev: np.ndarray) -> dict[str, float]:
    """N, R², Pearson r², MAE, RMSE, mean signed error (eV) of computed vs experimental values."""
    y = np.asarray(experiment_ev, dtype=float)
    f = np.asarray(computed_ev, dtype=float)
    if len(y) == 0:
        raise FitError("no matched pairs")
    error = f - y
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(error**2)) / ss_tot if ss_tot > 0 else float("nan")
    pearson = (
        float(np.corrcoef(y, f)[0, 1] ** 2)
        if len(y) > 1 and np.std(y) > 0 and np.std(f) > 0
        else float("nan")
    )
    return {
        "n": len(y),
        "r2": r2,
        "pearson_r2": pearson,
        "mae_ev": float(np.mean(np.abs(error))),
        "rmse_ev": float(np.sqrt(np.mean(error**2))),
        "mean_error_ev": float(np.mean(error)),
    }


def benchmark_methods(frame: pd.DataFrame, methods: tuple[str, ...] | None = None) -> MethodBenchmark:
    """Match computed to experimental Ea and compute per-method metrics.

    Parameters
    ----------
    frame
        ``Store.activation_energy_frame()`` (columns ``formula, method, phase, activation_energy_ev`` at
        least).
    methods
        Computed methods to include (default: every method other than ``experiment`` present in the frame).
    """
    needed = {"formula", "method", "activation_energy_ev"}
    if missing := needed - set(frame.columns):
        raise FitError(f"activation-energy frame lacks column(s) {sorted(missing)}")
    data = frame.copy()
    if "flag" in data.columns:
        data = data[data["flag"].isna()]
    data["composition_key"] = [composition_key(str(f)) for f in data["formula"]]
    phases = data["phase"] if "phase" in data.columns else [None] * len(data)
    data["phase_key"] = [_phase(p) or "" for p in phases]  # "" = phase not given
    exp = data[data["method"] == EXPERIMENT]
    exp_groups = {
        (key, phase): (float(group["activation_energy_ev"].mean()), len(group))
        for (key, phase), group in exp.groupby(["composition_key", "phase_key"], sort=False)
    }
    phases_of = exp.groupby("composition_key")["phase_key"].apply(lambda s: sorted(set(s))).to_dict()
    computed = data[data["method"] != EXPERIMENT]
    if methods is not None:
        computed = computed[computed["method"].isin(methods)]
    pairs, unmatched = [], []
    if "origin" not in computed.columns:  # a frame without origin: every computed row keeps its method name
        computed = computed.assign(origin=None)
    for row in computed.itertuples(index=False):
        key, phase = row.composition_key, row.phase_key
        label = method_label(str(row.method), row.origin)
        match = exp_groups.get((key, phase))
        if match is None and not phase and len(phases_of.get(key, [])) == 1:
            match = exp_groups.get((key, phases_of[key][0]))
        if match is None:
            known = phases_of.get(key)
            if not known:
                reason = "no experiment for this composition"
            elif not phase:
                reason = f"phase not given and the experiments cover several phases {known}"
            else:
                reason = f"no experiment in phase {phase!r} (have {[p or 'unspecified' for p in known]})"
            unmatched.append(
                {"method": label, "formula": row.formula, "phase": phase or None, "reason": reason,
                 "origin": row.origin}
            )  # fmt: skip
            continue
        pairs.append(
            {
                "method": label,
                "formula": row.formula,
                "composition_key": key,
                "phase": phase or None,
                "computed_ev": float(row.activation_energy_ev),  # type: ignore[arg-type]
                "experiment_ev": match[0],
                "n_experiment": match[1],
                "ea_id": getattr(row, "ea_id", None),
                "origin": row.origin,
            }
        )
    pair_frame = pd.DataFrame(
        pairs,
        columns=[
            "method",
            "formula",
            "composition_key",
            "phase",
            "computed_ev",
            "experiment_ev",
            "n_experiment",
            "ea_id",
            "origin",
        ],
    )
    pair_frame["phase"] = pd.Series([p["phase"] for p in pairs], dtype=object)
    metrics = [
        {
            "method": method,
            **regression_metrics(group["experiment_ev"].to_numpy(), group["computed_ev"].to_numpy()),
        }
        for method, group in pair_frame.groupby("method", sort=True)
    ]
    logger.info("method benchmark: %d pairs, %d unmatched", len(pair_frame), len(unmatched))
    unmatched_frame = pd.DataFrame(unmatched, columns=["method", "formula", "phase", "reason", "origin"])
    unmatched_frame["phase"] = pd.Series([u["phase"] for u in unmatched], dtype=object)
    return MethodBenchmark(
        pairs=pair_frame,
        metrics=pd.DataFrame(metrics, columns=list(METRIC_COLUMNS)),
        unmatched=unmatched_frame,
    )


#: Columns of the hydride benchmark's rows (one per computed value), as written to its CSV.
ROW_COLUMNS: tuple[str, ...] = (
    "formula",
    "phase",
    "provenance",
    "method",
    "protocol",
    "potential",
    "converged",
    "ea_ev",
    "experimental_ea_ev",
    "doi",
)
#: Extra columns the metrics need (kept apart from the CSV columns above); ``origin`` is ``"sselab"`` (a
#: run of sselab) or ``"literature"`` (a published computed value, method labelled by :func:`method_label`).
CONTEXT_COLUMNS: tuple[str, ...] = ("name", "status", "suspect", "has_neutral_molecule", "origin")
HYDRIDE_METRIC_COLUMNS: tuple[str, ...] = (
    "method",
    "potential",
    "subset",
    "n",
    "r2",
    "pearson_r2",
    "mae_ev",
    "rmse_ev",
    "mean_error_ev",
    "n_unconverged_excluded",
    "n_failed",
)


@dataclass(frozen=True)
class HydrideBenchmark:
    """Metrics of computed against experimental Ea per method × potential (the paper's Figure 2b).

    Attributes
    ----------
    rows
        One row per computed value: :data:`ROW_COLUMNS` and :data:`CONTEXT_COLUMNS`; ``suspect`` holds the
        reason a row's experiment is flagged (manifest or user), else ``None``.
    metrics
        :data:`HYDRIDE_METRIC_COLUMNS`; ``subset`` is ``"converged"`` (every converged value) or
        ``"converged, unflagged"`` (suspect experiments left out). Unconverged and failed values never enter
        a metric; their counts are given. A published value (``origin`` ``"literature"``) enters as its
        source reports it: its convergence is not sselab's to judge.
    """

    rows: pd.DataFrame
    metrics: pd.DataFrame


def hydride_benchmark(rows: pd.DataFrame, flags: dict[str, str] | None = None) -> HydrideBenchmark:
    """Per method × potential: N, R², MAE, RMSE of converged values, with and without flagged experiments.

    Parameters
    ----------
    rows
        :data:`ROW_COLUMNS` plus ``name`` and ``status`` (``"ok"``/``"failed"``); optional ``suspect``,
        ``has_neutral_molecule`` and ``origin`` (default ``"sselab"``).
    flags
        ``{material name: reason}``: experiments the user distrusts (added to the rows' own ``suspect``).

    Raises
    ------
    FitError
        When a required column is missing.

    Example
    -------
    >>> frame = pd.DataFrame({"name": ["a", "b"], "formula": ["X", "Y"], "phase": "low-T",
    ...     "provenance": "experimental", "method": "neb", "protocol": "vacancy", "potential": "emt",
    ...     "converged": True, "ea_ev": [0.5, 0.7], "experimental_ea_ev": [0.6, 0.9], "doi": None,
    ...     "status": "ok"})
    >>> first = hydride_benchmark(frame).metrics.iloc[0]
    >>> int(first["n"]), round(float(first["mae_ev"]), 3)
    (2, 0.15)
    """
    required = set(ROW_COLUMNS) | {"name", "status"}
    if missing := required - set(rows.columns):
        raise FitError(f"benchmark rows lack column(s) {sorted(missing)}")
    data = rows.copy()
    if "suspect" not in data.columns:
        data["suspect"] = None
    if "has_neutral_molecule" not in data.columns:
        data["has_neutral_molecule"] = False
    if "origin" not in data.columns:
        data["origin"] = "sselab"
    data["suspect"] = [
        (flags or {}).get(name) or (None if pd.isna(s) or not str(s).strip() else str(s))
        for name, s in zip(data["name"], data["suspect"], strict=True)
    ]
    data["suspect"] = data["suspect"].astype(object)
    metrics = []
    for (method, potential), group in data.groupby(["method", "potential"], sort=True):
        done = group[(group["status"] == "ok") & group["experimental_ea_ev"].notna()]
        ok = done[done["ea_ev"].notna()]
        converged = ok[ok["converged"].eq(True) | ok["origin"].eq(ORIGIN_LITERATURE)]
        counts = {
            # every finished job kept out, a run that found no barrier (no value) too
            "n_unconverged_excluded": int(len(done) - len(converged)),
            "n_failed": int((group["status"] != "ok").sum()),
        }
        subsets = {
            "converged": converged,
            "converged, unflagged": converged[converged["suspect"].isna()],
        }
        for subset, chosen in subsets.items():
            values: dict[str, float] = (
                regression_metrics(chosen["experimental_ea_ev"].to_numpy(), chosen["ea_ev"].to_numpy())
                if len(chosen)
                else {"n": 0, **dict.fromkeys(METRIC_COLUMNS[2:], float("nan"))}
            )
            metrics.append({"method": method, "potential": potential, "subset": subset, **values, **counts})
    return HydrideBenchmark(
        rows=data[[*ROW_COLUMNS, *CONTEXT_COLUMNS]].reset_index(drop=True),
        metrics=pd.DataFrame(metrics, columns=list(HYDRIDE_METRIC_COLUMNS)),
    )
