"""Vectorised enumeration of a candidate space into an element-count matrix and a candidate frame.

No Python loop runs over candidates: the counts of every (cation, anion, molecule, n) are built by numpy
broadcasting, (Nc, Na, Nm, Nn, E) → (N, E), and the indices of each candidate's components by ``np.indices``.
Charge balance: a cation of charge q_c with an anion of charge q_a gives lcm(q_c, |q_a|)/q_c cations and
lcm/|q_a| anions per formula unit (M²⁺ with two BH4⁻ or one B12H12²⁻), or, when the space fixes
``anions_per_formula_unit = A``, A anions and A·|q_a|/q_c cations (M(BH4)2, M2(B12H12)2); ``n`` molecules are
added per formula unit.

Example
-------
>>> from sselab.screening import enumerate_candidates, paper_space
>>> candidates = enumerate_candidates(paper_space())
>>> len(candidates.frame), candidates.frame["formula"].iloc[0]
(450, 'Ca(BH4)2·NH3')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pymatgen.core import Composition

from sselab.descriptors import ElementCounts
from sselab.screening.space import CandidateSpace, Component


@dataclass(frozen=True)
class Candidates:
    """An enumerated space.

    Attributes
    ----------
    space
        What was enumerated.
    counts
        Element-count matrix (N, E), atoms per formula unit.
    frame
        One row per candidate: ``candidate_id, cation, anion, molecule, n, cation_count, anion_count,
        anion_family, anion_contains_carbon, molecule_contains_carbon, cation_index`` and ``formula`` (when
        asked).
    """

    space: CandidateSpace
    counts: ElementCounts
    frame: pd.DataFrame


def _count_rows(components: tuple[Component, ...], elements: tuple[str, ...]) -> np.ndarray:
    column = {el: j for j, el in enumerate(elements)}
    out = np.zeros((len(components), len(elements)))
    for i, comp in enumerate(components):
        for el, amount in Composition(comp.formula).get_el_amt_dict().items():
            out[i, column[el]] = amount
    return out


def _elements(space: CandidateSpace) -> tuple[str, ...]:
    symbols: set[str] = set()
    for comp in (*space.cations, *space.anions, *space.molecules):
        symbols.update(Composition(comp.formula).get_el_amt_dict())
    return tuple(sorted(symbols))


def unit_counts(space: CandidateSpace) -> tuple[np.ndarray, np.ndarray]:
    """Cations and anions per formula unit for every (cation, anion) pair, each of shape (Nc, Na)."""
    cat_charge = np.array([c.charge for c in space.cations])
    an_charge = -np.array([a.charge for a in space.anions])
    if space.anions_per_formula_unit:
        n_an = np.full((len(cat_charge), len(an_charge)), space.anions_per_formula_unit, dtype=np.int64)
        return n_an * an_charge[None, :] // cat_charge[:, None], n_an
    lcm = np.lcm.outer(cat_charge, an_charge)
    return lcm // cat_charge[:, None], lcm // an_charge[None, :]


def _group(name: str, count: int) -> str:
    if count == 1:
        return name
    return f"{name}{count}" if re.fullmatch(r"[A-Z][a-z]?", name) else f"({name}){count}"


def _number(value: float) -> str:
    return "" if value == 1 else f"{value:g}"


def candidate_formulas(space: CandidateSpace, frame: pd.DataFrame) -> np.ndarray:
    """Formulas like ``Mg(BH4)2·6(CH3)2CHNH2`` for the rows of ``frame`` (from small tables per part)."""
    n_cat, n_an = unit_counts(space)
    salts = np.array(
        [
            [
                f"{c.name}{_number(n_cat[i, j])}{_group(a.name, int(n_an[i, j]))}"
                for j, a in enumerate(space.anions)
            ]
            for i, c in enumerate(space.cations)
        ],
        dtype=object,
    )
    adducts = np.array(
        [[f"·{_number(n)}{m.name}" for n in space.n_values] for m in space.molecules],
        dtype=object,
    )
    ci, ai, mi, ni = (frame[k].to_numpy() for k in ("cation_code", "anion_code", "molecule_code", "n_code"))
    return np.asarray(salts[ci, ai] + adducts[mi, ni])


def _categorical(codes: np.ndarray, names: list[str]) -> Any:
    """A categorical column from integer codes (cheap for 10^6 rows: one string per category)."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(names))


def enumerate_candidates(space: CandidateSpace, formulas: bool = True) -> Candidates:
    """Enumerate every charge-balanced candidate of ``space``.

    Parameters
    ----------
    space
        Cations, anions, molecules, n values and routes.
    formulas
        Also build the ``formula`` strings (skip for 10^6 candidates and format only the top ones with
        :func:`candidate_formulas`).
    """
    elements = _elements(space)
    cat = _count_rows(space.cations, elements)
    an = _count_rows(space.anions, elements)
    mol = _count_rows(space.molecules, elements)
    n_values = np.asarray(space.n_values, dtype=float)
    counts_cat, counts_an = unit_counts(space)
    n_cat, n_an = counts_cat.astype(float), counts_an.astype(float)
    shape = (len(cat), len(an), len(mol), len(n_values))
    salt = n_cat[:, :, None] * cat[:, None, :] + n_an[:, :, None] * an[None, :, :]  # (Nc, Na, E)
    adduct = n_values[None, :, None] * mol[:, None, :]  # (Nm, Nn, E)
    counts = (salt[:, :, None, None, :] + adduct[None, None, :, :, :]).reshape(-1, len(elements))
    ci, ai, mi, ni = (idx.ravel() for idx in np.indices(shape))
    an_family = np.array([a.family for a in space.anions], dtype=object)
    an_carbon = np.array([a.contains_carbon for a in space.anions])
    mol_carbon = np.array([m.contains_carbon for m in space.molecules])
    cation_column = np.array([elements.index(c.formula) for c in space.cations])
    frame = pd.DataFrame(
        {
            "candidate_id": np.arange(len(ci)),
            "cation": _categorical(ci, [c.name for c in space.cations]),
            "anion": _categorical(ai, [a.name for a in space.anions]),
            "molecule": _categorical(mi, [m.name for m in space.molecules]),
            "n": n_values[ni],
            "cation_count": n_cat[ci, ai],
            "anion_count": n_an[ci, ai],
            "anion_family": _categorical(
                np.unique(an_family, return_inverse=True)[1][ai], np.unique(an_family).tolist()
            ),
            "anion_contains_carbon": an_carbon[ai],
            "molecule_contains_carbon": mol_carbon[mi],
            "cation_index": cation_column[ci],
            "cation_code": ci,
            "anion_code": ai,
            "molecule_code": mi,
            "n_code": ni,
        }
    )
    if formulas:
        frame.insert(1, "formula", candidate_formulas(space, frame))
    return Candidates(space=space, counts=ElementCounts(elements=elements, counts=counts), frame=frame)
