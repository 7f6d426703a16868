"""Filtered, sorted, paged queries for browsing the store (the data layer of ``sselab serve``).

Every query here is a SQLAlchemy Core statement whose values are bound parameters (never pasted into the
SQL text); it is compiled for the store's dialect and run through
:func:`sselab.store.readonly.readonly_query`, so it inherits the read-only guard: a connection that cannot
write, a time limit and a row limit. Page sizes are capped (:data:`MAX_PAGE_SIZE`), and so are the rows of
any other answer (:data:`MAX_ROWS`). The rows of a material page are in :mod:`sselab.store.browse_rows`.

Example::

    >>> from sselab.store import open_store
    >>> from sselab.store.browse import MaterialQuery, materials_page
    >>> store = open_store("sqlite://")
    >>> page = materials_page(store, MaterialQuery(valence=2, per_page=20))
    >>> page.total, list(page.rows.columns[:3])
    (0, ['material_id', 'formula', 'dataset'])
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, union

from sselab.errors import StoreError
from sselab.store.extras import frame
from sselab.store.models import (
    ActivationEnergy,
    ConductivityMeasurement,
    Material,
    Source,
    Structure,
)
from sselab.store.readonly import readonly_query

MAX_PAGE_SIZE = 200
"""Most rows on one page of the materials table."""
MAX_ROWS = 20_000
"""Most rows of any other browse answer (points of a plot, Ea ...); more rows set ``truncated``."""
QUERY_TIMEOUT_S = 5.0
"""Wall-clock limit of one browse query, s."""
EXPERIMENT = "experiment"

MATERIAL_PAGE_COLUMNS: tuple[str, ...] = (
    "material_id",
    "formula",
    "dataset",
    "cation",
    "valence",
    "anion_family",
    "neutral_molecule",
    "neutral_count",
    "n_sigma",
    "temperature_min_k",
    "temperature_max_k",
    "sigma_max_s_per_cm",
    "ea_experiment_ev",
    "n_ea_experiment",
    "n_ea_computed",
    "n_structures",
)
"""Columns of :attr:`MaterialPage.rows` (plus ``dois``, the sources of the material's rows, ``; ``-joined)."""
SORT_KEYS: tuple[str, ...] = MATERIAL_PAGE_COLUMNS


NeutralChoice = Literal["any", "with", "without"]


@dataclass(frozen=True)
class MaterialQuery:
    """What the materials table shows: filters (all optional, combined with AND), order and page.

    Attributes
    ----------
    cation, valence
        Conducting cation symbol (``"Mg"``) and its valence.
    anion_families
        Any of these anion families (empty: all).
    neutral, neutral_molecule, neutral_count_min, neutral_count_max
        With or without neutral molecules; a given dominant molecule (``"NH3"``); the range of the summed
        molecule count per formula unit.
    dataset
        Name of the dataset the material was imported from.
    ea_min_ev, ea_max_ev
        Range of the material's mean experimental Ea (unflagged rows), eV; a material without one is left out
        when either bound is given.
    temperature_min_k, temperature_max_k
        Temperature window, K: the material has a σ point inside it.
    has_sigma, has_structure, has_computed
        Whether the material has σ(T) points / a structure / a computed (non-experimental) Ea.
    text
        Case-insensitive substring of the formula as written or of the reduced formula.
    sort, descending, page, per_page
        Column of :data:`SORT_KEYS`, direction, 1-based page, rows per page (1 to :data:`MAX_PAGE_SIZE`).
    """

    cation: str | None = None
    valence: int | None = None
    anion_families: tuple[str, ...] = ()
    neutral: NeutralChoice = "any"
    neutral_molecule: str | None = None
    neutral_count_min: float | None = None
    neutral_count_max: float | None = None
    dataset: str | None = None
    ea_min_ev: float | None = None
    ea_max_ev: float | None = None
    temperature_min_k: float | None = None
    temperature_max_k: float | None = None
    has_sigma: bool | None = None
    has_structure: bool | None = None
    has_computed: bool | None = None
    text: str | None = None
    sort: str = "formula"
    descending: bool = False
    page: int = 1
    per_page: int = 50

    def __post_init__(self) -> None:
        if self.sort not in SORT_KEYS:
            raise StoreError(f"sort: unknown column {self.sort!r}; use one of {', '.join(SORT_KEYS)}")
        if not 1 <= int(self.per_page) <= MAX_PAGE_SIZE:
            raise StoreError(f"per_page: {self.per_page} is not between 1 and {MAX_PAGE_SIZE}")
        if int(self.page) < 1:
            raise StoreError(f"page: {self.page} is below 1")
        if self.neutral not in ("any", "with", "without"):
            raise StoreError(f"neutral: {self.neutral!r} is not one of any, with, without")
        for name in (
            "neutral_count_min",
            "neutral_count_max",
            "ea_min_ev",
            "ea_max_ev",
            "temperature_min_k",
            "temperature_max_k",
        ):
            value = getattr(self, name)
            if value is not None and not math.isfinite(float(value)):
                raise StoreError(f"{name}: {value} is not a finite number")


@dataclass(frozen=True)
class MaterialPage:
    """One page of the materials table: its rows, how many materials match, and the query."""

    rows: pd.DataFrame
    total: int
    query: MaterialQuery = field(default_factory=MaterialQuery)

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, math.ceil(self.total / self.query.per_page))


