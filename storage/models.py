"""SQLAlchemy 2 models. Dialect-neutral: SQLite by default, PostgreSQL with only DATABASE_URL changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from storage.clock import system_clock


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware datetimes in UTC on every dialect (SQLite forgets the zone; this puts it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use timezone-aware UTC datetimes")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    """A citizen on one channel (Telegram, Viber, web chat)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="uk")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=system_clock)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=system_clock)
    active: Mapped[bool] = mapped_column(default=True)  # False once they block the bot or unsubscribe
    veteran: Mapped[bool | None] = mapped_column(default=None)  # self-declared; gives priority booking later
    consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)  # personal data consent


class DialogState(Base):
    """Where a citizen is in a conversation; survives restarts."""

    __tablename__ = "dialog_states"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    scenario: Mapped[str | None] = mapped_column(String(48), default=None)
    step: Mapped[str | None] = mapped_column(String(48), default=None)
    answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    history: Mapped[list[str]] = mapped_column(JSON, default=list)  # earlier steps, for «Назад»
    misses: Mapped[int] = mapped_column(Integer, default=0)  # free-text questions search could not answer
    # What the conversation is about now, for follow-ups that name nothing («а скільки коштує?»): "<kind>:<id>"
    # with kind service, situation, booking or reminder (dialogs/focus.py); None when nothing is in focus.
    focus: Mapped[str | None] = mapped_column(String(80), default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=system_clock)


class MessageLog(Base):
    """What was said, for the operator's context; purged after the retention period."""

    __tablename__ = "message_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # "in" from the citizen, "out" from the bot
    text: Mapped[str] = mapped_column(Text)
    # The button rows of a bot line, [[{"text", "payload"} | {"text", "url"}]] (`repositories.button_rows`), so a
    # conversation can be shown again (the web chat's history); NULL for citizen lines and replies without buttons.
    buttons: Mapped[list[list[dict[str, str]]] | None] = mapped_column(JSON(none_as_null=True), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=system_clock, index=True)


class ProcessedUpdate(Base):
    """A delivery already handled (Telegram update_id, Viber message_token): a redelivery is ignored."""

    __tablename__ = "processed_updates"
    __table_args__ = (UniqueConstraint("channel", "key"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=system_clock, index=True)


class Delivery(Base):
    """What became of a message the bot sent (Viber reports delivered / seen / failed)."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("channel", "message_token"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_token: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # sent, delivered, seen, failed
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=system_clock, index=True)


class UnansweredQuestion(Base):
    """A typed message the bot could not answer, or a typed answer a step could not read (a re-ask), kept for
    the Center to see and fill the gaps. Masked as the message log is (dialogs.redact) and tied to no citizen."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # "miss": not understood; "reask": a step could not read it
    text: Mapped[str] = mapped_column(Text)  # masked, at most dialogs.reading.MAX_TEXT characters
    channel: Mapped[str] = mapped_column(String(16))
    context: Mapped[str | None] = mapped_column(String(120), default=None)  # the step or focus it was said at
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=system_clock, index=True)
