"""air-raid alerts: the current state, each alert's period and the appointments it affected

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-07 14:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0020"
down_revision = "0018"
branch_labels = None
depends_on = None

_AT = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alert_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("since", _AT, nullable=True),
        sa.Column("checked_at", _AT, nullable=False),
        sa.Column("source_ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_status")),
    )
    op.create_table(
        "alert_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", _AT, nullable=False),
        sa.Column("ended_at", _AT, nullable=True),
        sa.Column("affected", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_periods")),
    )
    op.create_index(op.f("ix_alert_periods_started_at"), "alert_periods", ["started_at"])
    op.create_table(
        "alert_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("told_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["period_id"], ["alert_periods.id"], name=op.f("fk_alert_bookings_period_id_alert_periods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_bookings")),
        sa.UniqueConstraint("period_id", "booking_id", name="uq_alert_bookings_period_booking"),
    )


def downgrade() -> None:
    op.drop_table("alert_bookings")
    op.drop_index(op.f("ix_alert_periods_started_at"), table_name="alert_periods")
    op.drop_table("alert_periods")
    op.drop_table("alert_status")
