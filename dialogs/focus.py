"""What the conversation is about, and the short answers to follow-ups about it.

`DialogState.focus` is "<kind>:<id>": `service:<service id>`, `situation:<situation id>`, `booking:<service id>`
(the service of the booking just confirmed) or `reminder:<service id>`.

- Set when a card's dialog or the whole card opens and when a situation's dialog opens (dialogs/runner.py), when
  a question about one facet of a named service is answered (dialogs/reading.py), and when a booking is confirmed
  (the booking room writes `turn.state.focus`; it imports nothing from here).
- Kept until the citizen names something else: a confident match that opens another card or situation, or a facet
  of another service. Search results put their first hit in focus when it is a confident match that did not
  open (the citizen was in another dialog) or stands out (SOFT_SCORE, SOFT_MARGIN), except at a dialog's
  question, where typed words that list results are an answer it could not read; other lists, menus, greetings
  and follow-ups leave it as it is.
- Expiry: the focus goes with a stale session (the dialog untouched longer than the engine's `stale_after`,
  24 hours by default); /forget erases it with the rest of the state.

A follow-up is a question that names nothing («скільки коштує?», «а де це», «кому дають», «до котрої»): a facet
of a service, or the READY/HOURS/CONTACTS/PHONES intent with no service found; «скільки» alone (HOW_MUCH) is a
payment's amount, else the price. `FollowUps` answers it about the thing in focus in at most MAX_REPLY
characters, with the way on; with nothing in focus it asks which service. Hours and addresses are those of the
office in question (of the booking or card in focus, else the main office) today, then «Усі офіси і графік».
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dialogs import center_services, texts
from dialogs.checklist import needed_so_far
from dialogs.messages import Button, Reply
from dialogs.office_answers import MAX_REPLY, OfficeAnswers, fit
from dialogs.outcome import Kind
from dialogs.payloads import Action, pack
from dialogs.render import (
    SECTIONS,
    amount_line,
    docs_lines,
    facet_text,
    fee_text,
    main_office,
    online_lines,
    service_section,
    term_text,
)
from dialogs.rooms import Row, Turn
from dialogs.scenario import Scenario
from knowledge.schema import ContactService, Office, Service
from knowledge.search import SearchHit
from knowledge.text import words
from knowledge.understand import CONFIDENT_MARGIN, CONFIDENT_SCORE, Facet, Intent
from storage.models import DialogState

SERVICE, SITUATION, BOOKING, REMINDER = "service", "situation", "booking", "reminder"
KINDS = (SERVICE, SITUATION, BOOKING, REMINDER)
MAX_FOCUS = 80  # the column's length
# The card's section that has the whole answer to a facet (behind a button under the short one).
SECTION_OF = {
    Facet.AMOUNT: "term",
    Facet.PRICE: "term",
    Facet.TERM: "term",
    Facet.DOCS: "docs",
    Facet.WHERE: "where",
    Facet.HOURS: "where",
    Facet.RESULT: "result",
    Facet.ONLINE: "where",
    Facet.ABOUT: "docs",
}
WHICH_OF_LIST = "Підкажіть, будь ласка, про яку послугу йдеться — з тих, що я знайшов:"
SITUATION_CHOICES = 6  # services offered as buttons when a situation's follow-up needs a choice
# Words that name the Center itself: its main office is in question, whatever is in focus.
CENTER_WORDS = frozenset({"віза", "визе", "виза", "візи", "візу", "цнап", "центр", "центру", "центрі", "центре"})
# The intents that are follow-ups when they name no service.
FOLLOW_INTENTS = frozenset({Intent.HOURS, Intent.CONTACTS, Intent.PHONES, Intent.READY})
# «How much» alone («а на дитину скільки»): of a payment in focus its amount, of any other service its price.
HOW_MUCH = frozenset(
    {"скільки", "скіки", "скілки", "скіко", "скико", "скока", "скоко", "сколько", "скилькы", "скільки-то"}
)
# Search results listed with no confident match put their first one in focus when it stands out this clearly:
# it scores SOFT_SCORE and leads the next competing hit by SOFT_MARGIN (on tests/knowledge/search_cases.yaml the
# first hit of such a list is the service or situation meant, or one bundling it, in 7 of 7 questions; a wrong
# focus would answer about another service, so a list whose first hit does not stand out changes nothing).
SOFT_SCORE = 0.65
SOFT_MARGIN = 0.2
# A follow-up with nothing in focus right after a list of search results asks which of the services the list
# offered (the buttons of the bot's last reply, from the message log), at most LIST_CHOICES of them.
LIST_CHOICES = 3
LOG_LINES = 4  # the citizen's line now and the bot's replies just before it


@dataclass(frozen=True)
class Focus:
    kind: str
    id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


def parse(value: str | None) -> Focus | None:
    """The focus a stored value names, or None (empty, or of an unknown kind)."""
    kind, _, ident = (value or "").partition(":")
    return Focus(kind, ident) if kind in KINDS and ident else None


def put(state: DialogState, kind: str, ident: str) -> None:
    """Put `kind:ident` in focus (written only when it changes: an unchanged value still costs a flush)."""
    value = f"{kind}:{ident}"
    if len(value) <= MAX_FOCUS and state.focus != value:
        state.focus = value


def of_scenario(sc: Scenario) -> Focus | None:
    """What a scenario is about: a card's service or a life situation."""
    if sc.card is not None:
        return Focus(SERVICE, sc.card)
    return Focus(SITUATION, sc.situation) if sc.situation else None


