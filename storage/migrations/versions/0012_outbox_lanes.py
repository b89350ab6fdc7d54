"""floods cannot stall the queue: one ticket that is not closed per person (a verified phone), whatever the
channel or session; the operator group's one queue message

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ACTIVE = "status != 'closed'"


def upgrade() -> None:
    op.create_table(
        "operator_boards",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("shown", sa.String(length=64), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_operator_boards")),
    )
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
    op.drop_table("operator_boards")
