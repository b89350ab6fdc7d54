"""the «held by an operator» fact moves from users to the handoff's tickets

A citizen is held while a live ticket waits for an operator or any ticket is open (storage.handoff.HOLDING):
the handoff room's own rows say it, so `users.held_by_operator` goes. A held citizen whose active ticket would
not say so (a waiting question; not made by the bot, but possible by hand) gets a live ticket, so nobody held
is let go by the upgrade. The downgrade computes the column again from the tickets.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

HOLDING = "status = 'open' OR (status = 'waiting' AND mode = 'live')"


def upgrade() -> None:
    op.execute(
        "UPDATE tickets SET mode = 'live' WHERE status = 'waiting' AND mode != 'live' AND user_id IN "
        "(SELECT id FROM users WHERE held_by_operator = TRUE)"
    )
    # A plain ALTER TABLE on both databases (SQLite 3.35+): a batch copy of `users` would drop the old table,
    # and with foreign keys on that cascades to every citizen's rows.
    op.execute("ALTER TABLE users DROP COLUMN held_by_operator")


def downgrade() -> None:
    op.add_column(
        "users", sa.Column("held_by_operator", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.execute(
        f"UPDATE users SET held_by_operator = TRUE WHERE id IN (SELECT user_id FROM tickets WHERE {HOLDING})"
    )
