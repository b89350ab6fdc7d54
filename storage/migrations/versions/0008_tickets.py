"""tickets: citizens handed to hotline operators; outbox rows carry an attachment and their ticket

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("priority_group", sa.String(length=24), nullable=True),
        sa.Column("subject", sa.String(length=48), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("topic_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("taken_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_activity_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("offered_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("operator_id", sa.String(length=24), nullable=True),
        sa.Column("operator_name", sa.String(length=64), nullable=True),
        sa.Column("close_reason", sa.String(length=12), nullable=True),
        sa.Column("citizen_lines", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_tickets_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    op.create_index("ix_tickets_status_created", "tickets", ["status", "created_at"], unique=False)
    op.create_index("ix_tickets_topic_id", "tickets", ["topic_id"], unique=False)
    op.create_index("ix_tickets_user_id", "tickets", ["user_id"], unique=False)
    op.create_index(
        "uq_tickets_active_user",
        "tickets",
        ["user_id"],
        unique=True,
        sqlite_where=sa.text("status != 'closed'"),
        postgresql_where=sa.text("status != 'closed'"),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("media", sa.JSON(none_as_null=True), nullable=True))
        batch.add_column(sa.Column("ticket_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_outbox_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index(batch.f("ix_outbox_ticket_id"))
        batch.drop_column("ticket_id")
        batch.drop_column("media")
    op.drop_index("uq_tickets_active_user", table_name="tickets")
    op.drop_index("ix_tickets_user_id", table_name="tickets")
    op.drop_index("ix_tickets_topic_id", table_name="tickets")
    op.drop_index("ix_tickets_status_created", table_name="tickets")
    op.drop_table("tickets")
