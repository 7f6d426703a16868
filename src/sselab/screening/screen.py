"""Predict Ea for a candidate space with the routed models, with intervals and flags; rank, export and store.

Each route of the space selects candidates by anion family and carbon (a numpy mask) and the route's model
predicts Ea for them from descriptor arrays computed on the element-count matrix (one matrix product per
aggregation, one per additive descriptor), so the paper's space gives 270 (y1) + 288 (y2) = 558 predictions
and 10^6 candidates need no Python loop over rows.

Every prediction carries its prediction interval (95 % by default, from the model's fit statistics; NaN for a
published line, which has none) and its flags (:mod:`sselab.models.intervals`): ``ea<=0``, ``interval<0``,
``extrapolated``, ``no-interval``, ``range-unknown``. **Ranking** (within each route, 1 = best) uses the
criterion the user chooses — ``point`` (the predicted Ea) or ``upper`` (the upper end of the interval, the
cautious choice that penalises uncertain predictions). A predicted Ea ≤ 0 is no barrier: it gets no rank
(``<NA>``) and is never reported as a best candidate. A prediction whose interval reaches below 0 eV is
ranked, and its ``interval<0`` flag travels with it into every table, summary and file.

Results are stored in the tables ``screening_runs``/``screening_predictions`` (``Store.save_screening``), not
as ``ActivationEnergyRecord(method="regression")`` rows: the candidates are hypothetical materials and would
otherwise enter the materials table and the method benchmark.

Example
-------
>>> from sselab.screening import paper_space, screen
>>> result = screen(paper_space(), {"y1": y1_model, "y2": y2_model}, criterion="upper")  # doctest: +SKIP
>>> result.best("y1", 3)[["formula", "predicted_ea_ev", "ea_upper_ev", "flags"]]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sselab.descriptors import descriptor_arrays
from sselab.descriptors.elements import cation_ionic_radius_pm
from sselab.errors import ConfigError
from sselab.models.intervals import rankable
from sselab.models.linear import LinearEaModel
from sselab.screening.enumerate import Candidates, candidate_formulas, enumerate_candidates
from sselab.screening.space import CandidateSpace, Route

logger = logging.getLogger(__name__)

#: Ranking criteria: the point estimate, or the upper end of the prediction interval.
CRITERIA: tuple[str, ...] = ("point", "upper")

#: Columns of :attr:`ScreeningResult.predictions` (then the descriptors each model used).
PREDICTION_COLUMNS: tuple[str, ...] = (
    "model", "model_name", "model_kind", "rank", "candidate_id", "formula", "cation", "anion", "molecule",
    "n", "predicted_ea_ev", "ea_lower_ev", "ea_upper_ev", "extrapolated", "flags",
)  # fmt: skip

#: Stored predictions keep at most this many per route above :data:`MAX_STORED` predictions in all.
TOP_STORED = 1000
MAX_STORED = 100_000


@dataclass(frozen=True)
class ScreeningResult:
    """Predictions of every routed model.

    Attributes
    ----------
    candidates
        The enumerated space.
    predictions
        Long frame, one row per (route, candidate), columns :data:`PREDICTION_COLUMNS` plus the descriptors of
        the route's model; ``model`` is the route label, ``rank`` is ``<NA>`` for unrankable predictions.
    models
        Model payloads (``LinearEaModel.to_dict()`` without training rows) by route label.
    criterion, confidence
        How ranks were assigned and the coverage of the intervals.
    """

    candidates: Candidates
    predictions: pd.DataFrame
    models: dict[str, dict[str, Any]]
    criterion: str = "point"
    confidence: float = 0.95

    def ranked(self, model: str | None = None, top: int | None = None) -> pd.DataFrame:
        """Predictions of route ``model`` (all if ``None``): ranked ones by rank (the first ``top`` of each
        route when given), then the unranked ones by predicted Ea (left out when ``top`` is given)."""
        frame = self.predictions if model is None else self.predictions[self.predictions["model"] == model]
        if top is not None:
            frame = frame[frame["rank"].notna() & (frame["rank"] <= top)]
        return frame.sort_values(["model", "rank", "predicted_ea_ev"], na_position="last").reset_index(
            drop=True
        )

    def best(self, model: str, top: int = 3) -> pd.DataFrame:
        """The ``top`` best-ranked predictions of route ``model`` (never an ``ea<=0`` one; flags kept)."""
        return self.ranked(model, top)

    def not_ranked(self, model: str | None = None) -> pd.DataFrame:
        """Predictions left unranked (``ea<=0``), lowest predicted Ea first."""
        frame = self.predictions[self.predictions["rank"].isna()]
        if model is not None:
            frame = frame[frame["model"] == model]
        return frame.sort_values(["model", "predicted_ea_ev"]).reset_index(drop=True)

    def counts(self) -> dict[str, int]:
        """Predictions per route."""
        return {str(k): int(v) for k, v in self.predictions["model"].value_counts(sort=False).items()}

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per route: model name, kind, label, R², N, LOO RMSE, mean interval half-width, counts of flags."""
        out = {}
        for route, group in self.predictions.groupby("model", sort=True):
            payload = self.models[str(route)]
            metrics = payload.get("metrics") or {}
            half = (group["ea_upper_ev"] - group["ea_lower_ev"]).to_numpy(dtype=float) / 2.0
            flags = group["flags"].astype(str)
            out[str(route)] = {
                "model_name": payload.get("name"),
                "kind": payload.get("origin"),
                "label": payload.get("label"),
                "r2": metrics.get("r2"),
                "n_train": metrics.get("n_train"),
                "loo_rmse_ev": metrics.get("loo_rmse"),
                "mean_half_width_ev": float(np.nanmean(half)) if np.isfinite(half).any() else None,
                "predictions": len(group),
                "ranked": int(group["rank"].notna().sum()),
                "not_ranked": int(group["rank"].isna().sum()),
                "non_positive": int(flags.str.contains("ea<=0", regex=False).sum()),
                "interval_below_zero": int(flags.str.contains("interval<0", regex=False).sum()),
                "extrapolated": int(group["extrapolated"].fillna(False).astype(bool).sum())
                if "descriptor_range" in payload
                else None,
            }
        return out

    def _export_frame(self) -> pd.DataFrame:
        return self.ranked().astype({c: str for c in ("cation", "anion", "molecule")})

    def to_csv(self, path: str | Path) -> Path:
        """Write all predictions (ranked first) as CSV."""
        target = Path(path)
        self._export_frame().to_csv(target, index=False)
        return target

    def to_parquet(self, path: str | Path) -> Path:
        """Write all predictions as Parquet (pyarrow)."""
        target = Path(path)
        self._export_frame().to_parquet(target, index=False)
        return target

    def store_frame(self) -> pd.DataFrame:
        """Predictions in the columns of ``Store.save_screening`` (at most :data:`TOP_STORED` ranked per route
        above :data:`MAX_STORED` predictions)."""
        frame = self.ranked()
        if len(frame) > MAX_STORED:
            frame = frame[frame["rank"].notna() & (frame["rank"] <= TOP_STORED)]
        single = {
            route: p["descriptors"][0] for route, p in self.models.items() if len(p["descriptors"]) == 1
        }
        x = np.full(len(frame), np.nan)
        for route, name in single.items():
            mask = (frame["model"] == route).to_numpy()
            x[mask] = frame.loc[mask, name].to_numpy(dtype=float)
        return pd.DataFrame(
            {
                "candidate_formula": frame["formula"],
                "route": frame["model"],
                "model_name": frame["model_name"],
                "model_kind": frame["model_kind"],
                "descriptor": frame["model"].map(single),
                "x": x,
                "activation_energy_ev": frame["predicted_ea_ev"],
                "ea_lower_ev": frame["ea_lower_ev"],
                "ea_upper_ev": frame["ea_upper_ev"],
                "extrapolated": frame["extrapolated"],
                "flags": frame["flags"],
                "rank": frame["rank"],
                "criterion": self.criterion,
            }
        )

    def save_to_store(self, store: Any, name: str | None = None) -> int:
        """Store the run (default name ``screening:<space>``) through ``Store.save_screening``; its id."""
        stored = self.store_frame()
        return int(
            store.save_screening(
                name or f"screening:{self.candidates.space.name}",
                stored,
                criterion=self.criterion,
                confidence=self.confidence,
                space=self.candidates.space.as_dict(),
                models=self.models,
                counts={**self.counts(), "stored": len(stored)},
            )
        )


