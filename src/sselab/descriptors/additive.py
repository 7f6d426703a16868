"""Additive descriptors: a coefficient per element, summed over the atoms of a formula, with a normalisation.

An :class:`AdditiveDescriptor` is a table ``{element: coefficient per atom}`` and a rule that says which atom
counts enter the sum. It is how sselab holds the combined x of Wang et al. 2025's Supplementary Dataset 2
(``x_wang2025_ds2``), whose per-element table is *derived from that dataset* by
:func:`sselab.descriptors.wang2025_x.derive_wang2025_x` and stored with the published models; nothing in this
module holds numbers of the paper.

Normalisations (k conducting cations M and N_A anions in the formula as written, n_e atoms of element e):

``sum``
    x = Σ_e c_e·n_e over the atoms as written.
``per_cation``
    x = Σ_e c_e·n_e / k.
``dataset2``
    x = Σ_{e≠M} c_e·n_e / k + c_M·N_A / (2k): the atoms per conducting cation, the cation itself weighted by
    half the anions per cation. This is the rule Dataset 2's x column follows (M(BH4)2·nL: k = 1, N_A = 2,
    plain sum; M2(B12H12)2·nL: k = 2, N_A = 2, the cation counts ¼ per written atom and everything else ½).
    It depends on the chemistry only, not on how the formula is written (MgB12H12·6H2O and
    Mg2(B12H12)2·12H2O get the same x).

Example
-------
>>> import numpy as np
>>> from sselab.descriptors.additive import AdditiveDescriptor
>>> d = AdditiveDescriptor("toy", {"Mg": 0.4, "B": 0.1, "H": -0.05}, normalisation="dataset2")
>>> [round(float(v), 6) for v in d.evaluate_formulas(["Mg(BH4)2", "Mg2(B12H12)2", "MgB12H12"])]
[0.2, 0.8, 0.8]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sselab.chem import parse_formula
from sselab.descriptors.composition import ElementCounts, element_count_matrix
from sselab.descriptors.elements import DescriptorError

if TYPE_CHECKING:
    from sselab.chem import ParsedFormula

#: Normalisations an additive descriptor may use (see the module docstring).
NORMALISATIONS: tuple[str, ...] = ("sum", "per_cation", "dataset2")


@dataclass(frozen=True)
class AdditiveDescriptor:
    """x = Σ_e c_e·n_e over a formula, normalised by :attr:`normalisation`.

    Attributes
    ----------
    name
        Descriptor name used by models (e.g. ``"x_wang2025_ds2"``).
    coefficients
        Coefficient per atom of each element (descriptor units per atom).
    normalisation
        One of :data:`NORMALISATIONS`.
    unit
        Unit of x.
    source
        Where the coefficients come from (e.g. "derived from Wang et al. 2025 Supplementary Dataset 2, sha256
        ..., by least squares on its x column").
    """

    name: str
    coefficients: Mapping[str, float] = field(hash=False)
    normalisation: str = "sum"
    unit: str = "1"
    source: str = ""

    def __post_init__(self) -> None:
        if self.normalisation not in NORMALISATIONS:
            raise DescriptorError(
                f"descriptor {self.name!r}: unknown normalisation {self.normalisation!r}; "
                f"choose one of {', '.join(NORMALISATIONS)}"
            )
        if not self.coefficients:
            raise DescriptorError(f"descriptor {self.name!r} has no coefficients")

    @property
    def elements(self) -> tuple[str, ...]:
        """Elements with a coefficient, sorted."""
        return tuple(sorted(self.coefficients))

    def covers(self, elements: Sequence[str]) -> bool:
        """True when every element of ``elements`` has a coefficient."""
        return all(str(el) in self.coefficients for el in elements)

    def vector(self, elements: Sequence[str]) -> np.ndarray:
        """Coefficients aligned with ``elements`` (raises naming the elements without one)."""
        missing = [el for el in elements if el not in self.coefficients]
        if missing:
            raise DescriptorError(
                f"descriptor {self.name!r} has no coefficient for {missing} (it knows {list(self.elements)})"
            )
        return np.array([float(self.coefficients[el]) for el in elements])

    def evaluate(
        self,
        counts: ElementCounts,
        *,
        cation_index: np.ndarray | None = None,
        cation_count: np.ndarray | None = None,
        anion_count: np.ndarray | None = None,
    ) -> np.ndarray:
        """x for every row of an element-count matrix (N, E).

        Parameters
        ----------
        counts
            Atoms per formula unit as written.
        cation_index
            Column of each row's conducting cation (``per_cation``, ``dataset2``).
        cation_count
            Conducting cations per formula unit k (default: the cation column of ``counts``).
        anion_count
            Anions per formula unit N_A (``dataset2``).

        Returns
        -------
        numpy.ndarray
            x, shape (N,).
        """
        matrix = counts.counts
        used = [j for j, el in enumerate(counts.elements) if np.any(matrix[:, j] != 0)]
        coef = np.zeros(len(counts.elements))
        coef[used] = self.vector([counts.elements[j] for j in used])
        total = matrix @ coef
        if self.normalisation == "sum":
            return np.asarray(total, dtype=float)
        if cation_index is None:
            raise DescriptorError(
                f"descriptor {self.name!r} ({self.normalisation}) needs the cation of each row"
            )
        rows = np.arange(matrix.shape[0])
        index = np.asarray(cation_index, dtype=int)
        k = matrix[rows, index] if cation_count is None else np.asarray(cation_count, dtype=float)
        if np.any(k <= 0):
            raise DescriptorError(f"descriptor {self.name!r}: a formula unit without conducting cation")
        if self.normalisation == "per_cation":
            return np.asarray(total / k, dtype=float)
        if anion_count is None:
            raise DescriptorError(f"descriptor {self.name!r} (dataset2) needs the anion count of each row")
        cation_part = matrix[rows, index] * coef[index]
        cation_coef = coef[index]
        return np.asarray(
            (total - cation_part) / k + cation_coef * np.asarray(anion_count, dtype=float) / (2.0 * k),
            dtype=float,
        )

    def evaluate_formulas(self, formulas: Sequence[ParsedFormula | str]) -> np.ndarray:
        """x of formulas (text or :class:`sselab.chem.ParsedFormula`), shape (N,)."""
        parsed = [parse_formula(f) if isinstance(f, str) else f for f in formulas]
        counts = element_count_matrix(p.composition for p in parsed)
        if self.normalisation == "sum":
            return self.evaluate(counts)
        missing = [p.text for p in parsed if not p.cation]
        if missing:
            raise DescriptorError(f"descriptor {self.name!r} needs a conducting cation; none in {missing}")
        return self.evaluate(
            counts,
            cation_index=np.array([counts.index(str(p.cation)) for p in parsed]),
            cation_count=np.array([float(p.cation_count) for p in parsed]),
            anion_count=np.array([float(sum(a.count for a in p.anions)) for p in parsed]),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (stored with the models that use it)."""
        return {
            "kind": "AdditiveDescriptor",
            "name": self.name,
            "coefficients": {el: float(self.coefficients[el]) for el in self.elements},
            "normalisation": self.normalisation,
            "unit": self.unit,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdditiveDescriptor:
        """Inverse of :meth:`as_dict`."""
        if data.get("kind") != "AdditiveDescriptor":
            raise DescriptorError(f"payload is a {data.get('kind')!r}, not an AdditiveDescriptor")
        return cls(
            name=str(data["name"]),
            coefficients={str(k): float(v) for k, v in dict(data["coefficients"]).items()},
            normalisation=str(data.get("normalisation", "sum")),
            unit=str(data.get("unit", "1")),
            source=str(data.get("source", "")),
        )
