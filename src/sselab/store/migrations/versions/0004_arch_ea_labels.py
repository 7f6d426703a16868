"""Activation energies say how they were obtained: protocol, converged (and why), device, structure
provenance.

All columns are nullable: existing rows (experiments, earlier simulations) get NULL, i.e. "not recorded".

Revision ID: 0004_arch
Revises: 0003_screen
Create Date: 2026-12-02 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004_arch"
down_revision: str | Sequence[str] | None = "0003_screen"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("protocol", sa.String(32), "how the migration was set up (vacancy, perfect-crystal ...)"),
    ("converged", sa.Boolean(), "true/false when a convergence criterion was applied, NULL when none was"),
    ("convergence_reason", sa.Text(), "why the result is (not) converged, or why it is unknown"),
    ("device", sa.String(16), "where the number was computed: cpu or cuda"),
    ("structure_provenance", sa.String(32), "experimental, predicted, user or built-in structure"),
)


def upgrade() -> None:
    """Add the five nullable columns to ``activation_energies``."""
    with op.batch_alter_table("activation_energies") as batch:
        for name, kind, comment in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True, comment=comment))


def downgrade() -> None:
    """Drop them again (the rows stay)."""
    with op.batch_alter_table("activation_energies") as batch:
        for name, _, _ in reversed(COLUMNS):
            batch.drop_column(name)
