"""Subsets of the descriptor table chosen by valence, anion family, neutral molecules and carbon.

Every row left out gets the first reason that excluded it, so a fit can say which rows it did not use and why.

Named subsets (:data:`MODEL_FAMILIES`), following the paper's Figure 3b:

``divalent-neutral``
    divalent conducting cation with at least one neutral molecule (the descriptor scan of Figure 3a).
``y1``
    divalent boranes (nido-, arachno-, closo-borane anions) with neutral molecules free of carbon.
``y2``
    divalent with neutral molecules and carbon in an anion (carboranes) or in a neutral molecule.
``y1-bh4``
    **a user choice, not the paper's subset**: divalent, BH4⁻ (nido-borane) as the only anion, neutral
    molecules free of carbon, phase ``low-T`` – the Mg(BH4)2·nNH3 family the paper's MetaD focused on, without
    the closo-borane hydrates whose scatter hides the trend on the paper's x axis (see ``docs/analysis.md``).

Training rows by source (:data:`TRAINING_SOURCES`, :func:`with_training`), as the paper trains its lines on
MetaD results plus experiments: ``experiment`` (measured Ea), ``computed`` (converged computed Ea, methods
:data:`COMPUTED_METHODS` by default) or ``both``. A computed row is used only when the store says it
converged: a ``converged`` column that is true. Until the store has that column, every computed row is
excluded with the reason "convergence not recorded"; the code needs no change once the column exists.
Predictions of a model (method ``regression``) are never training rows.

Example
-------
>>> from sselab.models.subsets import MODEL_FAMILIES, select_rows, with_training
>>> with_training(MODEL_FAMILIES["y1"], "both").methods
('experiment', 'MetaD', 'composite')
>>> sel = select_rows(table, MODEL_FAMILIES["y1"], descriptors=("X", "r_atom"))  # doctest: +SKIP
>>> len(sel.rows), sel.excluded["reason"].value_counts()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from sselab.chem.families import ARACHNO_BORANE, CLOSO_BORANE, NIDO_BORANE
from sselab.errors import ConfigError

#: Borane anion families (no carbon in the cage).
BORANE_FAMILIES: tuple[str, ...] = (NIDO_BORANE, ARACHNO_BORANE, CLOSO_BORANE)

#: Computed methods whose converged Ea may train a line by default (the paper: MetaD; sselab's composite
#: NEB + defect protocol). Others (CI-NEB, AIMD ...) can be chosen explicitly.
COMPUTED_METHODS: tuple[str, ...] = ("MetaD", "composite")

#: Training sources a user chooses from.
TRAINING_SOURCES: tuple[str, ...] = ("experiment", "computed", "both")

#: Methods that are never training rows (predictions of a model).
NEVER_TRAINING: frozenset[str] = frozenset({"regression"})


@dataclass(frozen=True)
class Subset:
    """Which rows of a descriptor table a fit uses (``None`` = no condition).

    Attributes
    ----------
    name
        Label of the subset (recorded with a fit).
    valence
        Oxidation state of the conducting cation.
    anion_families
        Allowed families of the dominant anion.
    anions
        Allowed anion names (``("BH4",)``): every anion of the formula must be one of them.
    with_neutral_molecules
        True: at least one neutral molecule; False: none.
    molecules
        Names of neutral molecules, at least one of which must be present (e.g. ``("NH3",)``).
    contains_carbon, anion_contains_carbon, molecule_contains_carbon
        Carbon anywhere (anion or molecule), in an anion, in a neutral molecule.
    phases
        Allowed values of the ``phase`` column (``("low-T",)``); a row without a phase is then excluded.
    methods
        Allowed ``method`` values (default: experiments only).
    exclude_additives
        Leave out composites with an additive (``Mg(BH4)2·1.6NH3–Al2O3``).
    exclude_flagged
        Leave out rows flagged as doubtful in the store.
    require_converged
        A row whose method is not ``experiment`` is used only if its ``converged`` column is true.
    """

    name: str = "all"
    valence: int | None = None
    anion_families: tuple[str, ...] | None = None
    anions: tuple[str, ...] | None = None
    with_neutral_molecules: bool | None = None
    molecules: tuple[str, ...] | None = None
    contains_carbon: bool | None = None
    anion_contains_carbon: bool | None = None
    molecule_contains_carbon: bool | None = None
    phases: tuple[str, ...] | None = None
    methods: tuple[str, ...] | None = ("experiment",)
    exclude_additives: bool = True
    exclude_flagged: bool = True
    require_converged: bool = True

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Subset:
        """Inverse of :meth:`as_dict`."""
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**fields)


MODEL_FAMILIES: dict[str, Subset] = {
    "divalent-neutral": Subset(name="divalent-neutral", valence=2, with_neutral_molecules=True),
    "y1": Subset(
        name="y1",
        valence=2,
        anion_families=BORANE_FAMILIES,
        with_neutral_molecules=True,
        molecule_contains_carbon=False,
    ),
    "y2": Subset(name="y2", valence=2, with_neutral_molecules=True, contains_carbon=True),
    # a user choice (not the paper's): the Mg(BH4)2·nNH3-type rows, low-temperature phase
    "y1-bh4": Subset(
        name="y1-bh4",
        valence=2,
        anions=("BH4",),
        with_neutral_molecules=True,
        molecule_contains_carbon=False,
        phases=("low-T",),
    ),
}


@dataclass(frozen=True)
class Selection:
    """Rows chosen by a subset, and the rows left out with a reason (``row``, ``formula``, ``reason``)."""

    rows: pd.DataFrame
    excluded: pd.DataFrame


def with_training(subset: Subset, source: str, methods: Sequence[str] | None = None) -> Subset:
    """``subset`` training on ``source`` (``experiment``, ``computed`` or ``both``).

    Parameters
    ----------
    subset
        The chemistry condition (e.g. ``MODEL_FAMILIES["y1"]``).
    source
        One of :data:`TRAINING_SOURCES`.
    methods
        Computed methods to accept (default :data:`COMPUTED_METHODS`).

    Raises
    ------
    ConfigError
        An unknown source, or a method that never trains a model (``regression``).
    """
    if source not in TRAINING_SOURCES:
        raise ConfigError(f"unknown training source {source!r}; choose one of {', '.join(TRAINING_SOURCES)}")
    computed = tuple(methods) if methods else COMPUTED_METHODS
    refused = sorted(set(computed) & NEVER_TRAINING)
    if refused:
        raise ConfigError(f"method(s) {refused} hold model predictions and cannot train a model")
    chosen = {
        "experiment": ("experiment",),
        "computed": computed,
        "both": ("experiment", *(m for m in computed if m != "experiment")),
    }[source]
    return replace(subset, methods=chosen)


def named_subset(name: str) -> Subset:
    """A subset of :data:`MODEL_FAMILIES` by name (raises :class:`ConfigError` listing the names)."""
    try:
        return MODEL_FAMILIES[name]
    except KeyError:
        raise ConfigError(f"unknown model family {name!r}; known: {', '.join(MODEL_FAMILIES)}") from None


def _reasons(rows: pd.DataFrame, subset: Subset, descriptors: Sequence[str]) -> list[str | None]:
    def column(name: str, default: Any = None) -> pd.Series:
        return rows[name] if name in rows.columns else pd.Series([default] * len(rows), index=rows.index)

    checks: list[tuple[np.ndarray, Any]] = []
    if subset.methods is not None:
        method = column("method", "experiment")
        checks.append((~method.isin(subset.methods).to_numpy(), lambda i: f"method {method.iloc[i]}"))
    if subset.require_converged and subset.methods is not None and set(subset.methods) - {"experiment"}:
        method = column("method", "experiment")
        computed = (method != "experiment").to_numpy()
        if "converged" in rows.columns:
            converged = rows["converged"].map(lambda v: v is True or str(v).strip().lower() in ("true", "1"))
            checks.append((computed & ~converged.to_numpy(dtype=bool), lambda i: "computed Ea not converged"))
        else:
            checks.append(
                (computed, lambda i: "computed Ea: convergence not recorded (no 'converged' column)")
            )
    if subset.exclude_flagged and "flag" in rows.columns:
        flag = rows["flag"]
        checks.append((flag.notna().to_numpy(), lambda i: f"flagged: {flag.iloc[i]}"))
    if subset.exclude_additives:
        additive = column("additive")
        checks.append((additive.notna().to_numpy(), lambda i: f"composite with additive {additive.iloc[i]}"))
    if subset.valence is not None:
        valence = column("parsed_valence")
        checks.append(((valence != subset.valence).to_numpy(), lambda i: f"valence {valence.iloc[i]}"))
    n_mol = column("n_molecules", 0.0).astype(float)
    if subset.with_neutral_molecules is True:
        checks.append(((n_mol <= 0).to_numpy(), lambda i: "no neutral molecule"))
    elif subset.with_neutral_molecules is False:
        checks.append(((n_mol > 0).to_numpy(), lambda i: "has neutral molecules"))
    if subset.anion_families is not None:
        family = column("dominant_anion_family")
        checks.append(
            (~family.isin(subset.anion_families).to_numpy(), lambda i: f"anion family {family.iloc[i]}")
        )
    if subset.anions is not None:
        anion_names = column("anion_names", "").fillna("")
        allowed = set(subset.anions)
        mask = np.array([not v or not set(str(v).split(";")) <= allowed for v in anion_names])
        checks.append((mask, lambda i: f"anions {anion_names.iloc[i] or 'none'}"))
    if subset.phases is not None:
        phase = column("phase")
        given = (phase.notna() & (phase.astype(object).map(lambda v: str(v).strip()) != "")).to_numpy()
        checks.append((~given, lambda i: "phase not given"))
        checks.append((given & ~phase.isin(subset.phases).to_numpy(), lambda i: f"phase {phase.iloc[i]}"))
    if subset.molecules is not None:
        names = column("molecule_names", "").fillna("")
        wanted = set(subset.molecules)
        mask = np.array([not (set(str(v).split(";")) & wanted) for v in names])
        checks.append((mask, lambda i: f"neutral molecules {names.iloc[i] or 'none'}"))
    anion_c = column("anion_contains_carbon", False).astype(bool)
    mol_c = column("molecule_contains_carbon", False).astype(bool)
    for wanted_flag, values, label in (
        (subset.contains_carbon, anion_c | mol_c, "carbon"),
        (subset.anion_contains_carbon, anion_c, "carbon in the anion"),
        (subset.molecule_contains_carbon, mol_c, "carbon in a neutral molecule"),
    ):
        if wanted_flag is not None:
            mask = (values != wanted_flag).to_numpy()
            checks.append((mask, lambda i, lab=label, w=wanted_flag: f"{'no ' if w else ''}{lab}"))
    for name in descriptors:
        if name not in rows.columns:
            raise ConfigError(f"descriptor {name!r} is not a column of the table")
        missing = rows[name].astype(float).isna().to_numpy()
        hint = " (no stored structure or potential)" if name in ("V", "d", "b_m") else ""
        checks.append((missing, lambda i, nm=name, h=hint: f"descriptor {nm} missing{h}"))
    reasons: list[str | None] = [None] * len(rows)
    for mask, describe in checks:
        for i in np.flatnonzero(mask):
            if reasons[i] is None:
                reasons[i] = describe(int(i))
    return reasons


def select_rows(table: Any, subset: Subset, descriptors: Sequence[str] = ()) -> Selection:
    """Rows of ``table`` (a :class:`~sselab.models.table.DescriptorTable` or its rows) that ``subset`` keeps.

    Rows missing any of ``descriptors`` are excluded too. The result's ``rows`` keep ``attrs`` (aggregation).
    """
    rows = table.rows if hasattr(table, "rows") else table
    rows = rows.reset_index(drop=True)
    reasons = _reasons(rows, subset, descriptors)
    keep = np.array([r is None for r in reasons], dtype=bool)
    kept = rows[keep].reset_index(drop=True)
    kept.attrs = dict(rows.attrs)
    excluded = pd.DataFrame(
        {
            "row": np.flatnonzero(~keep),
            "formula": rows["formula"][~keep].to_numpy(),
            "reason": [r for r in reasons if r is not None],
        }
    )
    return Selection(rows=kept, excluded=excluded)