def route_mask(route: Route, frame: pd.DataFrame) -> np.ndarray:
    """Boolean mask of the candidates a route selects."""
    mask = np.ones(len(frame), dtype=bool)
    anion_c = frame["anion_contains_carbon"].to_numpy(dtype=bool)
    mol_c = frame["molecule_contains_carbon"].to_numpy(dtype=bool)
    if route.anion_families is not None:
        mask &= frame["anion_family"].isin(route.anion_families).to_numpy()
    if route.anion_contains_carbon is not None:
        mask &= anion_c == route.anion_contains_carbon
    if route.molecule_contains_carbon is not None:
        mask &= mol_c == route.molecule_contains_carbon
    if route.contains_carbon is not None:
        mask &= (anion_c | mol_c) == route.contains_carbon
    return mask


def _descriptors(candidates: Candidates, model: LinearEaModel) -> dict[str, np.ndarray]:
    frame = candidates.frame
    space = candidates.space
    radii = np.array([cation_ionic_radius_pm(c.formula, c.charge) for c in space.cations])
    arrays = descriptor_arrays(
        candidates.counts,
        aggregation=model.aggregation,
        neutral_count=frame["n"].to_numpy(),
        cation_index=frame["cation_index"].to_numpy(),
        cation_count=frame["cation_count"].to_numpy(),
        cation_r_ion_pm=radii[frame["cation_code"].to_numpy()],
    )
    for definition in model.definitions:
        arrays[definition.name] = definition.evaluate(
            candidates.counts,
            cation_index=frame["cation_index"].to_numpy(),
            cation_count=frame["cation_count"].to_numpy(),
            anion_count=frame["anion_count"].to_numpy(),
        )
    return arrays


