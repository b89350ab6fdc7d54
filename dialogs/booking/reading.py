"""The reading of typed text at each booking step, as the step's button would take it: a service («паспорт»),
an office («Саксагань»), a priority group («ні, я не пільговик»), a day and a time («в четвер на 10»), the
earliest or a later time, a yes at the confirmation. dialogs/booking/answers.py (TypedAnswers) sends
each typed answer here first."""

from __future__ import annotations

import dataclasses
import datetime as dt

from dialogs import texts as common
from dialogs import typed
from dialogs.booking import texts
from dialogs.booking.base import MENU, STATE, _b, _date
from dialogs.booking.mine import MyBookings
from dialogs.booking.service import HOTLINE
from dialogs.messages import Reply
from dialogs.outcome import Kind
from dialogs.rooms import Turn
from knowledge import facts
from knowledge.search import SearchHit
from knowledge.understand import CONFIDENT_MARGIN, CONFIDENT_SCORE, Intent, Understanding

OTHER_TIME_WORDS = {
    "інший час", "інший день", "інша дата", "інший", "другой день", "другое время", "другая дата",
    "змінити час", "змінити день", "поменять время", "інше", "назад",
}  # fmt: skip
# a yes at «Скасувати запис …?»: «так, скасуйте», «отменить»
NEAR = dt.timedelta(minutes=15)  # a free time this close to the one asked is offered for confirmation at once
RIVALS = 4  # services offered when a name fits several equally
RIVALS_READ = 8  # hits read for them (the meant service looks at the first five)
CANCEL_STEMS = ("скасу", "скасов", "відмін", "отмен", "анулю", "удали", "видали")
EARLIEST_WORDS = {  # the first free time: of the horizon at the day step, of the day at the time step
    "найраніше", "якнайраніше", "якомога раніше", "як можна раніше", "якнайшвидше", "якомога швидше",
    "найближчий", "найближче", "найближчий день", "найближчий час", "найближчий вільний",
    "найближчий вільний час", "перший вільний", "перший вільний час", "перший вільний день", "будь який",
    "будь коли", "будь який день", "будь який час", "без різниці", "все одно", "неважливо", "мені все одно",
    "как можно раньше", "как можно скорее", "побыстрее", "пораньше", "самое раннее", "ближайшее",
    "ближайшее время", "ближайший", "ближайший день", "первое свободное", "первое свободное время", "любой",
    "любое", "любой день", "любое время", "все равно", "мне все равно", "без разницы", "неважно",
    "перший", "перше", "найперший", "найперше", "найраніший", "самий ранній", "самий перший", "первый",
    "первое", "самый ранний", "самое ранее", "самый первый", "самое первое",
}  # fmt: skip
LATER_WORDS = {"пізніше", "пізніші дні", "позже", "пізніший час", "далі", "дальше", "ще", "ещё", "еще"}
ORDINARY_STEMS = ("звичайн", "обычн", "загальн", "общ")  # «звичайна черга», «обычный»: no priority group
PRIORITY_ALIASES = {  # what citizens call the priority groups, besides their labels
    "combatant": (
        "убд",
        "учасник бойових дій",
        "участник боевых действий",
        "ветеран",
        "захисник",
        "військовий",
    ),
    "war-disability": ("інвалідність внаслідок війни", "инвалидность вследствие войны", "інвалід війни"),
    "fallen-family": ("родина загиблого", "семья погибшего", "загиблого", "погибшего"),
    "disability-1": (
        "перша група",
        "1 група",
        "i група",
        "першої групи",
        "первая группа",
        "1 группа",
        "супровід",
        "супроводжую",
        "сопровождаю",
        "першої групи",
        "первой группы",
    ),
}


def said_group(text: str, names: list[tuple[str, str]]) -> str | None:
    """The one priority group a longer statement names by one of its phrases, not negated («я убд, посвідчення
    при собі», «батько на візку, в нього перша група, я його супроводжую»); None for none or several."""
    typed = facts.forms(text)
    found = {group for group, name in names if (phrase := facts.forms(name)) and facts.find(phrase, typed)}
    return found.pop() if len(found) == 1 else None


# The words of the wish itself, left out when the rest of «хочу записатися на реєстрацію народження» is read
# for the service it names: the stems of booking and queueing, and the words around a wish.
WISH_STEMS = ("запис", "запиш", "прийом", "прием", "приём", "черг", "очеред", "заброн", "броню", "брон")
WISH_WORDS = {
    "хочу", "хотів", "хотіла", "хотел", "хотела", "хотілося", "хотелось", "би", "бы", "б", "можна", "можно",
    "треба", "надо", "нужно", "потрібно", "мені", "мне", "мене", "меня", "нас", "будь", "ласка", "пожалуйста",
    "прошу", "до", "к", "вас", "вам", "як", "как", "де", "где", "час", "время", "онлайн", "електронну",
    "электронную", "електронна", "электронная",
}  # fmt: skip


