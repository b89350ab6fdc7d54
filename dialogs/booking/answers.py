"""Typed answers at the booking's steps: what a step can read is taken as its button would be («паспорт»,
«Саксагань», «ні, я не пільговик», «в четвер», «на 10 годину», «так»); what it cannot read asks the same
step again with its buttons and one example. A typed question on the way («а скільки це коштує») is answered
and the booking waits («▶️ Продовжити запис»); it is never lost to the main menu. Each step's own reading is
dialogs/booking/reading.py."""

from __future__ import annotations

import re

from dialogs import texts as common
from dialogs import typed
from dialogs.booking import texts
from dialogs.booking.base import MENU, NAME, STATE, Choices, _b, _date, _moment
from dialogs.booking.reading import StepReading, _typed_reply
from dialogs.booking.service import HOTLINE
from dialogs.messages import Button, Reply
from dialogs.outcome import Kind
from dialogs.payloads import Action, pack
from dialogs.render import facet_text
from dialogs.rooms import Turn
from knowledge.understand import Intent

FOUND_SCORE = 0.75  # a service found this well is worth a button beside the booking
READ_STEPS = ("service", "office", "priority", "day", "time", "confirm", "cb-consent", "visit-consent",
              "visit-service", "cancel", "cancel-which", "move-which")  # fmt: skip
# what a day or a time typed beside them does not answer: they are asked, the booking waits
ASIDE_INTENTS = {Intent.HOURS, Intent.CONTACTS, Intent.PHONES, Intent.FORGET, Intent.COMPLAINT, Intent.DISTRESS}
# «та ну його, не буду я записуватись», «уже не хочу записываться»: the wish to book withdrawn
DECLINED = re.compile(r"(?<!\w)(?:не|уже не|вже не)\s+(?:буду|хочу|треба|надо|нужно)(?:\s+\w+)?\s+запис")
LEAVE_WORDS = {
    "не записуватися", "не записуватись", "не записуйте", "не хочу записуватися", "відміна", "стоп",
    "скасувати", "отмена", "отменить", "не записываться", "вийти", "выйти", "передумав", "передумала",
}  # fmt: skip


