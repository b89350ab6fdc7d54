"""the front desk: walk-ins (served without a booking) and staff's marks on callback and home-visit requests

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_AT = storage.models.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "walk_ins",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("office", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("staff_login", sa.String(length=64), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_walk_ins")),
    )
    op.create_index("ix_walk_ins_office_day", "walk_ins", ["office", "day"])
    op.create_table(
        "request_marks",
        sa.Column("booking_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("visit_day", sa.Date(), nullable=True),
        sa.Column("updated_at", _AT, nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_request_marks_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_request_marks")),
    )


def downgrade() -> None:
    op.drop_table("request_marks")
    op.drop_index("ix_walk_ins_office_day", table_name="walk_ins")
    op.drop_table("walk_ins")
