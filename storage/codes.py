"""One-time codes sent by SMS to verify a web citizen's phone (the conversation: dialogs/verify/).

A code is stored only as a keyed digest (`digest`), never as itself; the number it was sent to waits in the row
until the code is entered right (then it becomes the citizen's `VerifiedPhone`) and goes with the row.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime
from storage.people import KEY_CHARS

OPEN, USED, FAILED, EXPIRED = "open", "used", "failed", "expired"


class PhoneCode(Base):
    """A code sent to a number for one citizen."""

    __tablename__ = "phone_codes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    person: Mapped[str] = mapped_column(String(KEY_CHARS), index=True)  # the number's person: codes a day
    client: Mapped[str | None] = mapped_column(
        String(KEY_CHARS), default=None
    )  # the address it was asked from
    phone: Mapped[str] = mapped_column(String(32))  # personal: the number being verified; goes with the row
    digest: Mapped[str] = mapped_column(String(64))  # a keyed hash of the code
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(12), default=OPEN)
