"""Imported rows get a ``natural_key`` (row-level idempotence of re-imports), indexed with their dataset.

Revision ID: 0005_rel
Revises: 0004_arch
Create Date: 2026-11-27 09:00:00

Rows stored before this revision keep a NULL key: they are never matched by a re-import (a re-import of an
edited file into such a store adds its rows once more; re-create the store to get keys for every row).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005_rel"
down_revision: str | Sequence[str] | None = "0004_arch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("conductivity_measurements", "activation_energies", "structures")
COMMENT = "sha256 of the row's natural key (sselab.store.keys); NULL for rows not imported"


def upgrade() -> None:
    """Add ``natural_key`` (nullable) and an index on (dataset, natural_key) to the three row tables."""
    for table in TABLES:
        op.add_column(table, sa.Column("natural_key", sa.String(64), nullable=True, comment=COMMENT))
        op.create_index(f"ix_{table}_natural_key", table, ["dataset", "natural_key"])


def downgrade() -> None:
    """Drop the index and the column (rows kept)."""
    for table in TABLES:
        op.drop_index(f"ix_{table}_natural_key", table_name=table)
        op.drop_column(table, "natural_key")
