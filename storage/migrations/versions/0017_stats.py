"""statistics: daily counts of what citizens' messages turned out to be and were about (no citizen id)

Revision ID: 0017
Revises: 0020
Create Date: 2026-12-07 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consultation_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "channel", "kind", name=op.f("pk_consultation_days")),
    )
    op.create_table(
        "consultation_topics",
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", "day", name=op.f("pk_consultation_topics")),
    )


    # Covering indexes: a year's bookings, reminders and tickets counted from the index alone.
    op.create_index("ix_bookings_stats", "bookings", ["kind", "office", "status", "priority", "start"])
    op.create_index("ix_reminders_stats", "reminders", ["kind", "status", "due_at"])
    op.create_index("ix_tickets_stats", "tickets", ["created_at", "taken_at", "closed_at", "priority", "rating"])


def downgrade() -> None:
    op.drop_index("ix_tickets_stats", table_name="tickets")
    op.drop_index("ix_reminders_stats", table_name="reminders")
    op.drop_index("ix_bookings_stats", table_name="bookings")
    op.drop_table("consultation_topics")
    op.drop_table("consultation_days")
