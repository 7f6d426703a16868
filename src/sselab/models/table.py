"""The descriptor table: activation energies with their descriptors, and the rows left out with a reason.

:func:`descriptor_table` turns ``Store.activation_energy_frame()`` (or a frame with the same columns) into one
row per activation energy with the chemistry re-read from the formula (cation, valence, anion families,
neutral molecules, carbon) and the eight descriptors. Composition descriptors come from the formula; ``V``,
``d`` and ``b_m`` come from a stored structure of the same material when one is given (else NaN). Rows whose
formula cannot be read are excluded, with the reason, in :attr:`DescriptorTable.excluded`.

Example
-------
>>> from sselab.models.table import descriptor_table
>>> table = descriptor_table(store.activation_energy_frame(method="experiment"))  # doctest: +SKIP
>>> table.rows[["formula", "X", "r_atom", "activation_energy_ev"]].head()  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sselab.chem import parse_formula
from sselab.descriptors import (
    ALL_DESCRIPTORS,
    COMPOSITION_DESCRIPTORS,
    composition_descriptor_frame,
    structure_descriptors,
)
from sselab.descriptors.additive import AdditiveDescriptor
from sselab.descriptors.bm_cache import BindingEnergyCache
from sselab.descriptors.elements import DescriptorError
from sselab.errors import FormulaParseError

if TYPE_CHECKING:
    from ase.calculators.calculator import Calculator

logger = logging.getLogger(__name__)

#: Columns the input frame must have.
REQUIRED_COLUMNS: tuple[str, ...] = ("formula", "activation_energy_ev")


@dataclass(frozen=True)
class DescriptorTable:
    """Rows with descriptors, and rows excluded.

    Attributes
    ----------
    rows
        Input columns plus ``parsed_cation``, ``parsed_valence``, ``anion_names`` and ``anion_families``
        (";"-joined),
        ``dominant_anion_family``, ``molecule_names`` (";"-joined), ``n_molecules``,
        ``anion_contains_carbon``, ``molecule_contains_carbon``, ``additive``, ``phase_label`` and the
        descriptors :data:`ALL_DESCRIPTORS` (the eight and ``x_wang2025``), then one column per additive
        definition given (e.g. ``x_wang2025_ds2``).
    excluded
        Input rows that could not be described: ``row`` (position in the input), ``formula``, ``reason``.
    aggregation
        Aggregation of the composition descriptors.
    """

    rows: pd.DataFrame
    excluded: pd.DataFrame
    aggregation: str


def _chemistry(parsed: Any) -> dict[str, Any]:
    return {
        "parsed_cation": parsed.cation,
        "parsed_valence": parsed.valence,
        "anion_names": ";".join(a.name for a in parsed.anions),
        "anion_families": ";".join(sorted({a.family for a in parsed.anions})),
        "dominant_anion_family": parsed.anion_family,
        "molecule_names": ";".join(m.name for m in parsed.neutral_molecules),
        "n_molecules": float(parsed.neutral_molecule_count),
        "anion_contains_carbon": any(a.contains_carbon for a in parsed.anions),
        "molecule_contains_carbon": any(m.contains_carbon for m in parsed.neutral_molecules),
        "additive": parsed.additive,
        "phase_label": parsed.phase_label,
    }


def descriptor_table(
    frame: pd.DataFrame,
    aggregation: str = "sum",
    structures: pd.DataFrame | None = None,
    calculator: Calculator | None = None,
    *,
    definitions: Sequence[AdditiveDescriptor] = (),
    binding_energies: BindingEnergyCache | None = None,
) -> DescriptorTable:
    """Attach chemistry and descriptors to an activation-energy frame.

    Parameters
    ----------
    frame
        Columns at least ``formula`` and ``activation_energy_ev`` (eV), as
        ``Store.activation_energy_frame()``.
    aggregation
        Aggregation of X, Z, r_atom, r_ion (see :mod:`sselab.descriptors.composition`).
    structures
        ``Store.structures_frame()`` (``material_id``, ``cif``): the first structure of a material gives its
        ``V`` and ``d``; ``b_m`` also needs ``calculator``.
    calculator
        ASE calculator for ``b_m`` (e.g. ``sselab.simulate.potentials.get_calculator("chgnet")``), computed
        for every structure; prefer ``binding_energies``, which computes each value once.
    definitions
        Additive descriptors to add as columns (NaN for a row without conducting cation or anion, or with an
        element the descriptor has no coefficient for).
    binding_energies
        Cache (and calculator factory) of ``b_m`` per structure; used when ``calculator`` is not given.

    Raises
    ------
    DescriptorError
        A required column is missing.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise DescriptorError(f"the activation-energy frame lacks column(s) {missing}")
    frame = frame.reset_index(drop=True)
    parsed_rows: list[Any] = []
    keep: list[int] = []
    excluded: list[dict[str, Any]] = []
    for i, formula in enumerate(frame["formula"]):
        try:
            parsed = parse_formula(str(formula))
        except FormulaParseError as exc:
            excluded.append({"row": i, "formula": formula, "reason": f"formula not readable: {exc.reason}"})
            continue
        if aggregation in ("cation", "per_cation") and not parsed.cation:
            excluded.append({"row": i, "formula": formula, "reason": "no conducting cation found"})
            continue
        parsed_rows.append(parsed)
        keep.append(i)
    try:
        desc = composition_descriptor_frame(parsed_rows, aggregation=aggregation)
    except DescriptorError:
        raise
    rows = frame.iloc[keep].reset_index(drop=True)
    chemistry = pd.DataFrame([_chemistry(p) for p in parsed_rows])
    rows = pd.concat([rows, chemistry, desc[list(COMPOSITION_DESCRIPTORS)]], axis=1)
    for name in ("V", "d", "b_m"):
        rows[name] = np.nan
    if structures is not None and len(structures) and "material_id" in rows.columns:
        _attach_structure_descriptors(rows, parsed_rows, structures, calculator, binding_energies)
    extra = [d.name for d in definitions]
    for definition in definitions:
        usable = [
            i
            for i, p in enumerate(parsed_rows)
            if p.cation and p.anions and definition.covers([str(el) for el in p.composition])
        ]
        values = np.full(len(rows), np.nan)
        if usable:
            values[usable] = definition.evaluate_formulas([parsed_rows[i] for i in usable])
        rows[definition.name] = values
    rows = rows[[*[c for c in rows.columns if c not in (*ALL_DESCRIPTORS, *extra)], *ALL_DESCRIPTORS, *extra]]
    rows.attrs["aggregation"] = aggregation
    logger.info("descriptor table: %d rows, %d excluded", len(rows), len(excluded))
    return DescriptorTable(
        rows=rows,
        excluded=pd.DataFrame(excluded, columns=["row", "formula", "reason"]),
        aggregation=aggregation,
    )


def _attach_structure_descriptors(
    rows: pd.DataFrame,
    parsed_rows: list[Any],
    structures: pd.DataFrame,
    calculator: Calculator | None,
    binding_energies: BindingEnergyCache | None,
) -> None:
    first_cif = structures.drop_duplicates("material_id").set_index("material_id")["cif"]
    cache: dict[int, dict[str, float]] = {}
    for i, material_id in enumerate(rows["material_id"]):
        if material_id not in first_cif.index:
            continue
        key = int(material_id)
        if key not in cache:
            try:
                cif = str(first_cif[key])
                cache[key] = structure_descriptors(cif, parsed_rows[i], calculator=calculator)
                cation = parsed_rows[i].cation
                if calculator is None and binding_energies is not None and cation:
                    cache[key]["b_m"] = binding_energies.get(cif, str(cation))
            except DescriptorError as exc:
                logger.warning(
                    "material %s (%s): no structure descriptors: %s", key, rows.at[i, "formula"], exc
                )
                cache[key] = {"V": np.nan, "d": np.nan, "b_m": np.nan}
        for name, value in cache[key].items():
            rows.at[i, name] = value
