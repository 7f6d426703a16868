"""The paper's combined descriptor ``x_wang2025`` = −0.059·X + 0.0029·r_atom (the x axis of Figure 3b).

Wang et al. 2025 (Angew. Chem., "Linear Correlation and General Trend", Figure 3b) plot Ea of the divalent
SSEs with neutral molecules against one combined variable, "the function x = −0.059 X + 0.0029 r_atom", and
draw the lines y1 and y2 as Ea = slope·x + intercept on that axis. The two weights below are **the paper's
definition of the axis**, copied from its text – they are not fitted here, and nothing else of the paper's
lines (slopes 1.06 / intercepts) is. A user fits a line on this axis with
``LinearEaModel(descriptors=("x_wang2025",))``: only the slope and intercept are then fitted, on the rows the
user chooses.

Unit: "descriptor units" (1). The weights carry the units that make x dimensionless in the paper's
convention: −0.059 per Pauling unit of X and 0.0029 per pm of r_atom; X and r_atom are aggregated by the
chosen aggregation.

This printed-weight variant does **not** reproduce the x column of the paper's Supplementary Dataset 2
(max difference 1.2 over its 558 rows with a plain sum; ``docs/analysis.md``): that column follows other
per-element coefficients and a per-cation normalisation, derived from the data as ``x_wang2025_ds2``
(:mod:`sselab.descriptors.wang2025_x`). Use ``x_wang2025_ds2`` to compare with the published lines.

Example
-------
>>> import numpy as np
>>> from sselab.descriptors.combined import x_wang2025
>>> float(np.round(x_wang2025(np.array([42.27]), np.array([800.0]))[0], 5))  # Mg(BH4)2·2NH3, summed
-0.17393
"""

from __future__ import annotations

import numpy as np

#: Name of the combined descriptor.
X_WANG2025 = "x_wang2025"

#: Weights of the paper's axis x = −0.059·X + 0.0029·r_atom (Wang et al. 2025, text of Figure 3b): per Pauling
#: unit of X, and per pm of r_atom. The paper's definition, not a fit.
X_WANG2025_WEIGHTS: dict[str, float] = {"X": -0.059, "r_atom": 0.0029}

#: Unit of ``x_wang2025``.
X_WANG2025_UNIT = "1 (descriptor units: -0.059 per X unit, 0.0029 per pm of r_atom)"


def x_wang2025(electronegativity: np.ndarray, atomic_radius_pm: np.ndarray) -> np.ndarray:
    """The paper's combined descriptor x = −0.059·X + 0.0029·r_atom, elementwise.

    Parameters
    ----------
    electronegativity
        X (Pauling, 1), aggregated over the formula unit, shape (N,).
    atomic_radius_pm
        r_atom (pm), aggregated the same way, shape (N,).

    Returns
    -------
    numpy.ndarray
        x in descriptor units, shape (N,).
    """
    return X_WANG2025_WEIGHTS["X"] * np.asarray(electronegativity, dtype=float) + X_WANG2025_WEIGHTS[
        "r_atom"
    ] * np.asarray(atomic_radius_pm, dtype=float)