class TypedAnswers(StepReading):
    """Reads typed text at a booking step; see the module's docstring."""

    async def _typed(self, turn: Turn, text: str) -> list[Reply] | None:
        """The replies to typed text at a booking step; None lets the engine read it (another intent)."""
        state = turn.state
        step = state.step or ""
        if step not in READ_STEPS:
            return None
        words = " ".join(typed.tokens(text))
        if words in LEAVE_WORDS and step in ("cancel-which", "move-which"):
            turn.note(Kind.ANSWER, f"booking:{step}")
            return self._kept(turn)
        leaves = words in LEAVE_WORDS or DECLINED.search(words) is not None
        if leaves and step != "cancel":  # «скасувати» at «Скасувати запис …?» is a yes
            turn.note(Kind.ANSWER, f"booking:{step}")
            self._leave(state)
            return [Reply(texts.LEFT, ((_b(texts.MY, "my"),), MENU))]
        noted = turn.outcome
        replies = None if self._asks_else(turn, step, text) else await self._read(turn, step, text, words)
        if replies is not None:
            if turn.outcome is noted:  # read, unless the step said it asks again (a day or time not free)
                turn.note(Kind.ANSWER, f"booking:{step}")
            return _typed_reply(replies)
        aside = await self._aside(turn, text)
        if aside is not None:
            return aside or None  # an empty list: another room's or the engine's intent
        turn.note(Kind.REASK, f"booking:{step}")
        return await self._reask(turn)

    def _asks_else(self, turn: Turn, step: str, text: str) -> bool:
        """«а ви до котрої сьогодні?» at the day step: a question with a day in it, not the day's answer (what
        is asked is read without the day: «в неділю можна?» is the day's answer)."""
        if step not in ("day", "time") or self.understander is None:
            return False
        said = typed.norm(text)
        if (day := typed.find_date(said, typed.kyiv_today(turn.now))) is not None:
            said = f"{said[: day.start]} {said[day.end :]}"
        return bool(set(self.understander.understand(said, 0).intents) & ASIDE_INTENTS)

    async def _reask(self, turn: Turn, lead: str = texts.NOT_READ) -> list[Reply]:
        """The same step again, with its buttons and one example of what to type."""
        step = turn.state.step or ""
        example = texts.EXAMPLES.get(step, "").format(example=await self._example(turn, step))
        current = await self._current(turn)
        return _typed_reply([Reply(f"{lead} {example}".strip()), *current])

    async def _example(self, turn: Turn, step: str) -> str:
        a = STATE.load(turn.state)
        if step in ("service", "visit-service"):
            return "ID-картка"
        if step == "office":
            offices = self.booking.offices(a.svc)
            return self._office_name(offices[0]) if offices else ""
        if step == "priority":
            groups = self.booking.data.priority_groups
            return groups[0].label.casefold() if groups else ""
        if step == "day":
            office = HOTLINE if a.kind == "callback" else a.office
            days = await self.booking.days(
                turn.uow, office, a.svc, now=turn.now, priority=bool(a.prio), limit=2
            )
            return f"{days[-1]:%d.%m}" if days else "10.12"
        if step == "time":
            return "10:30"
        return ""

    async def _current(self, turn: Turn) -> list[Reply]:
        """The step the citizen is at, shown again (the confirmation keeps its token: its button works)."""
        state = turn.state
        a, step = STATE.load(state), state.step or ""
        if step == "office" and a.svc:
            rows = [(_b(self._office_name(o), "o", o),) for o in self.booking.offices(a.svc)]
            return [Reply(texts.CHOOSE_OFFICE, (*rows, (_b(texts.CANCEL_FLOW, "no"),)))]
        if step == "priority" and a.office:
            return await self._office(turn, a.office)
        if step == "day":
            return await self._days(turn)
        if step == "time" and (day := _date(a.day)) is not None:
            return await self._times(turn, day)
        if step in ("confirm", "cb-consent") and (start := _moment(a.start, self.booking)) is not None:
            return self._summary(turn, start, keep_token=True)
        if step == "visit-consent":
            return [self._consent(texts.CONSENT_VISIT, "vy")]
        if step == "cancel" and a.cancel:
            return self._ask_cancel(turn, a.cancel)
        if step in ("cancel-which", "move-which"):
            wish = Intent.CANCEL_BOOKING if step == "cancel-which" else Intent.MOVE_BOOKING
            return await self._change(turn, wish)
        if step == "visit-service":
            rows = [(_b(g.title, "vg", g.id),) for g in self.kb.contacts.groups]
            return [Reply(texts.CHOOSE_SERVICE, (*rows, (_b(texts.CANCEL_FLOW, "no"),)))]
        if step == "cb-topic":
            return [Reply(texts.ASK_TOPIC, ((_b(texts.CANCEL_FLOW, "no"),),))]
        if step == "visit-address":
            return [Reply(texts.ASK_ADDRESS, ((_b(texts.CANCEL_FLOW, "no"),),))]
        if step in ("cb-phone", "visit-phone"):  # a saved dialog from before verified phones
            return await self._request(turn)
        return self._groups(state)

    # --- a question or a wish on the way -------------------------------------------------------------------

    async def _aside(self, turn: Turn, text: str) -> list[Reply] | None:
        """A typed question answered with the booking kept («▶️ Продовжити запис»); a cancel or move of a
        booking made; [] for another intent the engine answers; None: not a question either."""
        if self.understander is None:
            return None
        understood = self.understander.understand(text, limit=3)
        strong = [i for i in understood.intents if i not in (Intent.GREETING, Intent.THANKS)]
        if strong and strong[0] in (Intent.CANCEL_BOOKING, Intent.MOVE_BOOKING):
            turn.note(Kind.INTENT, strong[0].value)
            return await self._change(turn, strong[0], in_flow=True)
        if strong and strong[0] != Intent.BOOKING:
            return []  # the operator, the hours, …: the engine gives it to whoever answers it
        if understood.intents and not strong and not understood.hits:
            return []  # «ок спасибо» at a step: thanked back by the engine, the booking kept
        a = STATE.load(turn.state)
        facet, hit = understood.facet, understood.confident
        service = hit.id if hit is not None and hit.kind == "service" else None
        if facet is None and not understood.hits and a.svc in self.kb.services:
            # «а скільки це коштує» names no service: it is about the one being booked
            again = self.understander.understand(f"{text} {self.kb.services[a.svc].short_title}", limit=3)
            if again.facet is not None:
                facet, service = again.facet, a.svc
        elif (
            facet is not None
            and hit is None
            and a.svc in self.kb.services
            and not any(h.score >= FOUND_SCORE for h in understood.hits)
        ):
            service = a.svc  # «а після подачі скільки чекати» names nothing clearly: the one being booked
        if facet is not None and service is None and any(h.id == a.svc for h in understood.hits):
            service = a.svc  # «а скільки коштує паспорт» while booking the passport: that one
        resume = (_b(texts.RESUME, "go"),)
        if facet is not None and service is not None:  # «а які документи брати» too: the card's list
            turn.note(Kind.FACET, f"{facet}:{service}")
            answer = facet_text(self.kb, self.kb.services[service], facet, self.booking.martial_law)
            card = Button(common.WHOLE_CARD, pack(Action.SERVICE, service, "open"))
            return [Reply(f"{answer}\n\n{texts.ASIDE}", (resume, (card,)))]
        found = [h for h in understood.hits if h.kind == "service" and h.score >= FOUND_SCORE][:3]
        if hit is not None and hit.kind != "service":
            found = []
        if found and (facet is not None or hit is not None) and [h.id for h in found] != [a.svc]:
            turn.note(Kind.SEARCH)
            cards = [(Button(h.title[:60], pack(Action.SERVICE, h.id, "open")),) for h in found]
            return [Reply(texts.FOUND_ASIDE, (*cards, resume))]
        return None

    async def _change(self, turn: Turn, intent: Intent, *, in_flow: bool = False) -> list[Reply]:
        """«відмінити запис», «перенести запис»: the citizen's bookings with their cancel and move buttons."""
        bookings = await self.booking.mine(turn.uow, turn.user, turn.now)
        cancel = intent == Intent.CANCEL_BOOKING
        if not bookings:
            if in_flow and cancel:  # nothing booked yet: the booking on the way is what they cancel
                self._leave(turn.state)
                return [Reply(texts.LEFT, ((_b(texts.MY, "my"),), MENU))]
            if turn.state.step in ("cancel", "cancel-which", "move-which"):
                self._leave(turn.state)  # nothing left to choose among
            what = "скасовувати" if cancel else "переносити"
            return [Reply(texts.NONE_TO_CHANGE.format(what=what), ((_b(texts.BOOK, ""),), MENU))]
        if not in_flow and len(bookings) == 1:  # the one booking: its question at once, answered by typing
            only = bookings[0]
            if cancel:
                return self._ask_cancel(turn, only.code)
            if only.kind == "office":
                return await self._move_to(turn, only.code)
        mine = await self._mine(turn)
        head = texts.CANCEL_WHICH if cancel else texts.MOVE_WHICH
        *rest, last = mine
        rows = last.buttons if not in_flow else ((_b(texts.RESUME, "go"),), *last.buttons)
        if not in_flow:  # which one may be typed too: its code, service or day («той що в четвер»)
            self._enter(turn.state, Choices(), "cancel-which" if cancel else "move-which")
        return [*rest, Reply(f"{head}\n\n{last.text}", rows)]

    async def _read_which(self, turn: Turn, step: str, text: str) -> list[Reply] | None:
        """The booking a typed answer names among the citizen's: by its code, its day, or its service."""
        bookings = await self.booking.mine(turn.uow, turn.user, turn.now)
        if step == "move-which":
            bookings = [b for b in bookings if b.kind == "office"]
        said = "".join(ch for ch in text.upper() if ch.isalnum())
        picked = [b for b in bookings if "".join(ch for ch in b.code if ch.isalnum()) in said]
        day = typed.read_date(text, typed.kyiv_today(turn.now), window=self.booking.data.horizon_days)
        if not picked and day is not None:
            picked = [
                b for b in bookings if b.start is not None and self.booking.local(b.start).date() == day
            ]
        if not picked:
            names = [
                (b.code, self.kb.services[b.service].short_title)
                for b in bookings
                if b.service in self.kb.services
            ]
            code = typed.choose(text, names)
            picked = [b for b in bookings if b.code == code]
        if len(picked) != 1:
            return None
        code = picked[0].code
        self._leave(turn.state)
        return self._ask_cancel(turn, code) if step == "cancel-which" else await self._move(turn, code)

    async def _move_to(self, turn: Turn, code: str) -> list[Reply]:
        """A booking moved: its days, or straight to the day (and time) the wish names («перенести на
        четвер»)."""
        replies = await self._move(turn, code)
        if turn.state.step != "day":
            return replies
        day, asked = typed.read_when(
            turn.message.text or "", typed.kyiv_today(turn.now), window=self.booking.data.horizon_days
        )
        if day is None:
            return replies
        return [Reply(texts.MOVING_NOTE.format(code=code)), *_typed_reply(await self._at(turn, day, asked))]

    async def _resume(self, turn: Turn) -> list[Reply]:
        """«▶️ Продовжити запис»: the step where the citizen was (the start, if the booking is over)."""
        if turn.state.scenario != NAME:
            return self._groups(turn.state)
        return _typed_reply(await self._current(turn))
