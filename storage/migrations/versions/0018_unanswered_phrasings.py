"""what the Center did with the unanswered questions: phrasings attached to a card or situation (with their
author and time), and the questions dismissed from the console's page

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-07 14:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0018"
down_revision = "0015"
branch_labels = None
depends_on = None

_AT = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "attached_phrasings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("target", sa.String(length=160), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attached_phrasings")),
        sa.UniqueConstraint("text", name=op.f("uq_attached_phrasings_text")),
    )
    op.create_table(
        "dismissed_questions",
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("text", name=op.f("pk_dismissed_questions")),
    )


def downgrade() -> None:
    op.drop_table("dismissed_questions")
    op.drop_table("attached_phrasings")
