"""real people: verified phones, per-person quotas and priority blocks, per-address records, SMS codes, the staff's
audit log; bookings and tickets keep the person they count for

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = storage.models.UTCDateTime(timezone=True)
_ACTIVE = "status IN ('booked', 'requested')"
_REQUEST = "kind IN ('callback', 'visit') AND status IN ('booked', 'requested')"


def upgrade() -> None:
    op.create_table(
        "verified_phones",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(length=32), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("verified_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_verified_phones_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_verified_phones")),
    )
    op.create_index(op.f("ix_verified_phones_person"), "verified_phones", ["person"], unique=False)
    op.create_table(
        "person_quota",
        sa.Column("person", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("person", "period", name=op.f("pk_person_quota")),
    )
    op.create_table(
        "priority_blocks",
        sa.Column("person", sa.String(length=32), nullable=False),
        sa.Column("until", _AT, nullable=False),
        sa.Column("since", _AT, nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("person", name=op.f("pk_priority_blocks")),
    )
    op.create_table(
        "client_actions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("client", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_actions")),
    )
    op.create_index(op.f("ix_client_actions_at"), "client_actions", ["at"], unique=False)
    op.create_index(
        "ix_client_actions_client_action_at", "client_actions", ["client", "action", "at"], unique=False
    )
    op.create_table(
        "phone_codes",
        sa.Column("id", _ID, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(length=32), nullable=False),
        sa.Column("client", sa.String(length=32), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("sent_at", _AT, nullable=False),
        sa.Column("expires_at", _AT, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_phone_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_codes")),
    )
    op.create_index(op.f("ix_phone_codes_user_id"), "phone_codes", ["user_id"], unique=False)
    op.create_index(op.f("ix_phone_codes_person"), "phone_codes", ["person"], unique=False)
    op.create_index(op.f("ix_phone_codes_sent_at"), "phone_codes", ["sent_at"], unique=False)
    op.create_table(
        "audit_log",
        sa.Column("id", _ID, nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("before", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("after", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.add_column("bookings", sa.Column("person", sa.String(length=32), nullable=True))
    op.create_index(
        "uq_bookings_person_service",
        "bookings",
        ["person", "service"],
        unique=True,
        sqlite_where=sa.text(_ACTIVE),
        postgresql_where=sa.text(_ACTIVE),
    )
    op.create_index(
        "uq_bookings_person_request",
        "bookings",
        ["person", "kind"],
        unique=True,
        sqlite_where=sa.text(_REQUEST),
        postgresql_where=sa.text(_REQUEST),
    )
    op.add_column("tickets", sa.Column("person", sa.String(length=32), nullable=True))
    op.create_index(op.f("ix_tickets_person"), "tickets", ["person"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_tickets_person"), table_name="tickets")
    op.execute("ALTER TABLE tickets DROP COLUMN person")
    op.drop_index("uq_bookings_person_request", table_name="bookings")
    op.drop_index("uq_bookings_person_service", table_name="bookings")
    op.execute("ALTER TABLE bookings DROP COLUMN person")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    for index in ("ix_phone_codes_sent_at", "ix_phone_codes_person", "ix_phone_codes_user_id"):
        op.drop_index(op.f(index), table_name="phone_codes")
    op.drop_table("phone_codes")
    op.drop_index("ix_client_actions_client_action_at", table_name="client_actions")
    op.drop_index(op.f("ix_client_actions_at"), table_name="client_actions")
    op.drop_table("client_actions")
    op.drop_table("priority_blocks")
    op.drop_table("person_quota")
    op.drop_index(op.f("ix_verified_phones_person"), table_name="verified_phones")
    op.drop_table("verified_phones")