def rank_within(values: np.ndarray, eligible: np.ndarray) -> Any:
    """Ranks 1..m of ``values`` among the ``eligible`` entries (stable), ``<NA>`` elsewhere (Int64)."""
    ranks = np.zeros(len(values), dtype=np.int64)
    index = np.flatnonzero(eligible)
    order = index[np.argsort(values[index], kind="stable")]
    ranks[order] = np.arange(1, len(order) + 1)
    out = pd.array(ranks, dtype="Int64")
    out[~np.asarray(eligible, dtype=bool)] = pd.NA
    return out


def _check(models: Mapping[str, LinearEaModel], routes: set[str], criterion: str, confidence: float) -> None:
    if criterion not in CRITERIA:
        raise ConfigError(f"unknown ranking criterion {criterion!r}; choose one of {', '.join(CRITERIA)}")
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence {confidence} must lie between 0 and 1 (e.g. 0.95)")
    missing = sorted(routes - set(models))
    if missing:
        raise ConfigError(f"no model given for route(s) {missing}; given: {sorted(models)}")
    if criterion == "upper":
        blind = [
            f"{r} ({models[r].name}: {models[r].label})" for r in sorted(routes) if not models[r].has_interval
        ]
        if blind:
            raise ConfigError(
                f"criterion 'upper' needs prediction intervals, which {', '.join(blind)} cannot give; "
                "rank those by the point estimate (criterion 'point')"
            )


def screen(
    space: CandidateSpace | Candidates,
    models: Mapping[str, LinearEaModel],
    formulas: bool = True,
    *,
    criterion: str = "point",
    confidence: float = 0.95,
    model_names: Mapping[str, str] | None = None,
) -> ScreeningResult:
    """Predict, flag and rank Ea (eV) for every routed candidate.

    Parameters
    ----------
    space
        A space (enumerated here) or already enumerated candidates.
    models
        Models by route label (``{"y1": ..., "y2": ...}``); every route of the space needs one.
    formulas
        Give each prediction its formula string (for 10^6 candidates, set False and call
        :func:`sselab.screening.enumerate.candidate_formulas` on the rows kept).
    criterion
        ``point`` (rank by predicted Ea) or ``upper`` (by the upper end of the prediction interval).
    confidence
        Coverage of the prediction intervals.
    model_names
        Name recorded for each route's model (default the model's ``name``), e.g. its store name.

    Raises
    ------
    ConfigError
        A route has no model, an unknown criterion, or ``upper`` with a model that has no interval.
    """
    candidates = space if isinstance(space, Candidates) else enumerate_candidates(space, formulas=formulas)
    frame = candidates.frame
    routes = candidates.space.routes
    _check(models, {r.model for r in routes}, criterion, confidence)
    names = dict(model_names or {})
    parts = []
    for route in routes:
        model = models[route.model]
        arrays = _descriptors(candidates, model)
        mask = route_mask(route, frame)
        selected = {d: arrays[d][mask] for d in model.descriptors}
        out = model.predict_interval_arrays(selected, confidence)
        part = frame.loc[mask, ["candidate_id", "cation", "anion", "molecule", "n"]].reset_index(drop=True)
        if "formula" in frame:
            part.insert(1, "formula", frame["formula"].to_numpy()[mask])
        else:
            part.insert(1, "formula", candidate_formulas(candidates.space, frame[mask]) if formulas else None)
        key = out["predicted_ea_ev"] if criterion == "point" else out["ea_upper_ev"]
        eligible = rankable(out["predicted_ea_ev"])
        part.insert(0, "model", route.model)
        part.insert(1, "model_name", names.get(route.model, model.name or route.model))
        part.insert(2, "model_kind", model.origin)
        part.insert(3, "rank", rank_within(np.asarray(key, dtype=float), eligible))
        for column in ("predicted_ea_ev", "ea_lower_ev", "ea_upper_ev", "extrapolated", "flags"):
            part[column] = out[column]
        if not model.has_range:  # unknown, not "inside": the flag range-unknown says so
            part["extrapolated"] = pd.array([pd.NA] * len(part), dtype="boolean")
        for d in model.descriptors:
            part[d] = selected[d]
        parts.append(part)
        logger.info("route %s: %d candidates, %d ranked", route.model, int(mask.sum()), int(eligible.sum()))
    predictions = pd.concat(parts, ignore_index=True)
    payloads = {}
    for label in {r.model for r in routes}:
        payload = models[label].to_dict()
        payload.pop("training_rows", None)
        payload["name"] = names.get(label, payload.get("name") or label)
        payloads[label] = payload
    return ScreeningResult(candidates, predictions, payloads, criterion=criterion, confidence=confidence)