def service_words(text: str, today: dt.date) -> str:
    """What a booking wish says besides the wish and its day and time: «записатись на реєстрацію народження
    в середу» → «реєстрацію народження»; empty when it names nothing else («хочу записатися на прийом»)."""
    said = typed.norm(text)
    for find in (lambda t: typed.find_date(t, today), typed.find_time):
        if (found := find(said)) is not None:
            said = f"{said[: found.start]} {said[found.end :]}"
    return " ".join(w for w in typed.tokens(said) if w not in WISH_WORDS and not w.startswith(WISH_STEMS))


def _without_when(text: str, today: dt.date) -> str:
    """A text without the day and the time it names («пільг нема, на 9 грудня о 10» → «пільг нема, на»)."""
    said = typed.norm(text)
    for find in (lambda t: typed.find_date(t, today), typed.find_time):
        if (found := find(said)) is not None:
            said = typed.norm(f"{said[: found.start]} {said[found.end :]}")  # positions are of the normal form
    return said


def _typed_reply(replies: list[Reply]) -> list[Reply]:
    """Replies to typed text are new messages: nothing above the citizen's words is edited in place."""
    return [dataclasses.replace(r, replace=False) if r.replace else r for r in replies]


class StepReading(MyBookings):
    """Each booking step's reading of typed text; None when the step cannot read it."""

    async def _reask(self, turn: Turn, lead: str = texts.NOT_READ) -> list[Reply]:
        """The same step asked again (TypedAnswers)."""
        raise NotImplementedError

    async def _read_which(self, turn: Turn, step: str, text: str) -> list[Reply] | None:
        """The booking a typed answer names among the citizen's (TypedAnswers)."""
        raise NotImplementedError

    async def _read(self, turn: Turn, step: str, text: str, words: str) -> list[Reply] | None:
        a = STATE.load(turn.state)
        if step in ("service", "visit-service"):
            return await self._read_service(turn, text, visit=step == "visit-service")
        if step == "office":
            names = [(o, self._office_name(o)) for o in self.booking.offices(a.svc)]
            full = [
                (w.id, f"{w.name} {w.address or ''}") for w in self.kb.contacts.offices if w.id in dict(names)
            ]
            # the short names first: «центр віза» is the main office, though «Віза» is in every full name
            office = typed.choose(text, names) or typed.choose(text, [*names, *full])
            return await self._office(turn, office) if office is not None else None
        if step == "priority":
            return await self._read_priority(turn, text)
        if step in ("day", "time", "confirm"):
            return await self._read_when(turn, step, text, words)
        if step in ("cancel-which", "move-which"):
            return await self._read_which(turn, step, text)
        if step == "cancel" and a.cancel:
            said = typed.yes_no(text)
            if said is None and any(w.startswith(CANCEL_STEMS) for w in words.split()) and not self._forget(text):
                said = True  # «скасуйте», «отменить»: «не скасовуйте» is a no (typed.yes_no)
            if said is None:
                return None
            return await self._cancel(turn, a.cancel) if said else self._kept(turn)
        if step in ("cb-consent", "visit-consent"):
            said = typed.yes_no(text)
            if said is None:
                return None
            yes = "cy" if step == "cb-consent" else "vy"
            return await self._step(turn, yes if said else "cn", "")
        return None

    def _forget(self, text: str) -> bool:
        """Whether the text asks to erase the citizen's data («і номер мій видаліть з бази»), not the booking."""
        return self.understander is not None and Intent.FORGET in self.understander.understand(text, 0).intents

    def _meant_service(
        self,
        turn: Turn,
        text: str,
        hit: SearchHit | None = None,
        *,
        visit: bool = False,
        understood: Understanding | None = None,
    ) -> str | None:
        """The one bookable service the words name, or None (then the citizen chooses it with buttons).

        `hit`, the engine's confident match, wins when it is a bookable service. Otherwise the words besides the
        wish are read as a label at the service step would be («реєстрація народження», «пільга на
        комуналку»), and last by search: the best bookable service found, when it scores well and leads the
        next bookable one (among the services of a situation, when a situation is what the words name best:
        «пільга на комуналку» names the veterans' situation and its one service of that kind)."""
        bookable = [s for s in self.kb.services if visit or self.booking.offices(s)]
        if hit is not None and hit.kind == "service" and hit.id in bookable:
            return hit.id
        rest = service_words(text, typed.kyiv_today(turn.now))
        if not rest:
            return None
        labels = [(s, self.kb.services[s].short_title) for s in bookable]
        labels += [(s, self.kb.services[s].title) for s in bookable]
        service = typed.choose(rest, labels)
        if service is not None or self.understander is None:
            return service
        if understood is None:
            understood = self.understander.understand(rest, limit=RIVALS_READ)
        top = understood.confident
        if top is not None and top.kind == "service":
            return top.id if top.id in bookable else None
        found = [h for h in understood.hits[:5] if h.kind == "service" and h.id in bookable]
        if top is not None and (situation := self.kb.situations.get(top.id)) is not None:
            bundled = {ref.service for ref in situation.services}
            found = [h for h in found if h.id in bundled]
        if not found or found[0].score < CONFIDENT_SCORE:
            return None
        if len(found) > 1 and found[0].score - found[1].score < CONFIDENT_MARGIN:
            return None
        return found[0].id

    async def _read_service(self, turn: Turn, text: str, *, visit: bool) -> list[Reply] | None:
        rest = service_words(text, typed.kyiv_today(turn.now))
        understood = self.understander.understand(rest, limit=RIVALS_READ) if rest and self.understander else None
        service = self._meant_service(turn, text, visit=visit, understood=understood)
        rivals = self._rivals(understood, visit=visit)
        if service is not None and rivals and service not in rivals:  # its label named, others found better
            rivals = [*rivals, service][:RIVALS]
        if len(rivals) > 1 and (service is None or service != rivals[0]):  # «паспорт», «прописка»: which one
            rows = [(_b(self.kb.services[s].short_title, "vs" if visit else "s", s),) for s in rivals]
            return [Reply(texts.WHICH_SERVICE, (*rows, (_b(common.BACK, ""), *MENU)))]
        if service is not None:
            return await self._step(turn, "vs", service) if visit else await self._service(turn, service)
        group = typed.choose(text, [(g.id, g.title) for g in self.kb.contacts.groups])
        if group is None:
            return None
        return await self._step(turn, "vg", group) if visit else self._services(group)

    def _rivals(self, understood: Understanding | None, *, visit: bool) -> list[str]:
        """The bookable services a short service name fits equally well (at most RIVALS): «паспорт» is the ID
        card's exchange, the one instead of a lost passport and the change of name; one clear service is none.
        `understood`: the reading of the words besides the wish (`service_words`), the one _meant_service read."""
        if understood is None:
            return []
        if understood.confident is not None and understood.confident.kind == "service":
            return []  # «впо», «фоп»: one service, however many others share a word
        hits = [
            h for h in understood.hits
            if h.kind == "service" and (visit or self.booking.offices(h.id)) and h.score >= CONFIDENT_SCORE
        ]
        best = max((h.raw for h in hits), default=0.0)
        ranked = sorted(hits, key=lambda h: -h.raw)
        return [h.id for h in ranked if best - h.raw < CONFIDENT_MARGIN][:RIVALS]

    async def _read_priority(self, turn: Turn, text: str) -> list[Reply] | None:
        a = STATE.load(turn.state)
        said = typed.yes_no(text)
        if said is None:  # «пільг нема, на 9 грудня о 10»: the no, read without the day and time after it
            said = typed.yes_no(_without_when(text, typed.kyiv_today(turn.now)))
        if said is None and any(w.startswith(ORDINARY_STEMS) for w in typed.tokens(text)):
            said = False  # «звичайна черга», «обычный»: no priority group
        if said is False and not self.booking.priority_only(a.office):
            days = await self._step(turn, "p", "no")
            # «ні, на 14 грудня о 10»: the day (and time) the no went on to name, as the next step would read it
            if turn.state.step == "day" and self._names_when(turn, text):
                return await self._read_when(turn, "day", text, " ".join(typed.tokens(text))) or days
            return days
        groups = self.booking.data.priority_groups
        names = [(g.id, g.label) for g in groups]
        names += [(g.id, alias) for g in groups for alias in PRIORITY_ALIASES.get(g.id, ())]
        group = typed.choose(text, names) or said_group(text, names)
        if group is not None:
            return await self._step(turn, "p", group)
        if said is True:  # «так» alone: which category, then?
            lead = texts.PRIORITY_WHICH.format(example=groups[0].label.casefold() if groups else "")
            return [Reply(lead), *await self._office(turn, a.office)]
        return None

    def _names_when(self, turn: Turn, text: str) -> bool:
        """Whether a text names a day (the day step's answer typed one step early)."""
        today = typed.kyiv_today(turn.now)
        return typed.find_date(text, today, window=self.booking.data.horizon_days) is not None

    async def _read_when(self, turn: Turn, step: str, text: str, words: str) -> list[Reply] | None:
        a = STATE.load(turn.state)
        if step in ("time", "confirm") and words in OTHER_TIME_WORDS:
            return await self._days(turn, texts.OTHER_DAY)
        if step == "day" and words in LATER_WORDS:
            return await self._days(turn, page=1)
        if step == "confirm":
            said = typed.yes_no(text)
            if said is True:
                return await self._confirm(turn, a.token)
            if said is False:
                return await self._days(turn, texts.OTHER_DAY)
        if step in ("day", "time") and (
            words in EARLIEST_WORDS or words.removeprefix("на ") in EARLIEST_WORDS
        ):
            return await self._earliest(turn, step)
        today = typed.kyiv_today(turn.now)
        day, asked = typed.read_when(text, today, window=self.booking.data.horizon_days)
        if step != "day" and asked is None and (alone := typed.read_time(text)) is not None:
            day, asked = None, alone  # «10.12» once the day is chosen: ten past ten, not a day
        if day is None and asked is None:
            return None
        if day is None:
            if step == "day":
                return None  # a time with no day: which day is still the question
            day = _date(a.day)
            if day is None:
                return None
        return await self._at(turn, day, asked)

    async def _earliest(self, turn: Turn, step: str) -> list[Reply] | None:
        """«найближчий вільний», «без різниці»: the first free time (of the day chosen, at the time step)."""
        a = STATE.load(turn.state)
        office = HOTLINE if a.kind == "callback" else a.office
        day = _date(a.day) if step == "time" else None
        if day is None:
            days = await self.booking.days(
                turn.uow, office, a.svc, now=turn.now, priority=bool(a.prio), limit=1
            )
            if not days:
                return None
            day = days[0]
        slots = await self.booking.times(turn.uow, office, a.svc, day, now=turn.now, priority=bool(a.prio))
        if not slots:
            return None
        a.day = f"{day:%Y%m%d}"
        STATE.save(turn.state, a, "time")
        return self._summary(turn, slots[0].start)

    async def _at(self, turn: Turn, day: dt.date, asked: typed.TimeAsked | None) -> list[Reply]:
        """A day (and perhaps a time) typed: the day's times, the nearest free slot, or those in a range."""
        a, step = STATE.load(turn.state), turn.state.step or ""
        office = HOTLINE if a.kind == "callback" else a.office
        today = typed.kyiv_today(turn.now)
        if day < today:
            turn.note(Kind.REASK, f"booking:{step}")
            return await self._reask(turn, texts.DAY_PASSED)
        slots = await self.booking.times(turn.uow, office, a.svc, day, now=turn.now, priority=bool(a.prio))
        if not slots:  # closed, full or beyond the horizon: the days again
            turn.note(Kind.REASK, f"booking:{step}")
            turn.state.step = "day"
            return await self._days(turn, texts.DAY_OUT.format(day=texts.day_text(day)))
        if asked is None:
            return await self._times(turn, day)
        local = [(s, self.booking.local(s.start)) for s in slots]
        if asked.end is not None:
            inside = [(s, t) for s, t in local if asked.contains(t.time())]
            replies = await self._times(turn, day)
            if not inside:
                return [Reply(texts.TIME_RANGE_NONE.format(day=texts.day_text(day))), *replies]
            rows = [
                tuple(_b(texts.time_label(t), "t", f"{t:%H%M}") for _, t in inside[i : i + 4])
                for i in range(0, min(len(inside), 16), 4)
            ]
            head = texts.TIME_RANGE.format(day=texts.day_text(day))
            return [Reply(head, (*rows, (_b(texts.OTHER_TIME, "days"), _b(texts.CANCEL_FLOW, "no"))))]
        wanted = dt.datetime.combine(day, asked.start)
        slot, at = min(local, key=lambda st: (abs(st[1].replace(tzinfo=None) - wanted), st[1]))
        a.day = f"{day:%Y%m%d}"
        STATE.save(turn.state, a, "time")
        note = texts.TIME_NEAREST.format(asked=f"{asked.start:%H:%M}", time=f"{at:%H:%M}")
        if abs(at.replace(tzinfo=None) - wanted) > NEAR:  # a break, after hours, taken: the day's times again
            turn.note(Kind.REASK, f"booking:{step}")
            times = await self._times(turn, day)
            return [dataclasses.replace(times[0], text=f"{note}\n\n{times[0].text}"), *times[1:]]
        summary = self._summary(turn, slot.start)
        if at.time() != asked.start:  # «о 10:05»: the slot a few minutes away, said so
            summary = [dataclasses.replace(summary[0], text=f"{note}\n\n{summary[0].text}"), *summary[1:]]
        return summary
