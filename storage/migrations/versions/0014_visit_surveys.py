"""after a visit: the citizen's score (1–5) and comment, one row per visit

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_AT = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "visit_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("office", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=128), nullable=False),
        sa.Column("visit_day", sa.Date(), nullable=False),
        sa.Column("asked_at", _AT, nullable=True),
        sa.Column("answered_at", _AT, nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_surveys")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_visit_surveys_booking_id")),
    )
    op.create_index(op.f("ix_visit_surveys_visit_day"), "visit_surveys", ["visit_day"])


def downgrade() -> None:
    op.drop_index(op.f("ix_visit_surveys_visit_day"), table_name="visit_surveys")
    op.drop_table("visit_surveys")
