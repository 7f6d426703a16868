"""The rows behind one material page, a run page and the models page (read-only, bound parameters).

The queries run through :func:`sselab.store.browse.run_select` and so share its guard and limits.

Example::

    >>> from sselab.store import open_store
    >>> from sselab.store.browse_rows import activation_energies, material
    >>> store = open_store("sqlite://")
    >>> material(store, 1) is None, activation_energies(store).frame.empty
    (True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select

from sselab.store.browse import Rows, json_value, run_select, select_frame
from sselab.store.export import origin_column
from sselab.store.models import (
    ActivationEnergy,
    ConductivityMeasurement,
    Material,
    ModelFit,
    Run,
    Source,
    Structure,
)
from sselab.store.store import CONDUCTIVITY_COLUMNS

ACTIVATION_COLUMNS: tuple[str, ...] = (
    "ea_id",
    "material_id",
    "formula",
    "cation",
    "valence",
    "anion_family",
    "neutral_molecule",
    "method",
    "protocol",
    "activation_energy_ev",
    "uncertainty_ev",
    "potential",
    "phase",
    "temperature_min_k",
    "temperature_max_k",
    "doi",
    "dataset",
    "run_folder",
    "note",
    "flag",
    "parameters",
    "origin",
)
STRUCTURE_LIST_COLUMNS: tuple[str, ...] = (
    "structure_id",
    "material_id",
    "provenance",
    "doi",
    "dataset",
    "row_number",
    "cif_chars",
)


def material(store: Any, material_id: int) -> dict[str, Any] | None:
    """One material with its parsed chemistry (``composition``, ``parsed``, ``metadata`` dicts), or None."""
    m = Material
    names = [
        "material_id",
        "formula",
        "dataset",
        "reduced_formula",
        "cation",
        "valence",
        "anion",
        "anion_family",
        "neutral_molecule",
        "neutral_count",
        "contains_carbon",
        "additive",
        "phase_label",
        "family_label",
        "composition",
        "parsed",
        "metadata",
    ]
    stmt = select(
        m.id,
        m.formula,
        m.dataset,
        m.reduced_formula,
        m.cation,
        m.valence,
        m.anion,
        m.anion_family,
        m.neutral_molecule,
        m.neutral_count,
        m.contains_carbon,
        m.additive,
        m.phase_label,
        m.family_label,
        m.composition,
        m.parsed,
        m.metadata_,
    ).where(m.id == int(material_id))
    _, rows, _ = run_select(store, stmt, max_rows=1)
    if rows.empty:
        return None
    record = {
        k: v.item() if hasattr(v, "item") else v for k, v in zip(names, rows.iloc[0].tolist(), strict=True)
    }
    for name in ("composition", "parsed", "metadata"):
        record[name] = json_value(record[name])
    return record


def conductivity_points(store: Any, material_ids: Sequence[int]) -> Rows:
    """σ(T) points of the given materials (columns of ``Store.conductivity_frame``), by material and T."""
    c, m = ConductivityMeasurement, Material
    stmt = (
        select(
            c.id,
            c.material_id,
            m.formula,
            m.cation,
            m.valence,
            m.anion_family,
            m.neutral_molecule,
            m.neutral_count,
            c.temperature_k,
            c.conductivity_s_per_cm,
            c.phase,
            Source.doi,
            c.dataset,
            c.source_id,
            Source.citation,
        )
        .join(m, c.material_id == m.id)
        .outerjoin(Source, c.source_id == Source.id)
        .where(c.material_id.in_([int(i) for i in material_ids]))
        .order_by(c.material_id, c.temperature_k, c.id)
    )
    return select_frame(store, stmt, CONDUCTIVITY_COLUMNS)


def _activation_select() -> Select:
    a, m = ActivationEnergy, Material
    return (
        select(
            a.id,
            a.material_id,
            m.formula,
            m.cation,
            m.valence,
            m.anion_family,
            m.neutral_molecule,
            a.method,
            a.activation_energy_ev,
            a.uncertainty_ev,
            a.potential,
            a.phase,
            a.temperature_min_k,
            a.temperature_max_k,
            Source.doi,
            a.dataset,
            a.run_folder,
            a.note,
            a.flag,
            a.parameters,
            origin_column(a),
        )
        .join(m, a.material_id == m.id)
        .outerjoin(Source, a.source_id == Source.id)
    )


def _with_protocol(rows: Rows) -> Rows:
    df = rows.frame
    params = [json_value(p) for p in df["parameters"]]
    df["parameters"] = params
    df["protocol"] = [p.get("protocol") if isinstance(p, dict) else None for p in params]
    return Rows(df[list(ACTIVATION_COLUMNS)], rows.truncated)


def activation_energies(store: Any, material_id: int | None = None, methods: Sequence[str] = ()) -> Rows:
    """Activation energies (eV) with method, protocol (from the run parameters), source and run folder.

    ``material_id`` limits them to one material and ``methods`` to those methods; flagged rows are included
    (their ``flag`` says why). Columns :data:`ACTIVATION_COLUMNS`.
    """
    a = ActivationEnergy
    stmt = _activation_select()
    if material_id is not None:
        stmt = stmt.where(a.material_id == int(material_id))
    if methods:
        stmt = stmt.where(a.method.in_(list(methods)))
    names = [n for n in ACTIVATION_COLUMNS if n != "protocol"]
    return _with_protocol(select_frame(store, stmt.order_by(a.method, a.id), names))


def activation_energy(store: Any, ea_id: int) -> dict[str, Any] | None:
    """One activation-energy row (see :func:`activation_energies`), or None."""
    stmt = _activation_select().where(ActivationEnergy.id == int(ea_id))
    rows = _with_protocol(select_frame(store, stmt, [n for n in ACTIVATION_COLUMNS if n != "protocol"], 1))
    return None if rows.frame.empty else {str(k): v for k, v in rows.frame.iloc[0].items()}


def structures(store: Any, material_id: int) -> Rows:
    """The structures of a material without their CIF text (``cif_chars`` gives its length)."""
    s = Structure
    stmt = (
        select(s.id, s.material_id, s.provenance, Source.doi, s.dataset, s.row_number, func.length(s.cif))
        .outerjoin(Source, s.source_id == Source.id)
        .where(s.material_id == int(material_id))
        .order_by(s.id)
    )
    return select_frame(store, stmt, STRUCTURE_LIST_COLUMNS)


def structure_cif(store: Any, structure_id: int) -> tuple[int, str] | None:
    """(material id, CIF text) of a structure, or None."""
    stmt = select(Structure.material_id, Structure.cif).where(Structure.id == int(structure_id))
    _, rows, _ = run_select(store, stmt, max_rows=1)
    return None if rows.empty else (int(rows.to_numpy()[0, 0]), str(rows.to_numpy()[0, 1]))


def model_fits(store: Any) -> Rows:
    """Saved models: ``name``, ``payload`` (dict) and ``created_at``, by name."""
    stmt = select(ModelFit.name, ModelFit.payload, ModelFit.created_at).order_by(ModelFit.name)
    rows = select_frame(store, stmt, ["name", "payload", "created_at"], max_rows=1000)
    rows.frame["payload"] = [json_value(p) for p in rows.frame["payload"]]
    return rows


def runs_in_folders(store: Any, folders: Sequence[str]) -> Rows:
    """Recorded runs whose folder is one of ``folders`` (``run_id, kind, folder, summary``)."""
    stmt = select(Run.id, Run.kind, Run.folder, Run.summary).where(Run.folder.in_(list(folders)))
    rows = select_frame(store, stmt.order_by(Run.id), ["run_id", "kind", "folder", "summary"], max_rows=1000)
    rows.frame["summary"] = [json_value(p) for p in rows.frame["summary"]]
    return rows
