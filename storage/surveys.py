"""After a visit: the citizen's score of it (1–5) and an optional comment, asked the morning after staff marked
the booking arrived. One row per visit; the statistics read the scores by day and office, never who gave them.

The row keeps the booking it asks about (so a visit is asked once) but no citizen id of its own. It is made when
staff mark the visit arrived (the survey room, dialogs/survey/), `asked_at` set once the question went out,
`score` and `answered_at` when the citizen answers. A row never asked (the citizen blocked the bot or was forgotten
first, or the bot was down past the three days) keeps `asked_at` NULL: statistics count the asked ones. /forget
(and the end of a citizen's retention) erases the comments of the citizen's bookings' surveys (free text a citizen
may fill with anything); the score stays, an anonymous figure like the booking it belongs to. Never commits (the
unit of work does)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.booking import Booking
from storage.models import Base, UTCDateTime

MAX_COMMENT = 1000  # characters of a comment kept


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


class Surveys:
    """The after-visit surveys' repository (the survey room's queries); never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, booking_id: int, office: str, service: str, visit_day: dt.date) -> VisitSurvey | None:
        """The survey of one visit, not yet asked; None when the visit has one already (a second mark, or a
        concurrent one: the unique key refuses it inside a savepoint, so the mark itself stands)."""
        if await self.for_booking(booking_id) is not None:
            return None
        survey = VisitSurvey(booking_id=booking_id, office=office, service=service, visit_day=visit_day)
        try:
            async with self._s.begin_nested():
                self._s.add(survey)
                await self._s.flush()
        except IntegrityError:
            return None
        return survey

    async def get(self, survey_id: int) -> VisitSurvey | None:
        return await self._s.get(VisitSurvey, survey_id)

    async def for_booking(self, booking_id: int) -> VisitSurvey | None:
        return await self._s.scalar(select(VisitSurvey).where(VisitSurvey.booking_id == booking_id))

    async def citizen(self, survey: VisitSurvey) -> int | None:
        """The user id of the citizen whose visit it asks about (None once they are forgotten)."""
        return await self._s.scalar(select(Booking.user_id).where(Booking.id == survey.booking_id))

    async def asked(self, survey: VisitSurvey, now: dt.datetime) -> bool:
        """The question went out (once: a conditional update; False if it was recorded already)."""
        result = await self._s.execute(
            update(VisitSurvey)
            .where(VisitSurvey.id == survey.id, VisitSurvey.asked_at.is_(None))
            .values(asked_at=now)
            .execution_options(synchronize_session=False)
        )
        if int(getattr(result, "rowcount", 0) or 0) != 1:
            return False
        await self._s.refresh(survey)
        return True

    async def score(self, survey: VisitSurvey, score: int, now: dt.datetime) -> None:
        if not 1 <= score <= 5:
            raise ValueError(f"a score is 1 to 5, not {score}")
        survey.score, survey.answered_at = score, now
        await self._s.flush()

    async def comment(self, survey: VisitSurvey, text: str) -> None:
        """The citizen's comment (the first MAX_COMMENT characters)."""
        survey.comment = text.strip()[:MAX_COMMENT] or None
        await self._s.flush()

    async def erase(self, user_id: int) -> int:
        """/forget: the comments on the citizen's visits go (the scores stay, anonymous); how many."""
        mine = select(Booking.id).where(Booking.user_id == user_id).scalar_subquery()
        result = await self._s.execute(
            update(VisitSurvey)
            .where(VisitSurvey.booking_id.in_(mine), VisitSurvey.comment.is_not(None))
            .values(comment=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
