"""The care room: a complaint or thanks about staff, anger or despair, «I cannot come in», and what has no card
here. Short, human replies with a way to a person: the handoff's «a person» and the booking room's callback and
home visit are lent buttons (dialogs/events.py), so this room imports neither."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from dialogs import texts as common
from dialogs.care import texts
from dialogs.events import BookingButtons, HandoffButtons
from dialogs.messages import Button, Reply
from dialogs.payloads import Action, pack
from dialogs.rooms import QuietRoom, Row, Turn
from knowledge.care_schema import Channel, Topic
from knowledge.loader import Knowledge
from knowledge.search import SearchHit
from knowledge.understand import Intent, Understander

NAME = "care"
PREFIX = "cr"  # cr:c — how to complain
HOME_VISIT = "mobile-admin"  # contacts.yaml: the «Мобільний адміністратор» home visit
MENU_ROW = (Button(common.MENU, pack(Action.MENU)),)
# «Де залишити відгук» asks where a review goes: it is not thanked for warm words it has not said (unless it
# thanks too: «дякую, де залишити відгук»).
REVIEW_STEMS = ("відгук", "отзыв")
THANKING_STEMS = ("дяк", "подяк", "вдячн", "спасиб", "благодар", "молодц", "молодец", "похвал")


class CareRoom(QuietRoom):
    """Complaints, thanks, distress, home visits and honest «not here» answers."""

    prefix = PREFIX
    name = NAME
    holds = False
    intents = frozenset(
        {Intent.COMPLAINT, Intent.PRAISE, Intent.DISTRESS, Intent.HOME_VISIT, Intent.ELSEWHERE}
    )
    commands: ClassVar[Mapping[str, tuple[str, ...]]] = {"/complaint": ("c",), "/скарга": ("c",)}

    def __init__(
        self,
        kb: Knowledge,
        understander: Understander,
        *,
        booking: BookingButtons | None = None,
        handoff: HandoffButtons | None = None,
    ) -> None:
        """`understander` names the care.yaml topic a text is about (the engine's, shared); `booking` and
        `handoff` lend their buttons (either may be absent: then the hotline is offered instead)."""
        if kb.care is None:
            raise ValueError("the care room needs knowledge/data/care.yaml")
        self.kb, self.care = kb, kb.care
        self.understander = understander
        self._topics: dict[str, Topic] = {t.id: t for t in kb.care.topics}
        self.booking, self.handoff = booking, handoff
        self._hotline = kb.contacts.hotlines[0].phone if kb.contacts.hotlines else ""

    # --- its buttons elsewhere: none (it is reached by what citizens type) ---------------------------------

    async def text(self, turn: Turn, text: str) -> list[Reply] | None:
        return None  # nobody stays inside this room

    # --- what it answers -------------------------------------------------------------------------------

    async def button(self, turn: Turn, args: tuple[str, ...]) -> list[Reply]:
        if args == ("c",):
            return self.complaint()
        return [Reply(texts.STALE, (MENU_ROW,))]

    async def intent(self, turn: Turn, intent: Intent, hit: SearchHit | None) -> list[Reply]:
        if intent == Intent.COMPLAINT:
            return self.complaint()
        if intent == Intent.PRAISE:
            said = (turn.message.text or "").casefold()
            review = any(s in said for s in REVIEW_STEMS) and not any(s in said for s in THANKING_STEMS)
            return self.praise(thanked=not review)
        if intent == Intent.DISTRESS:
            return self.distress()
        if intent == Intent.HOME_VISIT:  # «а це платно?» next is about the visit (dialogs/center_services.py)
            if any(s.id == HOME_VISIT for s in self.kb.contacts.services):
                turn.state.focus = f"service:{HOME_VISIT}"
            return self.home_visit()
        found = self._topics.get(self.understander.understand(turn.message.text or "", limit=0).topic or "")
        seen = [sid for sid in (found.see if found else ()) if sid in self.kb.services]
        if seen:  # «а скільки це коштує» next is about the nearest card offered (dialogs/focus.py)
            turn.state.focus = f"service:{seen[0]}"
        return self.elsewhere(found)

    def complaint(self) -> list[Reply]:
        lines = [texts.COMPLAINT_HEAD, *(_line(c) for c in self.care.complaint)]
        if self._person_row():
            lines.append(texts.COMPLAINT_TAIL)
        return [Reply("\n".join(lines), (*self._person_row(), MENU_ROW))]

    def praise(self, thanked: bool = True) -> list[Reply]:
        """Thanks for warm words and where to say them officially; `thanked` False: only where a review goes."""
        if not thanked and self.care.praise:
            lines = [texts.REVIEW_WHERE, *(_line(c) for c in self.care.praise)]
            return [Reply("\n".join(lines), (MENU_ROW,))]
        lines = [texts.PRAISE]
        if self.care.praise:
            lines += [texts.PRAISE_WHERE, *(_line(c) for c in self.care.praise)]
        return [Reply("\n".join(lines), (MENU_ROW,))]

    def distress(self) -> list[Reply]:
        complain = (Button(texts.HOW_TO_COMPLAIN, pack(PREFIX, "c")),)
        contacts = (Button(common.MENU_CONTACTS, pack(Action.MENU, "contacts")),)
        return [Reply(texts.DISTRESS, (*self._person_row(), complain, contacts, MENU_ROW))]

    def home_visit(self) -> list[Reply]:
        service = next((s for s in self.kb.contacts.services if s.id == HOME_VISIT), None)
        who = (service.who or service.description) if service else ""
        text = texts.HOME_VISIT.format(who=_lower_first(who).rstrip("."))
        if self.booking is None:
            return [Reply(f"{text}\n\n{texts.HOME_VISIT_PHONE.format(phone=self._hotline)}", (MENU_ROW,))]
        rows = (
            (Button(texts.VISIT, self.booking.visit()),),
            (Button(texts.CALLBACK, self.booking.callback()),),
        )
        return [Reply(text, (*rows, MENU_ROW))]

    def elsewhere(self, topic: Topic | None) -> list[Reply]:
        if topic is None:
            return [Reply(texts.NOT_CENTER, (MENU_ROW,))]
        rows = [
            (Button(f"📋 {self.kb.services[sid].short_title}", pack(Action.SERVICE, sid)),)
            for sid in topic.see
            if sid in self.kb.services
        ]
        return [Reply(topic.text, (*rows, MENU_ROW))]

    def _person_row(self) -> tuple[Row, ...]:
        """A person: the operator in the chat and a callback, as far as the rooms that lend them are wired."""
        rows: list[Row] = []  # one a row: two would not fit a phone's width unbroken
        if self.handoff is not None:
            rows.append((Button(texts.OPERATOR, self.handoff.operator()),))
        if self.booking is not None:
            rows.append((Button(texts.CALLBACK, self.booking.callback()),))
        return tuple(rows)


def _line(channel: Channel) -> str:
    note = f" — {channel.note}" if channel.note else ""
    return f"• {channel.title}: {channel.contact}{note}."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