def expire(state: DialogState, now: dt.datetime, stale_after: dt.timedelta) -> None:
    """Forget the focus of a conversation left longer ago than `stale_after` (it goes with a stale session)."""
    if state.focus is not None and now - state.updated_at > stale_after:
        state.focus = None


def _b(text: str, action: Action, *args: str) -> Button:
    return Button(text, pack(action, *args))


NAV_MENU: Row = (_b(texts.MENU, Action.MENU),)
ALL_OFFICES: Row = (_b(texts.ALL_OFFICES, Action.MENU, "contacts"),)


class FollowUps(OfficeAnswers):
    """Short answers about the thing in focus and about the office in question."""

    def focus(self, state: DialogState) -> Focus | None:
        """The focus of the state, if it still names something the knowledge has."""
        found = parse(state.focus)
        if found is None:
            return None
        if found.kind == SITUATION:
            return found if found.id in self.kb.situations else None
        if found.kind == SERVICE and self._center(found) is not None:  # the home visit (contacts.yaml)
            return found
        return found if found.id in self.kb.services else None

    def _center(self, focus: Focus | None) -> ContactService | None:
        """The Center's own service with no card (the home visit) the focus names, if it does."""
        if focus is None or focus.kind != SERVICE or focus.id in self.kb.services:
            return None
        return center_services.center_service(self.kb, focus.id)

    def _situation_scenario(self, situation: str) -> Scenario | None:
        return next(
            (sc for sc in self.views.scenarios.values() if sc.situation == situation and sc.card is None),
            None,
        )

    def _situation_services(self, state: DialogState, situation: str) -> list[Service]:
        """The situation's services: those of the citizen's checklist so far when they are in its dialog."""
        sc = self._situation_scenario(situation)
        if sc is not None and state.scenario == sc.id and state.answers:
            listed = [s for s, _ in self.views.checklist(sc, state.answers).services]
            if listed:
                return listed
        return [self.kb.services[r.service] for r in self.kb.situations[situation].services]

    async def office(self, turn: Turn, focus: Focus | None, hit: SearchHit | None = None) -> Office | None:
        """The office in question: of a service the words name, of the booking or card in focus, else the
        main office."""
        offices = {o.id: o for o in self.kb.contacts.offices}
        ids: list[str] = []
        if hit is not None and hit.kind == "service" and hit.id in self.kb.services:
            ids = self.kb.services[hit.id].offices
        elif self._center(focus) is not None:  # the home visit comes to the citizen: the main office answers
            ids = []
        elif focus is not None and focus.kind == BOOKING:
            booked = [b for b in await turn.uow.bookings.active_for(turn.user.id) if b.service == focus.id]
            ids = [b.office for b in booked] or self.kb.services[focus.id].offices
        elif focus is not None and focus.kind in (SERVICE, REMINDER):
            ids = self.kb.services[focus.id].offices
        elif focus is not None and focus.kind == SITUATION:
            ids = [o for s in self._situation_services(turn.state, focus.id) for o in s.offices]
        return next((offices[i] for i in ids if i in offices), None) or main_office(self.kb)

    # --- follow-ups ---------------------------------------------------------------------------------

    async def intent(
        self, turn: Turn, intent: Intent, hit: SearchHit | None, *, text: str = "", found: bool = False
    ) -> list[Reply] | None:
        """Hours, address, phones or «when will it be ready» of the office or service in question; None for
        «ready» with a service named (the reader answers it with that service's term). The thing in focus is
        not in question when the words (`text`) name the Center itself («де знаходиться центр віза») or
        something search `found` that is not a clear service."""
        other = (found and hit is None) or bool(CENTER_WORDS & set(words(text)))
        focus = None if other else self.focus(turn.state)
        named = hit is not None and hit.kind == "service"
        if intent == Intent.READY:
            if named or focus is None:
                return None
            turn.note(Kind.FOLLOW_UP, f"{Facet.TERM}:{focus}")
            return self._ready(turn.state, focus)
        office = await self.office(turn, focus, hit)
        if focus is not None and not named:
            turn.note(Kind.FOLLOW_UP, f"{_INTENT_FACET[intent]}:{focus}")
        if office is None:
            return self.views.contacts(replace=False)
        if intent == Intent.HOURS:
            text = self.named_day_hours(office, turn.now, text) or self.hours_text(office, turn.now)
            return [Reply(text, (ALL_OFFICES, NAV_MENU))]
        if intent == Intent.PHONES:
            return [Reply(self.phones_text(office), (ALL_OFFICES, NAV_MENU))]
        return [Reply(self.address_text(office, turn.now), (ALL_OFFICES, NAV_MENU))]

    async def facet(self, turn: Turn, facet: Facet) -> list[Reply]:
        """A facet asked with no service named: about the thing in focus, or which service is meant."""
        state = turn.state
        focus = self.focus(state)
        if focus is None:  # noted with an empty focus: the Center sees what was asked about nothing
            turn.note(Kind.FOLLOW_UP, f"{facet}:")
            if listed := await self._listed(turn):  # «а скільки то коштує» after a list: which of them
                return [Reply(WHICH_OF_LIST, (*self._section_rows(listed, facet), NAV_MENU))]
            return [Reply(texts.WHICH_SERVICE, self._which_rows())]
        if focus.kind == SITUATION and facet == Facet.AMOUNT:  # a situation's one payment is meant
            bundled = [self.kb.services[r.service] for r in self.kb.situations[focus.id].services]
            meant = [s for s in bundled if s.amount]
            if len(meant) == 1:
                focus = Focus(SERVICE, meant[0].id)
        turn.note(Kind.FOLLOW_UP, f"{facet}:{focus}")
        if (center := self._center(focus)) is not None:
            return [Reply(fit(center_services.facet_lines(self.kb, center, facet)), (ALL_OFFICES, NAV_MENU))]
        if focus.kind == SITUATION:
            return self._situation_facet(turn, focus.id, facet)
        return [await self._service_facet(turn, self.kb.services[focus.id], facet)]

    def opened(self, state: DialogState, situation: str, hits: list[SearchHit]) -> None:
        """A situation was opened by words that also clearly name one, and only one, of its services
        («загубив айді картку»): that service is what follow-ups are about («народження дитини» names several
        equally: the situation stays in focus; «новий суб'єкт новий об'єкт» names the situation far better than
        the one service it shares words with: it stays too)."""
        bundled = {r.service for r in self.kb.situations[situation].services}
        named = sorted((h for h in hits if h.kind == "service" and h.id in bundled), key=lambda h: -h.score)
        own = next((h.score for h in hits if h.kind == "situation" and h.id == situation), 0.0)
        if not named or named[0].score < max(CONFIDENT_SCORE, own - CONFIDENT_MARGIN):
            return
        if len(named) == 1 or named[0].score - named[1].score >= CONFIDENT_MARGIN:
            put(state, SERVICE, named[0].id)

    def how_much(self, state: DialogState) -> Facet:
        """What «скільки» alone asks about the thing in focus: a payment's amount, else the price."""
        focus = self.focus(state)
        if focus is None or self._center(focus) is not None:
            return Facet.PRICE
        if focus.kind == SITUATION:
            bundled = [self.kb.services[r.service] for r in self.kb.situations[focus.id].services]
            return Facet.AMOUNT if any(s.amount for s in bundled) else Facet.PRICE
        return Facet.AMOUNT if self.kb.services[focus.id].amount else Facet.PRICE

    def listed(self, state: DialogState, hits: list[SearchHit], first: SearchHit | None) -> None:
        """Search results were listed: the `first` of them that stands out (a confident match that did not open,
        being inside another dialog, or a clear first hit) is what follow-ups are about now."""
        if first is None:
            return
        put(state, SERVICE if first.kind == "service" else SITUATION, first.id)
        if first.kind == "situation":
            self.opened(state, first.id, hits)

    def about_focus(self, state: DialogState, found: list[str], clear: bool) -> bool:
        """Whether a facet question whose words found these services and situations (none of them as a
        confident match) is about the thing in focus: it is among them («скільки чекати виплату» about the
        birth assistance in focus), or one of the situation's services is; or the words name nothing `clear`ly
        («і як довго чекати рішення»)."""
        focus = self.focus(state)
        if focus is None:
            return False
        if focus.kind != SITUATION:
            return focus.id in found or not clear
        bundled = {s.id for s in self._situation_services(state, focus.id)} | {focus.id}
        return bool(bundled & set(found)) or not clear

    async def _listed(self, turn: Turn) -> list[Service]:
        """The services whose cards the bot's last reply offered (a list of search results), if it did."""
        lines = await turn.uow.messages.recent(turn.user.id, LOG_LINES)
        last = [line for line in lines[:-1] if line.direction == "out"][-1:]  # the citizen's line now is last
        ids: list[str] = []
        for row in (last[0].buttons or []) if last else []:
            for button in row:
                action, _, rest = button.get("payload", "").partition(":")
                ident = rest.split(":")[0]
                if action == Action.SERVICE and ident in self.kb.services and ident not in ids:
                    ids.append(ident)
        return [self.kb.services[i] for i in ids[:LIST_CHOICES]]

    @staticmethod
    def _section_rows(services: list[Service], facet: Facet) -> list[Row]:
        """A button a service: the card's section that answers the facet."""
        section = SECTION_OF[facet]
        return [
            (_b(f"{SECTIONS[section].split()[0]} {s.short_title}", Action.SERVICE, s.id, section),)
            for s in services
        ]

    def _which_rows(self) -> tuple[Row, ...]:
        return (
            (_b(texts.MENU_SERVICES, Action.MENU, "svc"),),
            (_b(texts.MENU_SITUATIONS, Action.MENU, "sit"),),
            NAV_MENU,
        )

    def _ready(self, state: DialogState, focus: Focus) -> list[Reply]:
        if (center := self._center(focus)) is not None:  # «а коли приїдуть?»
            return [Reply(fit(center_services.facet_lines(self.kb, center, None)), (ALL_OFFICES, NAV_MENU))]
        if focus.kind == SITUATION:
            services = self._situation_services(state, focus.id)
            return [self._situation_list(focus.id, services, Facet.TERM, texts.READY_CHECK)]
        service = self.kb.services[focus.id]
        term = f"⏱ Строк: {term_text(service.term)}." if service.term else "Строк уточніть у Центрі."
        text = fit([f"**{service.short_title}**", term, texts.READY_CHECK])
        return [Reply(text, self._service_rows(state, service, Facet.TERM))]

    def _service_rows(self, state: DialogState, service: Service, facet: Facet) -> tuple[Row, ...]:
        """The whole section behind the short answer, the card's dialog unless the citizen is in it."""
        rows: list[Row] = [(_b(SECTIONS[SECTION_OF[facet]], Action.SERVICE, service.id, SECTION_OF[facet]),)]
        if state.scenario is None:
            rows.append((_b(texts.MY_CHECKLIST, Action.SERVICE, service.id),))
        return (*rows, NAV_MENU)

    async def _service_facet(self, turn: Turn, service: Service, facet: Facet) -> Reply:
        head = f"**{service.short_title}**"
        lines: list[str]
        if facet in (Facet.PRICE, Facet.AMOUNT):  # a payment's amount is never taken for its fee
            lines = facet_text(self.kb, service, facet, self.martial_law).split("\n")[1:]
        elif facet == Facet.TERM:
            if service.term is None:
                lines = ["Строк уточніть у Центрі."]
            else:
                lines = [f"⏱ Строк: {term_text(service.term)}.", *service.term.notes]
        elif facet in (Facet.WHERE, Facet.HOURS):
            office = await self.office(turn, Focus(SERVICE, service.id))
            lines = self.office_lines(office, turn.now) if office else [texts.ASK_HOTLINE]
            if facet == Facet.WHERE and service.online:
                lines.insert(1, texts.ONLINE_TOO)
        elif facet == Facet.ONLINE:
            lines = online_lines(service)
        elif facet == Facet.DOCS:
            lines = [fit(docs_lines(service), MAX_REPLY - 120), texts.DOCS_PERSONAL]
        elif facet == Facet.ABOUT:
            lines = [service.summary]
        else:
            lines = service_section(self.kb, service, "result", self.martial_law).split("\n")[1:]
        return Reply(fit([head, *lines]), self._service_rows(turn.state, service, facet))

    def _situation_facet(self, turn: Turn, situation: str, facet: Facet) -> list[Reply]:
        services = self._situation_services(turn.state, situation)
        if facet in (Facet.PRICE, Facet.TERM, Facet.AMOUNT):
            return [self._situation_list(situation, services, facet)]
        told = self.kb.situations[situation]
        title, rows = told.title, self._section_rows(services[:SITUATION_CHOICES], facet)
        if facet == Facet.ABOUT or (facet == Facet.WHERE and told.where):  # what it is; where (the package's)
            return [Reply(fit([f"**{title}**", *([told.summary] if facet == Facet.ABOUT else told.where)]), (*rows, NAV_MENU))]
        if facet == Facet.DOCS:
            sc = self._situation_scenario(situation)
            if sc is not None and turn.state.scenario == sc.id:  # what is certain so far, then «Продовжити»
                answers = turn.state.answers
                sure = [f"• {d.title}" for d in needed_so_far(self.views.checklist(sc, answers), answers)]
                lines = [texts.SITUATION_DOCS_SO_FAR, *sure] if sure else []
                return [Reply(fit([f"**{title}**", texts.SITUATION_DOCS_HERE, *lines]), (NAV_MENU,))]
            mine: list[Row] = [(_b(texts.MY_CHECKLIST, Action.SITUATION, sc.id),)] if sc else []
            return [Reply(fit([f"**{title}**", texts.SITUATION_DOCS]), (*mine, NAV_MENU))]
        return [Reply(f"**{title}**\n{texts.WHICH_OF_SITUATION}", (*rows, NAV_MENU))]

    def _situation_list(self, situation: str, services: list[Service], facet: Facet, tail: str = "") -> Reply:
        """One line per service: its fee, its term or (of the payments only) its amount."""
        lines = [f"**{self.kb.situations[situation].title}**"]
        listed: list[Service] = []
        for s in services:
            if facet == Facet.AMOUNT:  # what applying costs is a separate question
                if (amount := amount_line(s)) is None:
                    continue
                value = amount.removeprefix("💰 ")
            elif facet == Facet.PRICE:
                value = fee_text(s.fee) if s.fee else "уточніть у Центрі"
            else:
                value = term_text(s.term) if s.term else "уточніть у Центрі"
            lines.append(f"• {s.short_title} — {value}")
            listed.append(s)
        if not listed:
            lines.append(texts.NO_PAYMENTS)
        if tail:
            lines.append(tail)
        rows = [(_b(f"📋 {s.short_title}", Action.SERVICE, s.id, SECTION_OF[facet]),) for s in listed[:3]]
        return Reply(fit(lines), (*rows, NAV_MENU))


_INTENT_FACET: dict[Intent, str] = {
    Intent.HOURS: Facet.HOURS,
    Intent.CONTACTS: Facet.WHERE,
    Intent.PHONES: "phones",
}
