"""After a visit: the citizen's score of it (1–5) and an optional comment, asked the morning after staff marked
the booking arrived. One row per visit; the statistics read the scores by day and office, never who gave them.

The row keeps the booking it asks about (so a visit is asked once) but no citizen id of its own: /forget
deletes the citizen's bookings' surveys with their comments (free text a citizen may fill with anything).
Never commits (the unit of work does)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime


class VisitSurvey(Base):
    __tablename__ = "visit_surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(Integer, unique=True)  # the visit asked about, once
    office: Mapped[str] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(128))
    visit_day: Mapped[dt.date] = mapped_column(Date, index=True)  # the visit's Kyiv day
    asked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(timezone=True), default=None)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(timezone=True), default=None)
    score: Mapped[int | None] = mapped_column(Integer, default=None)  # 1–5
    comment: Mapped[str | None] = mapped_column(Text, default=None)  # optional, ≤ 1,000 characters
