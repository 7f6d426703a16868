"""Imported rows keep the source's own identifier of the row (``entry``), so an export re-imports exactly.

Revision ID: 0006_tables
Revises: 0005_rel
Create Date: 2026-11-28 09:00:00

``entry`` is the id a source gives its row (an OBELiX or Liverpool ``ID``, a table's reference number, a
user table's ``entry`` column). It is already part of the row's natural key (``sselab.store.keys``); storing
it lets ``sselab data export`` write it, so that two rows that differ only by it (Laskowski et al. list some
compositions twice with one value) survive an export -> import round trip. Rows stored before this revision
keep a NULL entry.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006_tables"
down_revision: str | Sequence[str] | None = "0005_rel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("conductivity_measurements", "activation_energies", "structures")
COMMENT = "the source's own identifier of the row (part of the natural key)"


def upgrade() -> None:
    """Add ``entry`` (nullable text) to the three row tables."""
    for table in TABLES:
        op.add_column(table, sa.Column("entry", sa.String(64), nullable=True, comment=COMMENT))


def downgrade() -> None:
    """Drop the column (rows kept)."""
    for table in TABLES:
        op.drop_column(table, "entry")
