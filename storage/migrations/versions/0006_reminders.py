"""reminders: one row per message promised to a citizen at a time

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("booking_code", sa.String(length=12), nullable=True),
        sa.Column("service", sa.String(length=40), nullable=True),
        sa.Column("situation", sa.String(length=40), nullable=True),
        sa.Column("deadline", sa.String(length=40), nullable=True),
        sa.Column("target_day", sa.Date(), nullable=True),
        sa.Column("text_key", sa.String(length=24), nullable=True),
        sa.Column("lease_until", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reminders_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        # The dispatcher's query: pending rows due by now (and expired leases), soonest first.
        batch_op.create_index("ix_reminders_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index("ix_reminders_user_id", ["user_id"], unique=False)
        batch_op.create_index("ix_reminders_booking_code", ["booking_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_reminders_booking_code")
        batch_op.drop_index("ix_reminders_user_id")
        batch_op.drop_index("ix_reminders_status_due")
    op.drop_table("reminders")
