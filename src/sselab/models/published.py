"""Published models, stored and labelled as published, apart from the models a user fits.

Wang et al. 2025 publish their two lines y1 and y2 only through their predictions: Supplementary Dataset 2
gives, for each of 558 candidates, the combined descriptor x and the predicted Ea on one line.
:func:`recover_published_line` recovers a line Ea = slope·x + intercept from such (x, Ea) pairs by least
squares and keeps the residual, so the stored model reproduces the publication's numbers and says how well.
They are :class:`~sselab.models.linear.LinearEaModel` with ``origin_ = "published"``, a label ("published
by Wang et al. 2025"), the citation and the recovery statistics; they carry no prediction interval and no
training range, because the rows they were fitted on are not published (predictions get the flags
``no-interval`` and ``range-unknown``).

Names in the store: :data:`WANG2025_MODELS` (``wang2025-y1``, ``wang2025-y2``), written by the importer of the
``wang2025-candidates`` dataset.

Example
-------
>>> import numpy as np
>>> from sselab.descriptors.additive import AdditiveDescriptor
>>> from sselab.models.published import recover_published_line
>>> x_def = AdditiveDescriptor("x_toy", {"Mg": 0.4, "B": 0.1, "H": -0.05})
>>> line = recover_published_line(np.array([0.0, 1.0, 2.0]), np.array([0.5, 0.7, 0.9]), name="toy",
...                               descriptor=x_def, label="published by nobody", citation="none")
>>> round(float(line.coef_[0]), 6), round(line.intercept_, 6), line.origin
(0.2, 0.5, 'published')
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from sselab.descriptors.additive import AdditiveDescriptor
from sselab.errors import FitError
from sselab.models.linear import LinearEaModel

if TYPE_CHECKING:
    from sselab.store import Store

logger = logging.getLogger(__name__)

#: Label of the models recovered from Wang et al. 2025.
WANG2025_LABEL = "published by Wang et al. 2025"

#: Citation stored with them.
WANG2025_CITATION = (
    "Q. Wang, F. Yang, Y. Wang, D. Zhang, R. Sato, L. Zhang, E. J. Cheng, Y. Yan, Y. Chen, K. Kisu, "
    "S. Orimo, H. Li, Angew. Chem. Int. Ed. 2025 (Figures 3b and 4a), Supplementary Dataset 2"
)

#: Route label -> store name of the published Wang et al. 2025 line.
WANG2025_MODELS: dict[str, str] = {"y1": "wang2025-y1", "y2": "wang2025-y2"}

#: The dataset whose import stores them.
WANG2025_DATASET = "wang2025-candidates"


def recover_published_line(
    x: np.ndarray,
    ea_ev: np.ndarray,
    *,
    name: str,
    descriptor: AdditiveDescriptor,
    label: str = WANG2025_LABEL,
    citation: str = WANG2025_CITATION,
    source: Mapping[str, Any] | None = None,
) -> LinearEaModel:
    """Recover Ea = slope·x + intercept from published (x, Ea) pairs, as a published model.

    Parameters
    ----------
    x
        The publication's descriptor values (descriptor units), shape (N,).
    ea_ev
        Its predicted Ea (eV), shape (N,).
    name
        Model name (e.g. ``"wang2025-y1"``).
    descriptor
        Definition of x, stored with the model so that it predicts new formulas.
    label, citation
        Who published it.
    source
        Provenance recorded in ``recovery_`` (dataset, file checksum, columns).

    Raises
    ------
    FitError
        Fewer than two distinct x values or non-finite numbers.
    """
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(ea_ev, dtype=float)
    if xs.shape != ys.shape or len(xs) < 2 or not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise FitError(f"{name}: need at least two finite (x, Ea) pairs of equal length")
    if np.ptp(xs) == 0:
        raise FitError(f"{name}: all x are equal; no line can be recovered")
    design = np.column_stack([np.ones_like(xs), xs])
    (intercept, slope), *_ = np.linalg.lstsq(design, ys, rcond=None)
    residual = ys - (intercept + slope * xs)
    model = LinearEaModel.from_coefficients(
        (descriptor.name,), (float(slope),), float(intercept), "sum", name, (descriptor,)
    )
    model.origin_ = "published"
    model.label_ = label
    model.citation_ = citation
    model.recovery_ = {
        "method": "least squares of the published Ea on the published x",
        "n": len(xs),
        "max_abs_residual_ev": float(np.max(np.abs(residual))),
        "rmse_ev": float(np.sqrt(np.mean(residual**2))),
        "x_min": float(xs.min()),
        "x_max": float(xs.max()),
        **dict(source or {}),
    }
    logger.info("%s: Ea = %.6f·x %+.6f eV, max residual %.2e eV", name, slope, intercept, residual.max())
    return model


def published_models(store: Store, names: Mapping[str, str] = WANG2025_MODELS) -> dict[str, LinearEaModel]:
    """The published models in ``store`` by route (routes whose model is absent are left out)."""
    fits = set(store.list_model_fits())
    return {
        route: LinearEaModel.load_from_store(store, name) for route, name in names.items() if name in fits
    }


#: Model fit holding the derivation of Dataset 2's x (written by the wang2025-candidates importer).
WANG2025_X_FIT = "wang2025-x"


def stored_definitions(store: Store) -> dict[str, AdditiveDescriptor]:
    """Additive descriptors derived from published data and kept in ``store`` (``{"x_wang2025_ds2": ...}``).

    Empty when ``wang2025-candidates`` has not been imported.
    """
    if WANG2025_X_FIT not in set(store.list_model_fits()):
        return {}
    descriptor = AdditiveDescriptor.from_dict(store.load_model_fit(WANG2025_X_FIT)["descriptor"])
    return {descriptor.name: descriptor}
