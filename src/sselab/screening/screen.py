"""Predict Ea for a candidate space with the routed models, rank, export and store.

Each route of the space selects candidates by anion family and carbon (a numpy mask) and the route's model
predicts Ea for them from descriptor arrays computed on the element-count matrix (one matrix product per
aggregation), so the paper's space gives 270 (y1) + 288 (y2) = 558 predictions and 10^6 candidates need no
Python loop over rows.

Results are stored as one payload through ``Store.save_model_fit("screening:<space>", ...)`` (models, space,
counts, ranked predictions) rather than as ``ActivationEnergyRecord(method="regression")`` rows: the
candidates are hypothetical materials and would otherwise enter the materials table and the method benchmark.

Example
-------
>>> from sselab.screening import paper_space, screen
>>> result = screen(paper_space(), {"y1": y1_model, "y2": y2_model})  # doctest: +SKIP
>>> result.ranked("y1").head(3)[["formula", "predicted_ea_ev"]]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sselab import __version__
from sselab.descriptors import descriptor_arrays
from sselab.descriptors.elements import cation_ionic_radius_pm
from sselab.errors import ConfigError
from sselab.models.linear import LinearEaModel
from sselab.screening.enumerate import Candidates, candidate_formulas, enumerate_candidates
from sselab.screening.space import CandidateSpace, Route

logger = logging.getLogger(__name__)

#: Columns of :attr:`ScreeningResult.predictions`.
PREDICTION_COLUMNS: tuple[str, ...] = (
    "model", "rank", "candidate_id", "formula", "cation", "anion", "molecule", "n", "predicted_ea_ev",
)  # fmt: skip


@dataclass(frozen=True)
class ScreeningResult:
    """Predictions of every routed model.

    Attributes
    ----------
    candidates
        The enumerated space.
    predictions
        Long frame, one row per (model, candidate) prediction, ranked within each model (rank 1 = lowest Ea);
        columns :data:`PREDICTION_COLUMNS` plus the descriptors each model used.
    models
        Model payloads (``LinearEaModel.to_dict()`` without training rows) by route label.
    """

    candidates: Candidates
    predictions: pd.DataFrame
    models: dict[str, dict[str, Any]]

    def ranked(self, model: str | None = None, top: int | None = None) -> pd.DataFrame:
        """Predictions of ``model`` (all models if ``None``), lowest Ea first, the first ``top`` of each."""
        frame = self.predictions if model is None else self.predictions[self.predictions["model"] == model]
        if top is not None:
            frame = frame[frame["rank"] <= top]
        return frame.sort_values(["model", "rank"]).reset_index(drop=True)

    def counts(self) -> dict[str, int]:
        """Predictions per model."""
        return {str(k): int(v) for k, v in self.predictions["model"].value_counts(sort=False).items()}

    def to_csv(self, path: str | Path) -> Path:
        """Write the ranked predictions as CSV."""
        target = Path(path)
        self.ranked().to_csv(target, index=False)
        return target

    def to_parquet(self, path: str | Path) -> Path:
        """Write the ranked predictions as Parquet (pyarrow)."""
        target = Path(path)
        frame = self.ranked()
        frame = frame.astype({c: str for c in ("cation", "anion", "molecule")})
        frame.to_parquet(target, index=False)
        return target

    def as_payload(self, max_rows: int = 100_000) -> dict[str, Any]:
        """JSON-ready payload; above ``max_rows`` predictions only the best 1000 per model are kept."""
        frame = self.ranked()
        truncated = len(frame) > max_rows
        if truncated:
            frame = frame[frame["rank"] <= 1000]
        frame = frame.astype({c: str for c in ("cation", "anion", "molecule")})
        return {
            "kind": "Screening",
            "sselab_version": __version__,
            "space": self.candidates.space.as_dict(),
            "models": self.models,
            "counts": self.counts(),
            "truncated": truncated,
            "predictions": frame.to_dict(orient="records"),
        }

    def save_to_store(self, store: Any, name: str | None = None) -> int:
        """Store :meth:`as_payload` with ``store.save_model_fit`` (default name ``screening:<space>``)."""
        return int(store.save_model_fit(name or f"screening:{self.candidates.space.name}", self.as_payload()))


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


def _descriptors(candidates: Candidates, aggregation: str) -> dict[str, np.ndarray]:
    frame = candidates.frame
    space = candidates.space
    radii = np.array([cation_ionic_radius_pm(c.formula, c.charge) for c in space.cations])
    return descriptor_arrays(
        candidates.counts,
        aggregation=aggregation,
        neutral_count=frame["n"].to_numpy(),
        cation_index=frame["cation_index"].to_numpy(),
        cation_count=frame["cation_count"].to_numpy(),
        cation_r_ion_pm=radii[frame["cation_code"].to_numpy()],
    )


def _rank(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(1, len(values) + 1)
    return rank


def screen(
    space: CandidateSpace | Candidates,
    models: Mapping[str, LinearEaModel],
    formulas: bool = True,
) -> ScreeningResult:
    """Predict and rank Ea (eV) for every routed candidate.

    Parameters
    ----------
    space
        A space (enumerated here) or already enumerated candidates.
    models
        Fitted models by route label (``{"y1": ..., "y2": ...}``); every route of the space needs one.
    formulas
        Give each prediction its formula string (for 10^6 candidates, set False and call
        :func:`sselab.screening.enumerate.candidate_formulas` on the rows kept).

    Raises
    ------
    ConfigError
        A route has no model.
    """
    candidates = space if isinstance(space, Candidates) else enumerate_candidates(space, formulas=formulas)
    frame = candidates.frame
    missing = [r.model for r in candidates.space.routes if r.model not in models]
    if missing:
        raise ConfigError(f"no model given for route(s) {missing}; given: {sorted(models)}")
    cache: dict[str, dict[str, np.ndarray]] = {}
    parts = []
    for route in candidates.space.routes:
        model = models[route.model]
        if model.aggregation not in cache:
            cache[model.aggregation] = _descriptors(candidates, model.aggregation)
        arrays = cache[model.aggregation]
        mask = route_mask(route, frame)
        selected = {d: arrays[d][mask] for d in model.descriptors}
        predicted = model.predict_arrays(selected)
        part = frame.loc[mask, ["candidate_id", "cation", "anion", "molecule", "n"]].reset_index(drop=True)
        if formulas:
            part.insert(
                1,
                "formula",
                frame["formula"].to_numpy()[mask]
                if "formula" in frame
                else candidate_formulas(candidates.space, frame[mask]),
            )
        else:
            part.insert(1, "formula", None)
        part.insert(0, "model", route.model)
        part.insert(1, "rank", _rank(predicted))
        part["predicted_ea_ev"] = predicted
        for d in model.descriptors:
            part[d] = selected[d]
        parts.append(part)
        logger.info("route %s: %d candidates", route.model, int(mask.sum()))
    predictions = pd.concat(parts, ignore_index=True)
    payloads = {}
    for label in {r.model for r in candidates.space.routes}:
        payload = models[label].to_dict()
        payload.pop("training_rows", None)
        payloads[label] = payload
    return ScreeningResult(candidates=candidates, predictions=predictions, models=payloads)
