"""the conversation's focus (follow-ups about the card in focus), and the questions the bot could not answer

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 07:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("dialog_states", sa.Column("focus", sa.String(length=80), nullable=True))
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("context", sa.String(length=120), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unanswered_questions")),
    )
    op.create_index(
        op.f("ix_unanswered_questions_created_at"), "unanswered_questions", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_unanswered_questions_created_at"), table_name="unanswered_questions")
    op.drop_table("unanswered_questions")
    # A plain ALTER TABLE (SQLite 3.35+): a batch copy would drop dialog_states and cascade nothing, but keep the
    # downgrade as simple as the upgrade.
    op.execute("ALTER TABLE dialog_states DROP COLUMN focus")