@dataclass(frozen=True)
class Rows:
    """The rows of a browse query and whether more matched than :data:`MAX_ROWS`."""

    frame: pd.DataFrame
    truncated: bool


def run_select(store: Any, stmt: Select, max_rows: int = MAX_ROWS) -> tuple[list[str], pd.DataFrame, bool]:
    """Compile ``stmt`` for the store's dialect with bound parameters and run it read-only.

    Returns the column names, at most ``max_rows`` rows and whether more matched. The values of the
    statement travel as bound parameters, never as SQL text; the guard of
    :func:`sselab.store.readonly.readonly_query` (read-only connection, :data:`QUERY_TIMEOUT_S`) applies.
    """
    dialect = store.engine.dialect
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params: Sequence[Any] | dict[str, Any]
    if dialect.positional:
        params = [compiled.params[name] for name in compiled.positiontup or ()]
    else:
        params = dict(compiled.params)
    result = readonly_query(
        store,
        compiled.string,
        max_rows=max_rows,
        timeout_s=QUERY_TIMEOUT_S,
        max_sql_chars=50_000,
        params=params,
        in_process=True,  # sselab's own statement, values bound: no worker process needed
    )
    return list(result.columns), result.rows, result.truncated


def select_frame(store: Any, stmt: Select, columns: Sequence[str], max_rows: int = MAX_ROWS) -> Rows:
    """:func:`run_select` as a frame with the given column names (unit columns as float)."""
    _, rows, truncated = run_select(store, stmt, max_rows)
    return Rows(frame(list(rows.itertuples(index=False, name=None)), list(columns)), truncated)


