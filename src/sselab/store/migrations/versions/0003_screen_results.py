"""Screening results get their own tables: ``screening_runs`` and ``screening_predictions``.

Revision ID: 0003_screen
Revises: 0002_material_metadata
Create Date: 2026-12-01 08:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003_screen"
down_revision: str | Sequence[str] | None = "0002_material_metadata"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the two screening tables (additive: nothing existing changes)."""
    op.create_table(
        "screening_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "source", sa.String(length=200), nullable=True, comment="'sselab screen' or 'dataset <name>'"
        ),
        sa.Column(
            "criterion", sa.String(length=32), nullable=False, comment="ranking: point, upper or published"
        ),
        sa.Column("confidence", sa.Float(), nullable=True, comment="coverage of the prediction intervals"),
        sa.Column("space", sa.JSON(), nullable=True),
        sa.Column("models", sa.JSON(), nullable=True, comment="model payloads by route, no training rows"),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("sselab_version", sa.String(length=32), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_screening_runs_import_id_imports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_runs")),
        sa.UniqueConstraint("name", name=op.f("uq_screening_runs_name")),
    )
    op.create_table(
        "screening_predictions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("candidate_formula", sa.String(length=255), nullable=False),
        sa.Column("route", sa.String(length=64), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=True),
        sa.Column("model_kind", sa.String(length=16), nullable=False, comment="fitted, published or given"),
        sa.Column(
            "descriptor", sa.String(length=64), nullable=True, comment="name of x (one-descriptor models)"
        ),
        sa.Column("x", sa.Float(), nullable=True, comment="descriptor value (one-descriptor models)"),
        sa.Column("activation_energy_ev", sa.Float(), nullable=False),
        sa.Column("ea_lower_ev", sa.Float(), nullable=True),
        sa.Column("ea_upper_ev", sa.Float(), nullable=True),
        sa.Column("extrapolated", sa.Boolean(), nullable=True),
        sa.Column("flags", sa.String(length=200), nullable=True, comment="';'-joined: ea<=0, interval<0 ..."),
        sa.Column("rank", sa.Integer(), nullable=True, comment="1 = best; null = not ranked (flagged)"),
        sa.Column("criterion", sa.String(length=32), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=True, comment="row of the source file, if imported"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["screening_runs.id"],
            name=op.f("fk_screening_predictions_run_id_screening_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_predictions")),
    )
    op.create_index(
        op.f("ix_screening_predictions_run_id"), "screening_predictions", ["run_id"], unique=False
    )
    op.create_index(
        op.f("ix_screening_predictions_candidate_formula"),
        "screening_predictions",
        ["candidate_formula"],
        unique=False,
    )


def downgrade() -> None:
    """Drop the screening tables."""
    op.drop_index(op.f("ix_screening_predictions_candidate_formula"), table_name="screening_predictions")
    op.drop_index(op.f("ix_screening_predictions_run_id"), table_name="screening_predictions")
    op.drop_table("screening_predictions")
    op.drop_table("screening_runs")
