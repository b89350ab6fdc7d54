"""What the Center did with the questions the bot could not answer (the staff console's «Що не знайшли»):

- `AttachedPhrasing`: a question attached to a card or a life situation as a new phrasing (knowledge/phrasings.py
  reads it), with its author and time;
- `DismissedQuestion`: a group of questions an admin dismissed (by its normalised text), hidden from the page.

Neither holds anything of a citizen: the text is the masked, grouped text of `unanswered_questions`. Never commits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.clock import Clock
from storage.models import Base, UTCDateTime

MAX_TEXT = 200  # characters of a stored phrasing or dismissed text (the rules allow fewer)


class AttachedPhrasing(Base):
    __tablename__ = "attached_phrasings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(MAX_TEXT), unique=True)
    target: Mapped[str] = mapped_column(String(160))  # service/<id> or situation/<id>
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class DismissedQuestion(Base):
    __tablename__ = "dismissed_questions"

    text: Mapped[str] = mapped_column(String(MAX_TEXT), primary_key=True)  # normalised (dialogs/console/similar)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Phrasings:
    """Attached phrasings and dismissed questions; never commits."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._s = session
        self._clock = clock

    async def attached(self) -> list[AttachedPhrasing]:
        """Every attached phrasing, oldest first."""
        found = await self._s.scalars(select(AttachedPhrasing).order_by(AttachedPhrasing.id))
        return list(found.all())

    async def get(self, text: str) -> AttachedPhrasing | None:
        return await self._s.scalar(select(AttachedPhrasing).where(AttachedPhrasing.text == text))

    async def attach(self, text: str, target: str, author: str) -> AttachedPhrasing:
        row = AttachedPhrasing(text=text, target=target, author=author[:64], created_at=self._clock())
        self._s.add(row)
        await self._s.flush()
        return row

    async def dismissed(self) -> set[str]:
        return set((await self._s.scalars(select(DismissedQuestion.text))).all())

    async def dismiss(self, text: str, author: str) -> bool:
        """Hide a normalised text; False when it was hidden already."""
        if await self._s.get(DismissedQuestion, text) is not None:
            return False
        self._s.add(DismissedQuestion(text=text, author=author[:64], created_at=self._clock()))
        await self._s.flush()
        return True