def json_value(value: Any) -> Any:
    """A JSON column's value as Python (SQLite hands back text, PostgreSQL the parsed value)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


# ---------------------------------------------------------------------------------------------- materials
def _aggregates() -> tuple[Any, Any, Any, Any]:
    c, a, s = ConductivityMeasurement, ActivationEnergy, Structure
    sigma = (
        select(
            c.material_id.label("mid"),
            func.count().label("n_sigma"),
            func.min(c.temperature_k).label("t_min"),
            func.max(c.temperature_k).label("t_max"),
            func.max(c.conductivity_s_per_cm).label("sigma_max"),
        )
        .group_by(c.material_id)
        .subquery("sigma_agg")
    )
    experiment = (
        select(
            a.material_id.label("mid"),
            func.avg(a.activation_energy_ev).label("ea_mean"),
            func.count().label("n_exp"),
        )
        .where(a.method == EXPERIMENT, a.flag.is_(None))
        .group_by(a.material_id)
        .subquery("ea_exp_agg")
    )
    computed = (
        select(a.material_id.label("mid"), func.count().label("n_comp"))
        .where(a.method != EXPERIMENT)
        .group_by(a.material_id)
        .subquery("ea_comp_agg")
    )
    structures = (
        select(s.material_id.label("mid"), func.count().label("n_struct"))
        .group_by(s.material_id)
        .subquery("struct_agg")
    )
    return sigma, experiment, computed, structures


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _material_filters(
    q: MaterialQuery, sigma: Any, experiment: Any, computed: Any, structures: Any
) -> list[Any]:
    m, c = Material, ConductivityMeasurement
    where: list[ColumnElement[bool]] = []
    if q.cation is not None:
        where.append(m.cation == q.cation)
    if q.valence is not None:
        where.append(m.valence == int(q.valence))
    if q.anion_families:
        where.append(m.anion_family.in_(list(q.anion_families)))
    if q.neutral == "with":
        where.append(m.neutral_molecule.is_not(None))
    elif q.neutral == "without":
        where.append(m.neutral_molecule.is_(None))
    if q.neutral_molecule is not None:
        where.append(m.neutral_molecule == q.neutral_molecule)
    if q.neutral_count_min is not None:
        where.append(m.neutral_count >= float(q.neutral_count_min))
    if q.neutral_count_max is not None:
        where.append(m.neutral_count <= float(q.neutral_count_max))
    if q.dataset is not None:
        where.append(m.dataset == q.dataset)
    if q.ea_min_ev is not None:
        where.append(experiment.c.ea_mean >= float(q.ea_min_ev))
    if q.ea_max_ev is not None:
        where.append(experiment.c.ea_mean <= float(q.ea_max_ev))
    if q.temperature_min_k is not None or q.temperature_max_k is not None:
        window = [c.material_id == m.id]
        if q.temperature_min_k is not None:
            window.append(c.temperature_k >= float(q.temperature_min_k))
        if q.temperature_max_k is not None:
            window.append(c.temperature_k <= float(q.temperature_max_k))
        where.append(exists(select(c.id).where(*window)))
    for wanted, column in (
        (q.has_sigma, sigma.c.n_sigma),
        (q.has_structure, structures.c.n_struct),
        (q.has_computed, computed.c.n_comp),
    ):
        if wanted is not None:
            where.append(column.is_not(None) if wanted else column.is_(None))
    if q.text:
        pattern = _like_pattern(q.text)
        where.append(
            or_(m.formula.ilike(pattern, escape="\\"), m.reduced_formula.ilike(pattern, escape="\\"))
        )
    return where


def _materials_select(q: MaterialQuery) -> tuple[Select, dict[str, Any]]:
    m = Material
    sigma, experiment, computed, structures = _aggregates()
    columns = {
        "material_id": m.id,
        "formula": m.formula,
        "dataset": m.dataset,
        "cation": m.cation,
        "valence": m.valence,
        "anion_family": m.anion_family,
        "neutral_molecule": m.neutral_molecule,
        "neutral_count": m.neutral_count,
        "n_sigma": sigma.c.n_sigma,
        "temperature_min_k": sigma.c.t_min,
        "temperature_max_k": sigma.c.t_max,
        "sigma_max_s_per_cm": sigma.c.sigma_max,
        "ea_experiment_ev": experiment.c.ea_mean,
        "n_ea_experiment": experiment.c.n_exp,
        "n_ea_computed": computed.c.n_comp,
        "n_structures": structures.c.n_struct,
    }
    stmt = (
        select(*[col.label(name) for name, col in columns.items()])
        .outerjoin(sigma, sigma.c.mid == m.id)
        .outerjoin(experiment, experiment.c.mid == m.id)
        .outerjoin(computed, computed.c.mid == m.id)
        .outerjoin(structures, structures.c.mid == m.id)
    )
    filters = _material_filters(q, sigma, experiment, computed, structures)
    if filters:
        stmt = stmt.where(and_(*filters))
    return stmt, columns


def materials_page(store: Any, query: MaterialQuery) -> MaterialPage:
    """One page of the materials table (columns :data:`MATERIAL_PAGE_COLUMNS` and ``dois``).

    Counts are numbers of rows (``n_sigma`` σ points, ``n_ea_*`` activation energies, ``n_structures``);
    ``temperature_*_k`` is the range of the σ points (K), ``sigma_max_s_per_cm`` the highest σ (S/cm),
    ``ea_experiment_ev`` the mean of the unflagged experimental Ea (eV). Rows are in ``query.sort`` order
    (missing values last), ties broken by material id.
    """
    stmt, columns = _materials_select(query)
    total_stmt = select(func.count()).select_from(stmt.subquery("matching"))
    _, total_rows, _ = run_select(store, total_stmt, max_rows=1)
    total = int(total_rows.to_numpy()[0, 0]) if len(total_rows) else 0
    key = columns[query.sort]
    order = key.desc() if query.descending else key.asc()
    page_stmt = (
        stmt.order_by(order.nulls_last(), Material.id)
        .limit(int(query.per_page))
        .offset((int(query.page) - 1) * int(query.per_page))
    )
    rows = select_frame(store, page_stmt, MATERIAL_PAGE_COLUMNS, max_rows=MAX_PAGE_SIZE).frame
    for name in ("n_sigma", "n_ea_experiment", "n_ea_computed", "n_structures"):
        rows[name] = pd.to_numeric(rows[name], errors="coerce").fillna(0).astype(int)
    for name in ("temperature_min_k", "temperature_max_k", "sigma_max_s_per_cm", "ea_experiment_ev"):
        rows[name] = pd.to_numeric(rows[name], errors="coerce").astype(float)
    dois = material_dois(store, [int(i) for i in rows["material_id"]])
    rows["dois"] = ["; ".join(dois.get(int(i), [])) for i in rows["material_id"]]
    return MaterialPage(rows=rows, total=total, query=query)


def material_dois(store: Any, material_ids: Sequence[int]) -> dict[int, list[str]]:
    """The DOIs of the sources of each material's σ points, activation energies and structures, sorted."""
    if not material_ids:
        return {}
    ids = [int(i) for i in material_ids]
    parts = [
        select(table.material_id.label("mid"), Source.doi.label("doi"))
        .join(Source, table.source_id == Source.id)
        .where(table.material_id.in_(ids), Source.doi.is_not(None))
        for table in (ConductivityMeasurement, ActivationEnergy, Structure)
    ]
    _, rows, _ = run_select(store, select(union(*parts).subquery("dois")))
    out: dict[int, list[str]] = {}
    for mid, doi in rows.itertuples(index=False, name=None):
        out.setdefault(int(mid), []).append(str(doi))
    return {mid: sorted(set(values)) for mid, values in out.items()}


def facets(store: Any) -> dict[str, list[Any]]:
    """Distinct values offered by the filters: cations, valences, anion families, neutral molecules,
    datasets (of materials) and methods (of activation energies), sorted."""
    m, a = Material, ActivationEnergy
    out: dict[str, list[Any]] = {}
    for name, column in (
        ("cation", m.cation),
        ("valence", m.valence),
        ("anion_family", m.anion_family),
        ("neutral_molecule", m.neutral_molecule),
        ("dataset", m.dataset),
        ("method", a.method),
    ):
        _, rows, _ = run_select(
            store, select(column).distinct().where(column.is_not(None)).order_by(column), 1000
        )
        out[name] = [v.item() if hasattr(v, "item") else v for v in rows.iloc[:, 0].tolist()]
    return out


def with_page(query: MaterialQuery, page: int) -> MaterialQuery:
    """The same query on another page."""
    return replace(query, page=int(page))
