"""Initial schema: all tables of the sselab store.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-25 20:33:00.973409

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001_initial"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(length=100), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
        sa.UniqueConstraint("dataset", "file_sha256", name=op.f("uq_imports_dataset")),
    )
    op.create_table(
        "materials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("formula", sa.String(length=255), nullable=False),
        sa.Column("dataset", sa.String(length=100), nullable=True),
        sa.Column(
            "composition", sa.JSON(), nullable=True, comment="element amounts of the conducting compound"
        ),
        sa.Column("reduced_formula", sa.String(length=255), nullable=True),
        sa.Column("cation", sa.String(length=8), nullable=True),
        sa.Column("valence", sa.Integer(), nullable=True),
        sa.Column("anion", sa.String(length=64), nullable=True, comment="dominant anion"),
        sa.Column("anion_family", sa.String(length=64), nullable=True),
        sa.Column(
            "neutral_molecule", sa.String(length=64), nullable=True, comment="dominant neutral molecule"
        ),
        sa.Column("neutral_count", sa.Float(), nullable=True, comment="sum of neutral-molecule counts"),
        sa.Column("contains_carbon", sa.Boolean(), nullable=True),
        sa.Column("additive", sa.String(length=64), nullable=True),
        sa.Column("phase_label", sa.String(length=32), nullable=True),
        sa.Column("family_label", sa.String(length=100), nullable=True),
        sa.Column("parsed", sa.JSON(), nullable=True, comment="ParsedFormula.as_dict()"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_materials")),
        sa.UniqueConstraint("formula", "dataset", name=op.f("uq_materials_formula")),
    )
    op.create_index(op.f("ix_materials_cation"), "materials", ["cation"], unique=False)
    op.create_index(op.f("ix_materials_formula"), "materials", ["formula"], unique=False)

    op.create_table(
        "model_fits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_fits")),
        sa.UniqueConstraint("name", name=op.f("uq_model_fits_name")),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("folder", sa.String(length=1000), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_kind"), "runs", ["kind"], unique=False)

    op.create_table(
        "search_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("composition", sa.String(length=255), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_runs")),
        sa.UniqueConstraint("name", name=op.f("uq_search_runs_name")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doi", sa.String(length=255), nullable=True),
        sa.Column("citation", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("doi", name=op.f("uq_sources_doi")),
    )
    op.create_table(
        "stage_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=100), nullable=False),
        sa.Column("input_hash", sa.String(length=128), nullable=False),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("provenance", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_results")),
        sa.UniqueConstraint("stage", "input_hash", name=op.f("uq_stage_results_stage")),
    )
    op.create_table(
        "activation_energies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.Column("activation_energy_ev", sa.Float(), nullable=False),
        sa.Column("uncertainty_ev", sa.Float(), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("potential", sa.String(length=100), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=True),
        sa.Column("phase", sa.String(length=64), nullable=True),
        sa.Column("temperature_min_k", sa.Float(), nullable=True),
        sa.Column("temperature_max_k", sa.Float(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("run_folder", sa.String(length=1000), nullable=True),
        sa.Column("dataset", sa.String(length=100), nullable=True),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("flag", sa.Text(), nullable=True, comment="why a user flagged/overrode this row"),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_activation_energies_import_id_imports")
        ),
        sa.ForeignKeyConstraint(
            ["material_id"], ["materials.id"], name=op.f("fk_activation_energies_material_id_materials")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_activation_energies_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_energies")),
    )
    op.create_index(op.f("ix_activation_energies_dataset"), "activation_energies", ["dataset"], unique=False)
    op.create_index(
        op.f("ix_activation_energies_material_id"), "activation_energies", ["material_id"], unique=False
    )
    op.create_index(op.f("ix_activation_energies_method"), "activation_energies", ["method"], unique=False)

    op.create_table(
        "conductivity_measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.Column("temperature_k", sa.Float(), nullable=False),
        sa.Column("conductivity_s_per_cm", sa.Float(), nullable=False),
        sa.Column("phase", sa.String(length=64), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("dataset", sa.String(length=100), nullable=True),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_conductivity_measurements_import_id_imports")
        ),
        sa.ForeignKeyConstraint(
            ["material_id"], ["materials.id"], name=op.f("fk_conductivity_measurements_material_id_materials")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_conductivity_measurements_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conductivity_measurements")),
    )
    op.create_index(
        op.f("ix_conductivity_measurements_dataset"), "conductivity_measurements", ["dataset"], unique=False
    )
    op.create_index(
        op.f("ix_conductivity_measurements_material_id"),
        "conductivity_measurements",
        ["material_id"],
        unique=False,
    )

    op.create_table(
        "search_individuals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("cif", sa.Text(), nullable=False),
        sa.Column("energy_ev_per_atom", sa.Float(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("parents", sa.JSON(), nullable=True),
        sa.Column("operator", sa.String(length=100), nullable=True),
        sa.Column("relaxed", sa.Boolean(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["search_runs.id"], name=op.f("fk_search_individuals_run_id_search_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_individuals")),
        sa.UniqueConstraint("run_id", "key", name=op.f("uq_search_individuals_run_id")),
    )
    op.create_index(op.f("ix_search_individuals_run_id"), "search_individuals", ["run_id"], unique=False)

    op.create_table(
        "structures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.Column("cif", sa.Text(), nullable=False),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("dataset", sa.String(length=100), nullable=True),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"], name=op.f("fk_structures_import_id_imports")),
        sa.ForeignKeyConstraint(
            ["material_id"], ["materials.id"], name=op.f("fk_structures_material_id_materials")
        ),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_structures_source_id_sources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_structures")),
    )
    op.create_index(op.f("ix_structures_material_id"), "structures", ["material_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_structures_material_id"), table_name="structures")

    op.drop_table("structures")
    op.drop_index(op.f("ix_search_individuals_run_id"), table_name="search_individuals")

    op.drop_table("search_individuals")
    op.drop_index(op.f("ix_conductivity_measurements_material_id"), table_name="conductivity_measurements")
    op.drop_index(op.f("ix_conductivity_measurements_dataset"), table_name="conductivity_measurements")

    op.drop_table("conductivity_measurements")
    op.drop_index(op.f("ix_activation_energies_method"), table_name="activation_energies")
    op.drop_index(op.f("ix_activation_energies_material_id"), table_name="activation_energies")
    op.drop_index(op.f("ix_activation_energies_dataset"), table_name="activation_energies")

    op.drop_table("activation_energies")
    op.drop_table("stage_results")
    op.drop_table("sources")
    op.drop_table("search_runs")
    op.drop_index(op.f("ix_runs_kind"), table_name="runs")

    op.drop_table("runs")
    op.drop_table("model_fits")
    op.drop_index(op.f("ix_materials_formula"), table_name="materials")
    op.drop_index(op.f("ix_materials_cation"), table_name="materials")

    op.drop_table("materials")
    op.drop_table("imports")
