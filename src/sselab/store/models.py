"""SQLAlchemy 2 ORM models of the store (one class per table).

The schema is created and upgraded by the Alembic migrations in ``sselab/store/migrations``; a test checks
that the migrated schema equals this metadata. Units are in the column names (``temperature_k`` in K,
``conductivity_s_per_cm`` in S/cm, ``activation_energy_ev`` in eV).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    """The current time in UTC (column default)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with constraint naming rules (stable names for migrations)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: DateTime(timezone=True),
    }


class Source(Base):
    """A literature source (DOI unique; citation text)."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    doi: Mapped[str | None] = mapped_column(String(255), unique=True)
    citation: Mapped[str | None] = mapped_column(Text)


class Material(Base):
    """A material as written in a dataset, with its parsed chemistry (null when unparsed)."""

    __tablename__ = "materials"
    __table_args__ = (UniqueConstraint("formula", "dataset"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    formula: Mapped[str] = mapped_column(String(255), index=True)
    dataset: Mapped[str | None] = mapped_column(String(100))
    composition: Mapped[dict[str, Any] | None] = mapped_column(
        comment="element amounts of the conducting compound"
    )
    reduced_formula: Mapped[str | None] = mapped_column(String(255))
    cation: Mapped[str | None] = mapped_column(String(8), index=True)
    valence: Mapped[int | None] = mapped_column(Integer)
    anion: Mapped[str | None] = mapped_column(String(64), comment="dominant anion")
    anion_family: Mapped[str | None] = mapped_column(String(64))
    neutral_molecule: Mapped[str | None] = mapped_column(String(64), comment="dominant neutral molecule")
    neutral_count: Mapped[float | None] = mapped_column(Float, comment="sum of neutral-molecule counts")
    contains_carbon: Mapped[bool | None]
    additive: Mapped[str | None] = mapped_column(String(64))
    phase_label: Mapped[str | None] = mapped_column(String(32))
    family_label: Mapped[str | None] = mapped_column(String(100))
    parsed: Mapped[dict[str, Any] | None] = mapped_column(comment="ParsedFormula.as_dict()")
    # ``metadata`` is taken by the declarative base, hence the attribute name; None is stored as SQL NULL
    metadata_: Mapped[dict[str, Any] | None] = mapped_column(
        "metadata", JSON(none_as_null=True), comment="source facts (space group, lattice ...)"
    )


class Import(Base):
    """One imported file: unique per (dataset, file_sha256), so re-importing adds nothing."""

    __tablename__ = "imports"
    __table_args__ = (UniqueConstraint("dataset", "file_sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utc_now)
    counts: Mapped[dict[str, Any] | None]


class ConductivityMeasurement(Base):
    """σ (S/cm) of a material at temperature T (K)."""

    __tablename__ = "conductivity_measurements"
    __table_args__ = (Index("ix_conductivity_measurements_natural_key", "dataset", "natural_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"), index=True)
    temperature_k: Mapped[float] = mapped_column(Float)
    conductivity_s_per_cm: Mapped[float] = mapped_column(Float)
    phase: Mapped[str | None] = mapped_column(String(64))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    dataset: Mapped[str | None] = mapped_column(String(100), index=True)
    row_number: Mapped[int | None] = mapped_column(Integer)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    natural_key: Mapped[str | None] = mapped_column(
        String(64), comment="sha256 of the row's natural key (sselab.store.keys); NULL for rows not imported"
    )
    entry: Mapped[str | None] = mapped_column(
        String(64), comment="the source's own identifier of the row (part of the natural key)"
    )


class ActivationEnergy(Base):
    """An activation energy (eV) by a method (experiment, MetaD, CI-NEB ...); ``flag`` marks a doubted row."""

    __tablename__ = "activation_energies"
    __table_args__ = (Index("ix_activation_energies_natural_key", "dataset", "natural_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"), index=True)
    activation_energy_ev: Mapped[float] = mapped_column(Float)
    uncertainty_ev: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(32), index=True)
    potential: Mapped[str | None] = mapped_column(String(100))
    parameters: Mapped[dict[str, Any] | None]
    phase: Mapped[str | None] = mapped_column(String(64))
    temperature_min_k: Mapped[float | None] = mapped_column(Float)
    temperature_max_k: Mapped[float | None] = mapped_column(Float)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    run_folder: Mapped[str | None] = mapped_column(String(1000))
    dataset: Mapped[str | None] = mapped_column(String(100), index=True)
    row_number: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    flag: Mapped[str | None] = mapped_column(Text, comment="why a user flagged/overrode this row")
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    protocol: Mapped[str | None] = mapped_column(
        String(32), comment="how the migration was set up (frenkel, vacancy, composite ...)"
    )
    converged: Mapped[bool | None] = mapped_column(
        Boolean, comment="true/false when a convergence criterion was applied, NULL when none was"
    )
    convergence_reason: Mapped[str | None] = mapped_column(
        Text, comment="why the result is (not) converged, or why it is unknown"
    )
    device: Mapped[str | None] = mapped_column(
        String(16), comment="where the number was computed: cpu or cuda"
    )
    structure_provenance: Mapped[str | None] = mapped_column(
        String(32), comment="experimental, predicted, user or built-in structure"
    )
    natural_key: Mapped[str | None] = mapped_column(
        String(64), comment="sha256 of the row's natural key (sselab.store.keys); NULL for rows not imported"
    )
    entry: Mapped[str | None] = mapped_column(
        String(64), comment="the source's own identifier of the row (part of the natural key)"
    )


class Structure(Base):
    """A crystal structure (CIF text) of a material, with provenance."""

    __tablename__ = "structures"
    __table_args__ = (Index("ix_structures_natural_key", "dataset", "natural_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"), index=True)
    cif: Mapped[str] = mapped_column(Text)
    provenance: Mapped[str] = mapped_column(Text)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    dataset: Mapped[str | None] = mapped_column(String(100))
    row_number: Mapped[int | None] = mapped_column(Integer)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    natural_key: Mapped[str | None] = mapped_column(
        String(64), comment="sha256 of the row's natural key (sselab.store.keys); NULL for rows not imported"
    )
    entry: Mapped[str | None] = mapped_column(
        String(64), comment="the source's own identifier of the row (part of the natural key)"
    )


class ModelFit(Base):
    """A saved fitted model (e.g. ``LinearEaModel``) as a JSON payload, by unique name."""

    __tablename__ = "model_fits"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class Run(Base):
    """A recorded run (simulation, pipeline stage ...) with its folder, parameters and summary."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    folder: Mapped[str] = mapped_column(String(1000))
    parameters: Mapped[dict[str, Any] | None]
    summary: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class SearchRun(Base):
    """A crystal-structure search (its individuals are its checkpoint)."""

    __tablename__ = "search_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    composition: Mapped[str] = mapped_column(String(255))
    parameters: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class SearchIndividual(Base):
    """One candidate structure of a search; ``key`` is unique within its run."""

    __tablename__ = "search_individuals"
    __table_args__ = (UniqueConstraint("run_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("search_runs.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    cif: Mapped[str] = mapped_column(Text)
    energy_ev_per_atom: Mapped[float | None] = mapped_column(Float)
    generation: Mapped[int] = mapped_column(Integer)
    parents: Mapped[list[Any] | None]
    operator: Mapped[str | None] = mapped_column(String(100))
    relaxed: Mapped[bool]
    extra: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class StageResult(Base):
    """Pipeline cache: outputs of a stage for an input hash (unique together)."""

    __tablename__ = "stage_results"
    __table_args__ = (UniqueConstraint("stage", "input_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(100))
    input_hash: Mapped[str] = mapped_column(String(128))
    outputs: Mapped[dict[str, Any]]
    provenance: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class ScreeningRun(Base):
    """A screening of a candidate space (or a published candidate list): its models, criterion and counts."""

    __tablename__ = "screening_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    source: Mapped[str | None] = mapped_column(String(200), comment="'sselab screen' or 'dataset <name>'")
    criterion: Mapped[str] = mapped_column(String(32), comment="ranking: point, upper or published")
    confidence: Mapped[float | None] = mapped_column(Float, comment="coverage of the prediction intervals")
    space: Mapped[dict[str, Any] | None]
    models: Mapped[dict[str, Any] | None] = mapped_column(comment="model payloads by route, no training rows")
    counts: Mapped[dict[str, Any] | None]
    sselab_version: Mapped[str | None] = mapped_column(String(32))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class ScreeningPrediction(Base):
    """One predicted Ea (eV) of a candidate on one route, with its interval, flags and rank."""

    __tablename__ = "screening_predictions"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("screening_runs.id", ondelete="CASCADE"), index=True)
    candidate_formula: Mapped[str] = mapped_column(String(255), index=True)
    route: Mapped[str] = mapped_column(String(64))
    model_name: Mapped[str | None] = mapped_column(String(200))
    model_kind: Mapped[str] = mapped_column(String(16), comment="fitted, published or given")
    descriptor: Mapped[str | None] = mapped_column(String(64), comment="name of x (one-descriptor models)")
    x: Mapped[float | None] = mapped_column(Float, comment="descriptor value (one-descriptor models)")
    activation_energy_ev: Mapped[float] = mapped_column(Float)
    ea_lower_ev: Mapped[float | None] = mapped_column(Float)
    ea_upper_ev: Mapped[float | None] = mapped_column(Float)
    extrapolated: Mapped[bool | None]
    flags: Mapped[str | None] = mapped_column(String(200), comment="';'-joined: ea<=0, interval<0 ...")
    rank: Mapped[int | None] = mapped_column(Integer, comment="1 = best; null = not ranked (flagged)")
    criterion: Mapped[str] = mapped_column(String(32))
    row_number: Mapped[int | None] = mapped_column(Integer, comment="row of the source file, if imported")


TABLES: tuple[str, ...] = tuple(Base.metadata.tables)
"""Names of all store tables (``Store.stats`` counts rows in each)."""
