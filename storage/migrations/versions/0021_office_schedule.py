"""office schedule: each office's booking configuration (hours per regime, breaks, window groups, slot length,
priority share) as staff set it in the console, in booking.yaml's shape

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-07 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("office_states") as batch:
        batch.add_column(sa.Column("schedule", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("office_states") as batch:
        batch.drop_column("schedule")
