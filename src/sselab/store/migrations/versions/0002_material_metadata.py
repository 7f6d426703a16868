"""Materials get a ``metadata`` JSON column (facts from the source: space group, lattice parameters ...).

Revision ID: 0002_material_metadata
Revises: 0001_initial
Create Date: 2026-11-25 21:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002_material_metadata"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``materials.metadata`` (nullable JSON; existing materials get NULL)."""
    op.add_column(
        "materials",
        sa.Column(
            "metadata",
            sa.JSON(none_as_null=True),
            nullable=True,
            comment="source facts (space group, lattice ...)",
        ),
    )


def downgrade() -> None:
    """Drop ``materials.metadata`` (SQLite >= 3.35 drops a plain column in place)."""
    op.drop_column("materials", "metadata")
