"""Data tools: describe the store, run one read-only query, filter materials without SQL.

Free SQL goes only through :func:`sselab.store.readonly.readonly_query` (SQLite opened ``mode=ro`` with an
authorizer and ``query_only``; PostgreSQL in a READ ONLY transaction), with row, time and length limits.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from sselab.assistant.registry import Tool, ToolContext
from sselab.assistant.results import ToolResult, dois_of
from sselab.store.readonly import readonly_query

#: What columns hold, with units; used by ``describe_schema`` for every table that has such a column.
COLUMN_MEANINGS: dict[str, str] = {
    "formula": "chemical formula as written in the source",
    "cation": "conducting cation element, e.g. Mg",
    "valence": "oxidation state of the conducting cation (1 monovalent, 2 divalent)",
    "anion": "dominant anion unit, e.g. BH4",
    "anion_family": "anion family: nido-borane, arachno-borane, closo-borane, closo-carborane, amide, imide, "
    "halide, hydride, alanate, amidoborane, other",
    "neutral_molecule": "neutral molecule in the lattice (NH3, H2O, CH3NH2, en, THF, ...); empty when none",
    "neutral_count": "neutral molecules per formula unit (0 when none)",
    "contains_carbon": "true when an anion or molecule contains carbon",
    "temperature_k": "measurement temperature, K",
    "conductivity_s_per_cm": "ionic conductivity, S/cm",
    "activation_energy_ev": "activation energy Ea, eV",
    "uncertainty_ev": "uncertainty of Ea, eV",
    "method": "how Ea was obtained: experiment, MetaD, CI-NEB, AIMD, MLMD, BVSE, regression",
    "potential": "interatomic potential of a simulation (chgnet, sevenn, DFT, ...)",
    "phase": "phase label (low/high temperature phase, polymorph)",
    "temperature_min_k": "lower end of the temperature window of an Ea, K",
    "temperature_max_k": "upper end of the temperature window of an Ea, K",
    "doi": "DOI of the source publication",
    "citation": "citation text of the source",
    "dataset": "named public dataset the row was imported from",
    "run_folder": "folder of the simulation run that produced the value",
    "note": "free-text note",
    "cif": "crystal structure (CIF text)",
}

_UNIT_SUFFIXES = {"_k": "K", "_ev": "eV", "_s_per_cm": "S/cm", "_ev_per_atom": "eV/atom", "_s": "s"}


def _meaning(column: str) -> str | None:
    if column in COLUMN_MEANINGS:
        return COLUMN_MEANINGS[column]
    for suffix, unit in sorted(_UNIT_SUFFIXES.items(), key=lambda kv: -len(kv[0])):
        if column.endswith(suffix):
            return f"unit: {unit}"
    return None


def _inspection_url(url: str) -> str:
    """A URL for schema inspection that cannot write (SQLite opened ``mode=ro``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return f"sqlite:///file:{parsed.database}?mode=ro&uri=true"
    return url


class DescribeSchemaArgs(BaseModel):
    """Arguments of ``describe_schema``."""

    model_config = ConfigDict(extra="forbid")
    table: str | None = Field(None, description="Only this table (default: all tables).")


def describe_schema(context: ToolContext, args: DescribeSchemaArgs) -> ToolResult:
    """Tables and columns of the store with their types, meanings and units (read-only inspection)."""
    engine = create_engine(_inspection_url(context.store_url))
    try:
        inspector = inspect(engine)
        names = sorted(inspector.get_table_names())
        if args.table is not None:
            if args.table not in names:
                raise LookupError(f"no table {args.table!r}; tables: {', '.join(names)}")
            names = [args.table]
        tables: dict[str, Any] = {}
        rows = []
        for name in names:
            if name == "alembic_version":
                continue
            columns = []
            for col in inspector.get_columns(name):
                meaning = _meaning(col["name"])
                columns.append({"name": col["name"], "type": str(col["type"]), "meaning": meaning})
                rows.append(
                    {"table": name, "column": col["name"], "type": str(col["type"]), "meaning": meaning}
                )
            foreign = [
                f"{','.join(fk['constrained_columns'])} -> "
                f"{fk['referred_table']}.{','.join(fk['referred_columns'])}"
                for fk in inspector.get_foreign_keys(name)
            ]
            tables[name] = {"columns": columns, "foreign_keys": foreign}
    finally:
        engine.dispose()
    summary = (
        f"{len(tables)} tables: {', '.join(tables)}. Free SQL must be one SELECT/WITH statement; "
        "prefer filter_materials for common questions."
    )
    return ToolResult(tool="describe_schema", ok=True, summary=summary, data={"tables": tables}, table=None)


class RunSqlArgs(BaseModel):
    """Arguments of ``run_sql``."""

    model_config = ConfigDict(extra="forbid")
    sql: str = Field(
        ..., description="One read-only SELECT or WITH statement. Select the doi column to cite rows."
    )
    max_rows: int | None = Field(
        None, ge=1, le=100_000, description="Row limit (default: the session limit)."
    )


def run_sql(context: ToolContext, args: RunSqlArgs) -> ToolResult:
    """Run one read-only query on the store; writes, several statements and over-long SQL are refused."""
    max_rows = min(args.max_rows or context.max_rows, context.max_rows)
    result = readonly_query(
        context.store_url,
        args.sql,
        max_rows=max_rows,
        timeout_s=context.timeout_s,
        max_sql_chars=context.max_sql_chars,
    )
    frame = result.rows
    dois = dois_of(frame)
    cut = {
        "rows": f" (truncated at {max_rows} rows)",
        "bytes": " (truncated: the result reached its size cap)",
    }
    summary = f"{len(frame)} rows" + cut.get(result.truncated_by or "", "")
    if "doi" not in frame.columns:
        summary += "; no doi column selected, so the rows' sources are not listed (add doi to cite them)"
    return ToolResult(
        tool="run_sql",
        ok=True,
        summary=summary,
        data={"truncated": bool(result.truncated), "truncated_by": result.truncated_by},
        table=frame,
        dois=dois,
        sql=(result.sql,),
    )


class FilterMaterialsArgs(BaseModel):
    """Arguments of ``filter_materials``: every criterion is optional; given ones must all hold."""

    model_config = ConfigDict(extra="forbid")
    cation: str | None = Field(None, description="Conducting cation element, e.g. 'Mg'.")
    valence: int | None = Field(None, ge=1, le=4, description="Cation valence: 1 monovalent, 2 divalent.")
    anion_family: list[str] | None = Field(
        None, description="Anion families, e.g. ['nido-borane','closo-borane']."
    )
    neutral_molecule_present: bool | None = Field(
        None, description="True: only with neutral molecules; False: none."
    )
    neutral_molecule: str | None = Field(
        None, description="A specific neutral molecule, e.g. 'NH3' (implies present)."
    )
    temperature_min_k: float | None = Field(
        None, gt=0, description="Conductivity points at or above this T, K."
    )
    temperature_max_k: float | None = Field(
        None, gt=0, description="Conductivity points at or below this T, K."
    )
    conductivity_min_s_per_cm: float | None = Field(
        None, gt=0, description="Some point at least this σ, S/cm."
    )
    conductivity_max_s_per_cm: float | None = Field(None, gt=0, description="Points at most this σ, S/cm.")
    ea_min_ev: float | None = Field(None, description="Some Ea at least this, eV.")
    ea_max_ev: float | None = Field(None, description="Some Ea at most this, eV.")
    ea_method: str = Field("experiment", description="Method of the Ea values used (default experiment).")
    dataset: str | None = Field(None, description="Only rows of this dataset, e.g. 'wang2025-ea'.")
    max_rows: int = Field(200, ge=1, le=10_000, description="At most this many materials.")


def _categorical_mask(frame: pd.DataFrame, args: FilterMaterialsArgs) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    if args.cation is not None:
        mask &= frame["cation"].astype("string").str.lower() == args.cation.lower()
    if args.valence is not None:
        mask &= pd.to_numeric(frame["valence"], errors="coerce") == args.valence
    if args.anion_family:
        wanted = {f.lower() for f in args.anion_family}
        mask &= frame["anion_family"].astype("string").str.lower().isin(wanted).fillna(False)
    count = pd.to_numeric(frame["neutral_count"], errors="coerce").fillna(0.0)
    has_molecule = (count > 0) | frame["neutral_molecule"].fillna("").astype(str).str.len().gt(0)
    if args.neutral_molecule is not None:
        names = frame["neutral_molecule"].fillna("").astype(str).str.lower()
        mask &= names.str.split(r"[,;+ ]+").apply(lambda parts: args.neutral_molecule.lower() in parts)  # type: ignore[union-attr]
    elif args.neutral_molecule_present is not None:
        mask &= has_molecule if args.neutral_molecule_present else ~has_molecule
    if args.dataset is not None:
        mask &= frame["dataset"] == args.dataset
    return mask.fillna(False).astype(bool)


def filter_materials(context: ToolContext, args: FilterMaterialsArgs) -> ToolResult:
    """Materials matching structured criteria, one row each, with their σ(T) and Ea evidence and DOIs."""
    store = context.store
    conductivity = store.conductivity_frame()
    activation = store.activation_energy_frame()
    activation = activation[activation["method"].astype(str).str.lower() == args.ea_method.lower()]
    conductivity = conductivity[_categorical_mask(conductivity, args)]
    activation = activation[_categorical_mask(activation, args)]

    sigma_criteria = any(
        v is not None
        for v in (
            args.temperature_min_k,
            args.temperature_max_k,
            args.conductivity_min_s_per_cm,
            args.conductivity_max_s_per_cm,
        )
    )
    ea_criteria = args.ea_min_ev is not None or args.ea_max_ev is not None
    window = conductivity
    if args.temperature_min_k is not None:
        window = window[window["temperature_k"] >= args.temperature_min_k]
    if args.temperature_max_k is not None:
        window = window[window["temperature_k"] <= args.temperature_max_k]
    if args.conductivity_max_s_per_cm is not None:
        too_high = window.loc[window["conductivity_s_per_cm"] > args.conductivity_max_s_per_cm, "material_id"]
        window = window[~window["material_id"].isin(set(too_high))]
    if args.conductivity_min_s_per_cm is not None:
        window = window[window["conductivity_s_per_cm"] >= args.conductivity_min_s_per_cm]
    ea_window = activation
    if args.ea_min_ev is not None:
        ea_window = ea_window[ea_window["activation_energy_ev"] >= args.ea_min_ev]
    if args.ea_max_ev is not None:
        ea_window = ea_window[ea_window["activation_energy_ev"] <= args.ea_max_ev]

    ids = set(conductivity["material_id"]) | set(activation["material_id"])
    if sigma_criteria:
        ids &= set(window["material_id"])
    if ea_criteria:
        ids &= set(ea_window["material_id"])
    sigma_used = window[window["material_id"].isin(ids)]
    ea_used = ea_window if ea_criteria else activation
    ea_used = ea_used[ea_used["material_id"].isin(ids)]

    table = _material_table(sigma_used, ea_used)
    total = len(table)
    table = table.head(args.max_rows)
    used = pd.concat([sigma_used[["material_id", "doi"]], ea_used[["material_id", "doi"]]])
    used = used[used["material_id"].isin(set(table["material_id"]))]
    summary = f"{total} materials match" + (
        f" (first {args.max_rows} listed)" if total > args.max_rows else ""
    )
    summary += f"; {len(sigma_used)} conductivity points and {len(ea_used)} Ea values ({args.ea_method}) used"
    criteria = args.model_dump(exclude_none=True)
    return ToolResult(
        tool="filter_materials",
        ok=True,
        summary=summary,
        data={"n_materials": total, "criteria": criteria},
        table=table,
        dois=dois_of(used),
    )


def _material_table(sigma: pd.DataFrame, ea: pd.DataFrame) -> pd.DataFrame:
    """One row per material: identity, σ evidence (max σ and its T, n points) and Ea evidence, DOIs."""
    identity_cols = [
        "material_id",
        "formula",
        "cation",
        "valence",
        "anion_family",
        "neutral_molecule",
        "neutral_count",
    ]
    identity = pd.concat([sigma[identity_cols], ea[identity_cols]]).drop_duplicates("material_id")
    out = identity.set_index("material_id")
    if len(sigma):
        best = sigma.loc[sigma.groupby("material_id")["conductivity_s_per_cm"].idxmax()].set_index(
            "material_id"
        )
        out["max_conductivity_s_per_cm"] = best["conductivity_s_per_cm"]
        out["temperature_at_max_k"] = best["temperature_k"]
        out["n_conductivity_points"] = sigma.groupby("material_id").size()
    else:
        out["max_conductivity_s_per_cm"] = float("nan")
        out["temperature_at_max_k"] = float("nan")
        out["n_conductivity_points"] = 0
    if len(ea):
        grouped = ea.groupby("material_id")["activation_energy_ev"]
        out["median_ea_ev"] = grouped.median()
        out["n_ea_values"] = grouped.size()
    else:
        out["median_ea_ev"] = float("nan")
        out["n_ea_values"] = 0
    out["n_conductivity_points"] = out["n_conductivity_points"].fillna(0).astype(int)
    out["n_ea_values"] = out["n_ea_values"].fillna(0).astype(int)
    both = pd.concat([sigma[["material_id", "doi"]], ea[["material_id", "doi"]]]).dropna()
    out["dois"] = both.groupby("material_id")["doi"].apply(lambda s: "; ".join(sorted(set(map(str, s)))))
    out = out.reset_index().sort_values(["valence", "formula"], na_position="last", kind="stable")
    return out.reset_index(drop=True)


TOOLS = (
    Tool(
        "describe_schema",
        "List the store's tables and columns with types, meanings and units. Call before writing SQL.",
        DescribeSchemaArgs,
        describe_schema,
    ),
    Tool(
        "run_sql",
        "Run ONE read-only SQL query (SELECT or WITH) on the store with row and time limits. Writes, PRAGMA, "
        "ATTACH and several statements are refused. Include the doi column to cite sources.",
        RunSqlArgs,
        run_sql,
    ),
    Tool(
        "filter_materials",
        "Find materials by cation, valence, anion family, neutral molecule (present or by name), temperature "
        "window (K), conductivity range (S/cm) and Ea range (eV); one row per material with max σ, median Ea "
        "and DOIs. Prefer this to free SQL.",
        FilterMaterialsArgs,
        filter_materials,
    ),
)
