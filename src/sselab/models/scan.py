"""Descriptor scan: single-descriptor fits (Figure 3a) and every pair Ea = a1·P1 + a2·P2 + b (Table S2).

Each fit uses the rows of the subset that have all its descriptors; ``n`` and ``n_missing`` say how many rows
that was and how many of the subset lacked a descriptor. Fits that cannot be made (too few rows, constant
descriptor) appear with NaN metrics and a ``note``.

Example
-------
>>> from sselab.models.scan import descriptor_scan
>>> from sselab.models.subsets import MODEL_FAMILIES
>>> scan = descriptor_scan(table, MODEL_FAMILIES["divalent-neutral"])  # doctest: +SKIP
>>> scan.singles[["descriptor", "n", "r2", "loo_rmse_ev"]]  # doctest: +SKIP
>>> scan.best_pairs(3)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from sselab import __version__
from sselab.descriptors import ALL_DESCRIPTORS, DESCRIPTORS
from sselab.errors import ConfigError, FitError
from sselab.models.ols import fit_ols
from sselab.models.payload import TARGET, clean
from sselab.models.subsets import Selection, Subset, select_rows


@dataclass(frozen=True)
class ScanResult:
    """Single and pair fits over one subset.

    Attributes
    ----------
    subset, aggregation
        What was fitted.
    singles
        One row per descriptor: ``descriptor, n, n_missing, r2, adj_r2, loo_r2, rmse_ev, loo_rmse_ev, a1,
        a1_lo, a1_hi, b, b_lo, b_hi, note`` (``loo_r2``: leave-one-out R², 1 − PRESS/SS_tot).
    pairs
        One row per pair: ``p1, p2, n, n_missing, r2, adj_r2, loo_r2, rmse_ev, loo_rmse_ev, a1, a1_lo, a1_hi,
        a2, a2_lo, a2_hi, b, b_lo, b_hi, note`` (coefficients in eV per unit, intervals 95 %).
    selection
        The subset's rows (before the per-fit descriptor filter) and the rows it excluded, with reasons.
    """

    subset: Subset
    aggregation: str
    singles: pd.DataFrame
    pairs: pd.DataFrame
    selection: Selection

    def best_pairs(self, k: int = 5, by: str = "adj_r2") -> pd.DataFrame:
        """The ``k`` pairs with the highest ``by`` (default adjusted R²)."""
        return self.pairs.dropna(subset=[by]).sort_values(by, ascending=False).head(k).reset_index(drop=True)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready payload (saved with ``store.save_model_fit``)."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{str(k): clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]

        return {
            "kind": "DescriptorScan",
            "sselab_version": __version__,
            "subset": self.subset.as_dict(),
            "aggregation": self.aggregation,
            "n_rows": len(self.selection.rows),
            "rows": records(
                self.selection.rows[
                    [c for c in ("ea_id", "formula", "phase", TARGET) if c in self.selection.rows]
                ]
            ),
            "excluded": records(self.selection.excluded),
            "singles": records(self.singles),
            "pairs": records(self.pairs),
        }


def _fit_row(rows: pd.DataFrame, names: Sequence[str]) -> dict[str, Any]:
    values = rows[list(names)].astype(float)
    complete = values.notna().all(axis=1).to_numpy()
    out: dict[str, Any] = {"n": int(complete.sum()), "n_missing": int((~complete).sum())}
    try:
        fit = fit_ols(values.to_numpy()[complete], rows[TARGET].to_numpy(dtype=float)[complete])
    except FitError as exc:
        out.update(note=str(exc), r2=np.nan, adj_r2=np.nan, loo_r2=np.nan, rmse_ev=np.nan, loo_rmse_ev=np.nan)
        return out
    out.update(
        r2=fit.r2, adj_r2=fit.adj_r2, loo_r2=fit.loo_r2, rmse_ev=fit.rmse, loo_rmse_ev=fit.loo_rmse, note=""
    )
    for j, (coef, (lo, hi)) in enumerate(zip(fit.coef, fit.coef_ci95, strict=True), start=1):
        out.update({f"a{j}": coef, f"a{j}_lo": lo, f"a{j}_hi": hi})
    out.update(b=fit.intercept, b_lo=fit.intercept_ci95[0], b_hi=fit.intercept_ci95[1])
    return out


def descriptor_scan(table: Any, subset: Subset, descriptors: Sequence[str] = DESCRIPTORS) -> ScanResult:
    """Fit Ea on each descriptor and on each pair of ``descriptors`` over the rows ``subset`` keeps.

    Parameters
    ----------
    table
        A :class:`~sselab.models.table.DescriptorTable` (or its ``rows``).
    subset
        Which rows (see :mod:`sselab.models.subsets`).
    descriptors
        Descriptor columns to scan (default the eight; ``x_wang2025`` may be added).

    Raises
    ------
    ConfigError
        A descriptor is not a column of the table.
    """
    selection = select_rows(table, subset)
    rows = selection.rows
    unknown = [d for d in descriptors if d not in rows.columns]
    if unknown:
        raise ConfigError(
            f"descriptor(s) {unknown} are not columns of the table; choose from {ALL_DESCRIPTORS}"
        )
    aggregation = str(rows.attrs.get("aggregation", getattr(table, "aggregation", "sum")))
    singles = pd.DataFrame([{"descriptor": d, **_fit_row(rows, (d,))} for d in descriptors])
    pairs = pd.DataFrame(
        [{"p1": p1, "p2": p2, **_fit_row(rows, (p1, p2))} for p1, p2 in combinations(descriptors, 2)]
    )
    return ScanResult(
        subset=subset, aggregation=aggregation, singles=singles, pairs=pairs, selection=selection
    )


def save_scan(store: Any, name: str, scan: ScanResult) -> int:
    """Store the scan's tables with ``store.save_model_fit(name, ...)``; returns the row id."""
    return int(store.save_model_fit(name, scan.as_dict()))
