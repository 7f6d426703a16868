"""The x column of Wang et al. 2025's Supplementary Dataset 2, derived from that dataset (``x_wang2025_ds2``).

Dataset 2 lists 558 candidates with a column headed "−0.059 X + 0.0029 ratom". Its numbers are not those of
the printed, rounded weights with pymatgen's element data (that is :data:`sselab.descriptors.X_WANG2025`,
kept under its own name). :func:`derive_wang2025_x` recovers, from the rows alone:

1. the **coefficient of each element per atom**, by least squares of x on the element counts of the rows
   written per one cation (k = 1); the residual says whether x is additive over the atoms;
2. the **normalisation of the rows written per k > 1 cations**: with the table of step 1, x of those rows is
   fitted as α·(cation atoms) + β·(anion atoms) + γ·(molecule atoms); each candidate rule of
   :data:`sselab.descriptors.additive.NORMALISATIONS` is tried and the one with the smallest residual kept;
3. how close **element data** come: x against pymatgen's Pauling X and atomic radius (pm) aggregated with the
   same normalisation, with the two weights refitted, and with the printed weights;
4. a **hold-out check**: the table fitted on half the k = 1 rows predicts the other half and the k > 1 rows.

The result is an :class:`~sselab.descriptors.additive.AdditiveDescriptor` labelled as derived from Dataset 2;
the importer of ``wang2025-candidates`` stores it with the published models. Nothing here is typed in from the
paper: every number comes from the rows given.

Example
-------
>>> from sselab.descriptors.wang2025_x import derive_wang2025_x
>>> derivation = derive_wang2025_x(frame["formula"], frame["x"])  # doctest: +SKIP
>>> derivation.descriptor.normalisation, derivation.residual.max_abs  # doctest: +SKIP
('dataset2', 4.4e-15)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from pymatgen.core import Composition

from sselab.chem import parse_formula
from sselab.descriptors.additive import NORMALISATIONS, AdditiveDescriptor
from sselab.descriptors.combined import X_WANG2025_WEIGHTS
from sselab.descriptors.composition import element_count_matrix
from sselab.descriptors.elements import DescriptorError, element_properties

#: Name of the descriptor reproducing Dataset 2's x column.
X_DS2 = "x_wang2025_ds2"

#: Unit of ``x_wang2025_ds2`` (that of the paper's axis).
X_DS2_UNIT = "1 (descriptor units of Wang et al. 2025, Figure 3b)"

#: Tolerances at which the residual fractions are reported.
TOLERANCES: tuple[float, ...] = (0.005, 0.05)


@dataclass(frozen=True)
class ResidualStats:
    """How well a rule reproduces x: max |residual|, RMSE, fraction within each tolerance, Spearman ρ."""

    n: int
    max_abs: float
    rmse: float
    within: dict[str, float]
    spearman: float

    @classmethod
    def of(cls, predicted: np.ndarray, observed: np.ndarray) -> ResidualStats:
        """Statistics of ``predicted`` against ``observed``."""
        # lazy: scipy.stats takes ~0.5 s to import; only this statistic needs it
        from scipy.stats import spearmanr

        res = np.asarray(observed, dtype=float) - np.asarray(predicted, dtype=float)
        return cls(
            n=len(res),
            max_abs=float(np.max(np.abs(res))) if len(res) else float("nan"),
            rmse=float(np.sqrt(np.mean(res**2))) if len(res) else float("nan"),
            within={f"{tol:g}": float(np.mean(np.abs(res) <= tol)) for tol in TOLERANCES},
            spearman=float(spearmanr(predicted, observed)[0]) if len(res) > 2 else float("nan"),
        )


@dataclass(frozen=True)
class XDerivation:
    """Everything :func:`derive_wang2025_x` found (see the module docstring).

    Attributes
    ----------
    descriptor
        The derived table with the chosen normalisation.
    n_single, n_multi
        Rows written per one cation (used to fit the table) and per more than one.
    single_max_abs
        Max |residual| of the table on the k = 1 rows (additivity check).
    factors
        (α, β, γ) fitted on the k > 1 rows: weight of the written cation, anion and molecule atoms.
    normalisations
        Max |residual| of each candidate normalisation over all rows.
    residual
        The chosen definition over all rows.
    holdout_max_abs
        Max |residual| on the rows *not* used when the table is fitted on half the k = 1 rows.
    element_weights, element_rule
        Weights (per Pauling unit, per pm) of pymatgen's X and atomic radius refitted to x, and their stats.
    element_residuals
        Per element: derived coefficient minus the element-data rule's (descriptor units per atom).
    printed_rule, printed_plain_sum
        The printed weights with the chosen normalisation, and with a plain sum over the atoms as written.
    """

    descriptor: AdditiveDescriptor
    n_single: int
    n_multi: int
    single_max_abs: float
    factors: tuple[float, float, float]
    normalisations: dict[str, float]
    residual: ResidualStats
    holdout_max_abs: float
    element_weights: tuple[float, float]
    element_rule: ResidualStats
    element_residuals: dict[str, float]
    printed_rule: ResidualStats
    printed_plain_sum: ResidualStats

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        data = asdict(self)
        data["descriptor"] = self.descriptor.as_dict()
        data["kind"] = "XDerivation"
        return data


def _parts(parsed: Sequence[Any], elements: tuple[str, ...]) -> np.ndarray:
    """Atom counts split into (cation, anion, molecule) parts, shape (3, N, E)."""
    column = {el: j for j, el in enumerate(elements)}
    out = np.zeros((3, len(parsed), len(elements)))
    for i, p in enumerate(parsed):
        out[0, i, column[str(p.cation)]] = float(p.cation_count)
        for part, components in ((1, p.anions), (2, p.neutral_molecules)):
            for comp in components:
                for el, amount in Composition(comp.formula).get_el_amt_dict().items():
                    out[part, i, column[str(el)]] += float(comp.count) * float(amount)
    return out


def _lstsq(design: np.ndarray, target: np.ndarray, what: str) -> np.ndarray:
    if np.linalg.matrix_rank(design) < design.shape[1]:
        raise DescriptorError(f"{what}: the rows do not determine every coefficient (rank-deficient)")
    solution, *_ = np.linalg.lstsq(design, target, rcond=None)
    return np.asarray(solution)


def derive_wang2025_x(
    formulas: Sequence[str], x: Sequence[float], *, source: str = "", seed: int = 0
) -> XDerivation:
    """Recover the additive definition of Dataset 2's x from its formulas and x values.

    Parameters
    ----------
    formulas
        Formulas as written (``"Zn1(BH4)2·6(CH3)2CHNH2"``, ``"Mg2(B12H12)2·4NH3"``).
    x
        The dataset's x value of each formula (descriptor units).
    source
        Provenance recorded in the descriptor (dataset, file checksum).
    seed
        Seed of the random half used by the hold-out check.

    Raises
    ------
    DescriptorError
        A formula without cation or anion, no row written per one cation, or rows that leave an element's
        coefficient undetermined.
    """
    parsed = [parse_formula(str(f)) for f in formulas]
    bad = [p.text for p in parsed if not p.cation or not p.anions]
    if bad:
        raise DescriptorError(f"formulas without conducting cation or anion: {bad[:5]}")
    target = np.asarray(x, dtype=float)
    counts = element_count_matrix(p.composition for p in parsed)
    elements = counts.elements
    k = np.array([float(p.cation_count) for p in parsed])
    anions = np.array([float(sum(a.count for a in p.anions)) for p in parsed])
    cation_index = np.array([elements.index(str(p.cation)) for p in parsed])
    single = k == 1.0
    if not single.any():
        raise DescriptorError("no row is written per one cation; the per-atom table cannot be fitted")
    coef = _lstsq(counts.counts[single], target[single], "per-atom table on the single-cation rows")
    single_max = float(np.max(np.abs(counts.counts[single] @ coef - target[single])))
    parts = _parts(parsed, elements) @ coef  # (3, N): cation, anion, molecule sums
    multi = ~single
    factors = (
        tuple(float(v) for v in _lstsq(parts[:, multi].T, target[multi], "normalisation of k > 1 rows"))
        if multi.sum() >= 3
        else (float("nan"),) * 3
    )
    table = {el: float(c) for el, c in zip(elements, coef, strict=True)}

    def evaluate(descriptor: AdditiveDescriptor) -> np.ndarray:
        return descriptor.evaluate(counts, cation_index=cation_index, cation_count=k, anion_count=anions)

    trials = {rule: AdditiveDescriptor(X_DS2, table, rule, X_DS2_UNIT, source) for rule in NORMALISATIONS}
    errors = {rule: float(np.max(np.abs(evaluate(d) - target))) for rule, d in trials.items()}
    chosen = trials[min(errors, key=lambda rule: errors[rule])]
    predicted = evaluate(chosen)

    rng = np.random.default_rng(seed)
    single_rows = np.flatnonzero(single)
    half = rng.permutation(single_rows)[: max(len(single_rows) // 2, len(elements))]
    half_coef = _lstsq(counts.counts[half], target[half], "hold-out half")
    held = np.setdiff1d(np.arange(len(target)), half)
    half_descriptor = AdditiveDescriptor(
        X_DS2, dict(zip(elements, half_coef, strict=True)), chosen.normalisation
    )
    holdout = float(np.max(np.abs(evaluate(half_descriptor)[held] - target[held]))) if len(held) else 0.0

    props = element_properties(elements)
    aggregated = [
        evaluate(
            AdditiveDescriptor(name, dict(zip(elements, props[name], strict=True)), chosen.normalisation)
        )
        for name in ("X", "r_atom")
    ]
    weights = np.linalg.lstsq(np.column_stack(aggregated), target, rcond=None)[0]
    element_fit = weights[0] * aggregated[0] + weights[1] * aggregated[1]
    printed = X_WANG2025_WEIGHTS["X"] * aggregated[0] + X_WANG2025_WEIGHTS["r_atom"] * aggregated[1]
    plain = counts.counts @ (
        X_WANG2025_WEIGHTS["X"] * props["X"] + X_WANG2025_WEIGHTS["r_atom"] * props["r_atom"]
    )
    per_element = coef - (weights[0] * props["X"] + weights[1] * props["r_atom"])
    return XDerivation(
        descriptor=chosen,
        n_single=int(single.sum()),
        n_multi=int(multi.sum()),
        single_max_abs=single_max,
        factors=factors,  # type: ignore[arg-type]
        normalisations=errors,
        residual=ResidualStats.of(predicted, target),
        holdout_max_abs=holdout,
        element_weights=(float(weights[0]), float(weights[1])),
        element_rule=ResidualStats.of(element_fit, target),
        element_residuals={el: float(v) for el, v in zip(elements, per_element, strict=True)},
        printed_rule=ResidualStats.of(printed, target),
        printed_plain_sum=ResidualStats.of(plain, target),
    )
