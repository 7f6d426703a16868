"""Export of the store's σ(T) and Ea rows as flat frames, with units and sources in the column names.

What ``sselab data export`` writes and ``Store.export_frames`` returns: one frame of conductivity
measurements and one of activation energies, each row with its dataset, formula as written, values in the
store's units (``temperature_k``, ``conductivity_s_per_cm``, ``activation_energy_ev`` ...), its source
(``source_doi``, ``source_citation``), the source's own id of the row (``entry``) and where it came from
(``source_file``: the imported file; ``source_row``: its row there). The column names are the ones
``sselab data import-table`` reads without a column map, so an export imports back into an empty store row
for row (``source_file``, ``source_row``, ``origin`` and ``flag`` are provenance of this store and are not
read back).

``origin`` tells sselab's own computed values from everything else (:func:`origin_column`): ``"sselab"`` for a
row recorded from an sselab run (it has a ``run_folder``), ``"literature"`` for a row imported or entered
from a source (a paper, a public dataset, a user's table: it names a DOI or citation).

Example::

    >>> from sselab.store import open_store
    >>> frames = open_store("sqlite://").export_frames()
    >>> sorted(frames), frames["conductivity"].columns[:5].tolist()
    (['activation_energy', 'conductivity'], ['dataset', 'formula', 'cation', 'family_label', 'temperature_k'])
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Select, case, or_, select

from sselab.chem import parse_formula
from sselab.errors import ConfigError, FormulaParseError
from sselab.store.extras import frame
from sselab.store.models import ActivationEnergy, ConductivityMeasurement, Import, Material, Source
from sselab.store.records import METHODS

if TYPE_CHECKING:
    from sselab.store.store import Store

ORIGIN_SSELAB = "sselab"
"""``origin`` of a row recorded from an sselab run (it has a run folder)."""
ORIGIN_LITERATURE = "literature"
"""``origin`` of a row imported or entered from a source outside sselab (paper, dataset, user table)."""

_SOURCE_COLUMNS = ["source_doi", "source_citation", "entry", "source_file", "source_row"]
CONDUCTIVITY_EXPORT_COLUMNS: list[str] = [
    "dataset",
    "formula",
    "cation",
    "family_label",
    "temperature_k",
    "conductivity_s_per_cm",
    "phase",
    *_SOURCE_COLUMNS,
]
"""Columns of the exported conductivity frame (units in the names: K, S/cm)."""
ACTIVATION_ENERGY_EXPORT_COLUMNS: list[str] = [
    "dataset",
    "formula",
    "cation",
    "family_label",
    "activation_energy_ev",
    "uncertainty_ev",
    "method",
    "origin",
    "potential",
    "phase",
    "temperature_min_k",
    "temperature_max_k",
    "note",
    "parameters",
    "run_folder",
    "flag",
    *_SOURCE_COLUMNS,
]
"""Columns of the exported activation-energy frame (eV, K); ``parameters`` is JSON text."""
PROVENANCE_ONLY_COLUMNS: tuple[str, ...] = ("origin", "flag", "source_file", "source_row")
"""Exported columns that an import does not read back (they describe the exporting store)."""


def origin_column(table: Any) -> Any:
    """SQL ``origin`` of an activation-energy row: ``"sselab"`` or ``"literature"`` (see the module doc).

    A row that names the sselab run folder it came from is sselab's; a row that names a source (DOI or
    citation: every imported row does) and no run folder is literature; a row with neither (added by hand
    through ``Store.add_activation_energy``) is taken as sselab's own.
    """
    return case(
        (table.run_folder.is_not(None), ORIGIN_SSELAB),
        (table.source_id.is_not(None), ORIGIN_LITERATURE),
        else_=ORIGIN_SSELAB,
    ).label("origin")


def _material_filter(stmt: Select, formula: str | None, cation: str | None) -> Select:
    if cation is not None:
        stmt = stmt.where(Material.cation == cation)
    if formula is not None:
        try:
            reduced = parse_formula(formula).composition.reduced_formula
        except (FormulaParseError, AttributeError, ValueError):
            reduced = None
        same = Material.formula == formula.strip()
        stmt = stmt.where(or_(same, Material.reduced_formula == reduced) if reduced else same)
    return stmt


def _select(table: Any, own: list[Any]) -> Select:
    m = Material
    return (
        select(
            table.dataset,
            m.formula,
            m.cation,
            m.family_label,
            *own,
            Source.doi,
            Source.citation,
            table.entry,
            Import.file_name,
            table.row_number,
        )
        .join(m, table.material_id == m.id)
        .outerjoin(Source, table.source_id == Source.id)
        .outerjoin(Import, table.import_id == Import.id)
        .order_by(table.id)
    )


def export_frames(
    store: Store,
    *,
    dataset: str | None = None,
    cation: str | None = None,
    method: str | None = None,
    formula: str | None = None,
) -> dict[str, pd.DataFrame]:
    """The store's rows as ``{"conductivity": ..., "activation_energy": ...}`` (filters are exact matches).

    Parameters
    ----------
    store
        The open store.
    dataset, cation
        Only rows of this dataset / materials with this conducting ion.
    method
        Only activation energies by this method (one of :data:`~sselab.store.records.METHODS`); σ(T) rows
        are measurements and are kept only when ``method`` is ``None`` or ``"experiment"``.
    formula
        Only materials written so, or with the same reduced composition (``Mg(BH4)2-2NH3`` finds
        ``Mg(BH4)2·2NH3``).

    Raises
    ------
    ConfigError
        For an unknown method.
    """
    if method is not None and method not in METHODS:
        raise ConfigError(f"--method {method!r}: the store knows {', '.join(METHODS)}")
    c, a = ConductivityMeasurement, ActivationEnergy
    sigma = _material_filter(_select(c, [c.temperature_k, c.conductivity_s_per_cm, c.phase]), formula, cation)
    ea = _material_filter(
        _select(
            a,
            [
                a.activation_energy_ev,
                a.uncertainty_ev,
                a.method,
                origin_column(a),
                a.potential,
                a.phase,
                a.temperature_min_k,
                a.temperature_max_k,
                a.note,
                a.parameters,
                a.run_folder,
                a.flag,
            ],
        ),
        formula,
        cation,
    )
    if dataset is not None:
        sigma, ea = sigma.where(c.dataset == dataset), ea.where(a.dataset == dataset)
    if method is not None:
        ea = ea.where(a.method == method)
    with store.engine.connect() as conn:
        sigma_rows = conn.execute(sigma).all() if method in (None, "experiment") else []
        ea_rows = conn.execute(ea).all()
    conductivity = frame(sigma_rows, CONDUCTIVITY_EXPORT_COLUMNS)
    activation = frame(ea_rows, ACTIVATION_ENERGY_EXPORT_COLUMNS)
    activation["parameters"] = [
        json.dumps(p, sort_keys=True, ensure_ascii=False) if isinstance(p, dict) else None
        for p in activation["parameters"]
    ]
    for table in (conductivity, activation):
        table["source_row"] = table["source_row"].astype("Int64")
    return {"conductivity": conductivity, "activation_energy": activation}


class ExportMixin:
    """:meth:`export_frames` of :class:`~sselab.store.Store` (kept here beside the columns it returns)."""

    def export_frames(
        self,
        *,
        dataset: str | None = None,
        cation: str | None = None,
        method: str | None = None,
        formula: str | None = None,
    ) -> dict[str, pd.DataFrame]:
        """σ(T) and Ea rows with units and sources in the column names (what ``sselab data export`` writes).

        Returns ``{"conductivity": ..., "activation_energy": ...}``; columns and filters:
        :func:`export_frames`. ``sselab data import-table`` reads the frames back.
        """
        return export_frames(self, dataset=dataset, cation=cation, method=method, formula=formula)  # type: ignore[arg-type]
