"""floods cannot stall the queue: one ticket that is not closed per person (a verified phone), whatever the
channel or session

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ACTIVE = "status != 'closed'"


def upgrade() -> None:
    op.create_index(
        "uq_tickets_active_person",
        "tickets",
        ["person"],
        unique=True,
        sqlite_where=sa.text(_ACTIVE),
        postgresql_where=sa.text(_ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_tickets_active_person", table_name="tickets")
