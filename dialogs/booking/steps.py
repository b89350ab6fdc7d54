"""A new appointment, step by step: service → office → priority → day → time → confirm (a hotline callback and
a moved booking take the same days, times and confirmation). What a refusal says is dialogs/booking/refusals.py,
their base."""

from __future__ import annotations

import datetime as dt

from dialogs import texts as common
from dialogs.booking import texts
from dialogs.booking.base import (
    DAYS_PER_PAGE,
    MENU,
    NAME,
    PREFIX,
    STATE,
    TIMES_PER_PAGE,
    Choices,
    _b,
    _date,
    _moment,
)
from dialogs.booking.refusals import Refusals
from dialogs.booking.rules import Refusal
from dialogs.booking.service import HOTLINE, new_token
from dialogs.messages import Button, Reply
from dialogs.payloads import Action, pack, payload_time
from dialogs.rooms import Row, Turn
from dialogs.typed import masked_phone
from storage.booking import BOOKED, Booking
from storage.models import DialogState


class BookingSteps(Refusals):
    """The steps of a new booking, shared by a callback and a move."""

    def _groups(self, state: DialogState) -> list[Reply]:
        """The first step: which service (typed words are read there too: the citizen is inside the room)."""
        self._enter(state, Choices(svc=self._context_service(state) or ""), "service")
        rows = [(_b(g.title, "g", g.id),) for g in self.kb.contacts.groups]
        extra = ((_b(texts.CALLBACK, "cb"),), (_b(texts.VISIT, "v"),), (_b(texts.MY, "my"),))
        return [Reply(texts.CHOOSE_GROUP, (*rows, *extra, MENU))]

    def _services(self, group_id: str) -> list[Reply]:
        group = next((g for g in self.kb.contacts.groups if g.id == group_id), None)
        if group is None:
            return [Reply(texts.STALE), *self._groups_reply()]
        rows = [
            (_b(self.kb.services[s].short_title, "s", s),) for s in group.services if self.booking.offices(s)
        ]
        return [
            Reply(
                f"**{group.title}**\n{texts.CHOOSE_SERVICE}",
                (*rows, (_b(common.BACK, ""), *MENU)),
                replace=True,
            )
        ]

    def _groups_reply(self) -> list[Reply]:
        rows = [(_b(g.title, "g", g.id),) for g in self.kb.contacts.groups]
        return [Reply(texts.CHOOSE_GROUP, (*rows, MENU))]

    async def _service(self, turn: Turn, service: str, day: dt.date | None = None) -> list[Reply]:
        """The service chosen; `day`: the day the wish named («на реєстрацію смерті на понеділок»), offered
        once the office and priority are answered."""
        offices = self.booking.offices(service)
        if not offices:
            return [Reply(texts.NOT_BOOKABLE, ((_b(texts.CALLBACK, "cb"),), MENU))]
        if (verify := await self._unverified(turn, pack(PREFIX, "s", service))) is not None:
            return verify  # a place only for a verified phone; the choice goes on once it is
        self._enter(turn.state, Choices(svc=service, day=f"{day:%Y%m%d}" if day else ""), "office")
        turn.state.focus = f"booking:{service}"  # follow-ups are about it (dialogs/focus.py)
        if len(offices) > 1:
            rows = [(_b(self._office_name(o), "o", o),) for o in offices]
            return [Reply(texts.CHOOSE_OFFICE, (*rows, (_b(texts.CANCEL_FLOW, "no"),)))]
        return await self._office(turn, offices[0])

    async def _office(self, turn: Turn, office: str) -> list[Reply]:
        state = turn.state
        choices = STATE.load(state)
        choices.office = office
        STATE.save(state, choices)
        if self.booking.gives_priority(office):
            state.step = "priority"
            rows = [(_b(g.label, "p", g.id),) for g in self.booking.data.priority_groups]
            question = (
                texts.PRIORITY_ONLY_QUESTION
                if self.booking.priority_only(office)
                else texts.PRIORITY_QUESTION
            )
            if not self.booking.priority_only(office):
                rows.append((_b(texts.NOT_PRIORITY, "p", "no"),))
            return [Reply(question, (*rows, (_b(texts.CANCEL_FLOW, "no"),)), replace=True)]
        return await self._days(turn)

    async def _days(self, turn: Turn, prefix: str = "", page: int = 0) -> list[Reply]:
        state = turn.state
        a = STATE.load(state)
        wished = _date(a.day) if state.step in ("office", "priority") and not prefix else None
        state.step = "day"
        office = HOTLINE if a.kind == "callback" else a.office
        if wished is not None:  # the day the wish named: its times, if it has free ones
            a.day = ""
            STATE.save(state, a)
            if await self.booking.times(turn.uow, office, a.svc, wished, now=turn.now, priority=bool(a.prio)):
                return await self._times(turn, wished)
        every = await self.booking.days(
            turn.uow,
            office,
            a.svc,
            now=turn.now,
            priority=bool(a.prio),
            limit=(page + 1) * DAYS_PER_PAGE + 1,  # one more than shown tells whether there are later days
        )
        days = every[page * DAYS_PER_PAGE : (page + 1) * DAYS_PER_PAGE] or every[:DAYS_PER_PAGE]
        if not days:
            self._leave(state)
            text = texts.NO_DAYS.format(days=self.booking.data.horizon_days)
            return [Reply(f"{prefix}\n\n{text}".strip(), ((_b(texts.CALLBACK, "cb"),), MENU))]
        rows = [
            tuple(_b(texts.day_label(d), "d", f"{d:%Y%m%d}") for d in days[i : i + 2])
            for i in range(0, len(days), 2)
        ]
        if len(every) > (page + 1) * DAYS_PER_PAGE:  # the whole horizon stays reachable
            rows.append((_b(texts.LATER_DAYS, "dp", str(page + 1)),))
        head = texts.CALLBACK_START if a.kind == "callback" else texts.CHOOSE_DAY
        return [
            Reply(f"{prefix}\n\n{head}".strip(), (*rows, (_b(texts.CANCEL_FLOW, "no"),)), replace=not prefix)
        ]

    async def _times(self, turn: Turn, day: dt.date, page: int = 0) -> list[Reply]:
        state = turn.state
        a = STATE.load(state)
        office = HOTLINE if a.kind == "callback" else a.office
        slots = await self.booking.times(turn.uow, office, a.svc, day, now=turn.now, priority=bool(a.prio))
        if not slots:
            return await self._days(turn, texts.REFUSALS[Refusal.TAKEN])
        a.day = f"{day:%Y%m%d}"
        STATE.save(state, a, "time")
        shown = slots[page * TIMES_PER_PAGE : (page + 1) * TIMES_PER_PAGE] or slots[:TIMES_PER_PAGE]
        labels = [
            _b(texts.time_label(t), "t", f"{t:%H%M}") for t in (self.booking.local(s.start) for s in shown)
        ]
        rows: list[Row] = [tuple(labels[i : i + 4]) for i in range(0, len(labels), 4)]
        if len(slots) > (page + 1) * TIMES_PER_PAGE:  # a long day in pages: Viber shows at most 24 buttons
            rows.append((_b(texts.LATER, "dl", f"{day:%Y%m%d}", str(page + 1)),))
        text = f"{texts.day_text(day)}\n{texts.CHOOSE_TIME}"
        return [
            Reply(text, (*rows, (_b(texts.OTHER_TIME, "days"), _b(texts.CANCEL_FLOW, "no"))), replace=True)
        ]

    async def _step(self, turn: Turn, verb: str, arg: str, arg2: str = "") -> list[Reply]:
        state = turn.state
        if verb == "o" and state.step == "office" and arg in self.booking.offices(STATE.load(state).svc):
            return await self._office(turn, arg)
        if verb == "p" and state.step == "priority" and (arg == "no" or self._group(arg)):
            choices = STATE.load(state)
            choices.prio = "" if arg == "no" else arg
            STATE.save(state, choices)
            if choices.prio and (blocked := await self._blocked(turn)) is not None:
                return blocked
            return await self._days(turn)
        if verb == "days" and state.step in ("time", "confirm"):
            return await self._days(turn)
        if verb == "d" and state.step in ("day", "time") and (day := _date(arg)) is not None:
            return await self._times(turn, day)
        if (
            verb == "dl"
            and state.step == "time"
            and (day := _date(arg)) is not None
            and arg2.isascii()
            and arg2.isdigit()
        ):
            return await self._times(turn, day, page=int(arg2))
        if verb == "dp" and state.step == "day" and arg.isascii() and arg.isdigit():
            return await self._days(turn, page=int(arg))
        if verb == "t" and state.step == "time" and (start := self._start(state, arg)) is not None:
            return self._summary(turn, start)
        if (
            verb == "a"
            and (start := _moment(arg, self.booking)) is not None
            and state.step in ("day", "time", "confirm")
        ):
            return self._summary(turn, start)
        if verb == "topic" and state.step == "cb-consent":
            state.step = "cb-topic"
            return [Reply(texts.ASK_TOPIC, ((_b(texts.CANCEL_FLOW, "no"),),))]
        if verb == "cy" and state.step == "cb-consent":
            return await self._request(turn)  # the verified number: the only one a callback goes to
        if verb == "vy" and state.step == "visit-consent":
            state.step = "visit-address"
            return [Reply(texts.ASK_ADDRESS, ((_b(texts.CANCEL_FLOW, "no"),),))]
        if verb == "cn" and state.step in ("cb-consent", "visit-consent"):
            self._leave(state)
            return [Reply(texts.NO_CONSENT, (MENU,))]
        if verb == "vg" and state.step == "visit-service":
            group = next((g for g in self.kb.contacts.groups if g.id == arg), None)
            if group is not None:
                rows = [(_b(self.kb.services[s].short_title, "vs", s),) for s in group.services]
                return [
                    Reply(
                        f"**{group.title}**\n{texts.CHOOSE_SERVICE}", (*rows, (_b(texts.CANCEL_FLOW, "no"),))
                    )
                ]
        if verb == "vs" and state.step == "visit-service" and arg in self.kb.services:
            choices = STATE.load(state)
            choices.svc = arg
            STATE.save(state, choices, "visit-consent")
            return [self._consent(texts.CONSENT_VISIT, "vy")]
        return [Reply(texts.STALE), *self._groups(state)]

    async def _again_at(self, turn: Turn, code: str, moment: str, office: str = "") -> list[Reply]:
        """A time a notice offered for a booking of the citizen's, shown to confirm (the place is taken only
        then). For one still active (an air-raid alert fell on it, dialogs/booking/after_alert.py) a move on the
        same kind of place; for a cancelled one (a closed day or office, dialogs/booking/notices.py; a refused
        priority claim, dialogs/booking/priority.py) a new booking of the same service, at `office` when the notice
        offered another one, on the same kind of place unless the person's priority was refused."""
        old = await turn.uow.bookings.by_code(code)
        start = _moment(moment, self.booking)
        if old is None or old.user_id != turn.user.id or old.kind != "office" or start is None:
            return [Reply(texts.STALE), *self._groups(turn.state)]
        if old.status == BOOKED:
            choices = Choices(svc=old.service, office=old.office, move=old.code, prio=old.priority_group or "")
        else:
            where = office if office and office in self.booking.offices(old.service) else old.office
            prio = old.priority_group or "" if old.priority and not await self._claim_refused(turn) else ""
            choices = Choices(svc=old.service, office=where, prio=prio)
        self._enter(turn.state, choices, "time")
        turn.state.focus = f"booking:{old.service}"
        return self._summary(turn, start)

    async def _claim_refused(self, turn: Turn) -> bool:
        """Whether staff refused this person's priority claim lately (their priority bookings went general)."""
        person = await turn.uow.people.person(turn.user)
        until = await turn.uow.people.blocked_until(person) if person else None
        return until is not None and until > turn.now

    def _start(self, state: DialogState, hhmm: str) -> dt.datetime | None:
        day, wall = _date(STATE.load(state).day), payload_time(hhmm)
        if day is None or wall is None:
            return None
        return dt.datetime.combine(day, wall, self.booking.tz).astimezone(dt.UTC)

    def _summary(self, turn: Turn, start: dt.datetime, *, keep_token: bool = False) -> list[Reply]:
        """The summary to confirm (`keep_token`: shown again, its earlier «Підтвердити» still works)."""
        state = turn.state
        a = STATE.load(state)
        token = a.token = a.token if keep_token and a.token else new_token()
        a.start = f"{self.booking.local(start):%Y%m%d%H%M}"
        STATE.save(state, a, "confirm")
        if a.kind == "callback":
            state.step = "cb-consent"
            lines = [
                texts.CALLBACK_TOPIC.format(topic=a.topic),
                self._when(start),
                "",
                texts.CONSENT_PHONE,
            ]
            consent = self._consent("\n".join(lines), "cy", replace=True)
            return [Reply(consent.text, (*consent.buttons, (_b(texts.TOPIC_EDIT, "topic"),)), replace=True)]
        lines = [texts.CHECK, "", *self._facts(a.svc, a.office, start, a.prio)]
        rows = (
            (_b(texts.CONFIRM, "ok", token),),
            (_b(texts.OTHER_TIME, "days"), _b(texts.CANCEL_FLOW, "no")),
        )
        return [Reply("\n".join(lines), rows, replace=True)]

    def _consent(self, text: str, yes: str, *, replace: bool = False) -> Reply:
        """Personal data only after an explicit «yes» (`yes`: the verb of the button that gives it)."""
        rows = ((_b(texts.CONSENT_YES, yes),), (_b(texts.CONSENT_NO, "cn"),))
        return Reply(text, rows, replace=replace)

    async def _confirm(self, turn: Turn, token: str) -> list[Reply]:
        state = turn.state
        done = await turn.uow.bookings.by_token(turn.user.id, token)
        if done is not None:  # a double tap, or the same button days later
            if done.status not in ("booked", "requested"):
                return [Reply(texts.NO_LONGER.format(code=done.code), ((_b(texts.MY, "my"),), MENU))]
            return self._booked(done)
        a = STATE.load(state)
        if state.scenario != NAME or state.step != "confirm" or a.token != token:
            return [Reply(texts.STALE), *self._groups(state)]
        start = _moment(a.start, self.booking)
        if start is None:
            return [Reply(texts.STALE), *self._groups(state)]
        if not a.move and (verify := await self._unverified(turn, pack(PREFIX, "s", a.svc))) is not None:
            return verify  # the phone was forgotten on the way: verified again, the service chosen again
        if (
            (code := a.move)
            and (old := await turn.uow.bookings.by_code(code)) is not None
            and old.user_id == turn.user.id
            and old.status == "booked"
        ):
            result = await self.booking.reschedule(
                turn.uow, turn.user, old, start=start, token=token, now=turn.now
            )
        else:
            prio = a.prio or None
            result = await self.booking.book(
                turn.uow,
                turn.user,
                office=a.office,
                service=a.svc,
                start=start,
                priority_group=prio,
                token=token,
                now=turn.now,
                origin=turn.message.origin,
            )
        if isinstance(result, Booking):
            self._leave(state)
            if result.service in self.kb.services:  # «коли буде готово?» is about it (dialogs/focus.py)
                state.focus = f"booking:{result.service}"
            await self._announce(turn, result, moved=a.move or None)
            return self._booked(result, moved=bool(a.move))
        return await self._refused(turn, result, start)

    def _booked(self, booking: Booking, *, moved: bool = False, phone: str | None = None) -> list[Reply]:
        """`phone`: the verified number a callback or a visit's call goes to (shown masked: the log keeps it)."""
        number = masked_phone(phone or booking.phone or "")
        if booking.kind == "visit":
            text = texts.VISIT_BOOKED.format(code=booking.code, phone=number)
            return [Reply(text, ((_b(texts.MY, "my"),), MENU))]
        if booking.kind == "callback" and booking.start is not None:
            local = self.booking.local(booking.start)
            when = f"{texts.day_text(local.date())} о {local:%H:%M} (за київським часом)"
            text = texts.CALLBACK_BOOKED.format(when=when, code=booking.code, phone=number)
            return [Reply(text, ((_b(texts.MY, "my"),), MENU))]
        head = texts.MOVED if moved else texts.BOOKED
        lines = [
            head,
            f"Код запису: **{booking.code}**",
            "",
            *self._facts(booking.service, booking.office, booking.start, booking.priority_group or ""),
            "",
            texts.SHOW_CODE,
        ]
        rows = (
            (Button(texts.WHAT_TO_BRING, pack(Action.SERVICE, booking.service)),),
            (_b(texts.MY, "my"),),
            MENU,
        )
        return [Reply("\n".join(lines), rows)]

    async def _announce(self, turn: Turn, booking: Booking, moved: str | None = None) -> None:
        """Tell who listens of a booking made or moved."""
        if self.events is not None:
            await self.events.booked(turn.uow, turn.user, booking, turn.now, moved_from=moved)
