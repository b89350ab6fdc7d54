"""Builders of the engine's replies: menus, steps, service cards, contacts, search results."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialogs import texts
from dialogs.checklist import Checklist, build_checklist
from dialogs.hours import schedules_of
from dialogs.messages import Button, Reply
from dialogs.payloads import Action, pack
from dialogs.render import (
    SECTIONS,
    checklist_text,
    facet_text,
    office_text,
    service_facts,
    service_section,
    service_summary,
    split,
    wording_text,
)
from dialogs.rooms import Rooms, Row
from dialogs.scenario import UNKNOWN, Scenario, Step, StepKind
from knowledge.loader import Knowledge
from knowledge.schema import LifeSituation, Office
from knowledge.search import SearchHit

VETERAN_SITUATION = "ya-veteran"
CARD = "card"  # the «section» that is the card's summary again, reached from a section (edited in place)
OPEN = "open"  # the card's summary opened beside a checklist or a question (a new message)


def _b(text: str, action: Action, *args: str) -> Button:
    return Button(text, pack(action, *args))


NAV_MENU: Row = (_b(texts.MENU, Action.MENU),)


@dataclass(frozen=True)
class Views:
    kb: Knowledge
    scenarios: dict[str, Scenario]
    packages: dict[str, LifeSituation]  # what each scenario's checklist is built from, by scenario id
    martial_law: bool = True
    rooms: Rooms = field(default_factory=Rooms)  # the engine's rooms: their buttons are offered
    # Search results by the entries found: a small domain (≤ 5 of a few dozen entries), so it repeats often.
    _found: dict[tuple[tuple[tuple[str, str], ...], bool], list[Reply]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def main_menu(self, prefix: str = "") -> list[Reply]:
        text = f"{prefix}\n\n{texts.WELCOME}" if prefix else texts.WELCOME
        rows: list[Row] = [
            (_b(texts.MENU_SITUATIONS, Action.MENU, "sit"),),
            (_b(texts.MENU_SERVICES, Action.MENU, "svc"),),
            (_b(texts.MENU_VETERAN, Action.SITUATION, VETERAN_SITUATION),),
            *self.rooms.menu_rows(),
            (_b(texts.MENU_CONTACTS, Action.MENU, "contacts"),),
        ]
        return [Reply(text, tuple(rows))]

    def situations(self) -> list[Reply]:
        rows = [(_b(sc_title, Action.SITUATION, sc_id),) for sc_id, sc_title in self._scenario_titles()]
        return [Reply(texts.CHOOSE_SITUATION, (*rows, NAV_MENU), replace=True)]

    def _scenario_titles(self) -> list[tuple[str, str]]:
        return [(sc.id, self.packages[sc.id].title) for sc in self.scenarios.values() if sc.card is None]

    def services(self) -> list[Reply]:
        """The services menu: its groups (every service is in one), each a list that fits a phone screen."""
        groups = self.kb.contacts.groups
        if not groups:  # data without groups: one alphabetical list
            ordered = sorted(self.kb.services.values(), key=lambda s: s.short_title)
            rows = [(_b(s.short_title, Action.SERVICE, s.id),) for s in ordered]
            return [Reply(texts.CHOOSE_SERVICE, (*rows, NAV_MENU), replace=True)]
        rows = [(_b(g.title, Action.MENU, "svc", g.id),) for g in groups]
        return [Reply(texts.CHOOSE_GROUP, (*rows, NAV_MENU), replace=True)]

    def service_group(self, group_id: str) -> list[Reply] | None:
        group = next((g for g in self.kb.contacts.groups if g.id == group_id), None)
        if group is None:
            return None
        rows = [(_b(self.kb.services[s].short_title, Action.SERVICE, s),) for s in group.services]
        back = (_b(texts.BACK, Action.MENU, "svc"), *NAV_MENU)
        return [Reply(f"**{group.title}**\n{texts.CHOOSE_SERVICE}", (*rows, back), replace=True)]

    def contacts(self, prefix: str = "", *, replace: bool = True) -> list[Reply]:
        """The Center's hotlines and offices (the main office first), hours of the regime in force."""
        c = self.kb.contacts
        parts = [prefix] if prefix else []
        parts += [texts.CONTACTS_HEAD, c.center, ""]
        for h in c.hotlines:
            free = " (безкоштовно)" if h.free else ""
            parts.append(f"☎️ {h.name}: {h.phone}{free}" + (f"\n{h.schedule}" if h.schedule else ""))
        offices = [self._with_hours(o) for o in sorted(c.offices, key=lambda o: not o.main)]
        parts += ["", *(office_text(o, self.martial_law) + "\n" for o in offices)]
        parts += [f"🔹 {s.name}: {s.description}" for s in c.services]
        return self._long("\n".join(parts), (NAV_MENU,), replace=replace)

    def _with_hours(self, office: Office) -> Office:
        """The office with the hours staff set in the console, or those booking.yaml assumes for it when
        contacts.yaml publishes none (their text says they are approximate); dialogs/hours.py `schedules_of`."""
        schedules, _ = schedules_of(self.kb, office)
        return office.model_copy(update={"schedules": schedules}) if schedules != office.schedules else office

    def step(self, scenario: Scenario, step: Step, answers: dict[str, str], can_go_back: bool) -> list[Reply]:
        nav = ((_b(texts.BACK, Action.BACK), *NAV_MENU),) if can_go_back else (NAV_MENU,)
        if step.kind == StepKind.QUESTION:
            question = self.kb.questions[step.question or ""]
            rows: list[Row] = [
                (_b(o.label, Action.ANSWER, scenario.id, step.id, o.value),) for o in question.options
            ]
            if question.allow_unknown:
                rows.append((_b(texts.UNKNOWN_ANSWER, Action.ANSWER, scenario.id, step.id, UNKNOWN),))
            if scenario.card is not None:  # the card's full sections stay one tap away
                rows.append((_b(texts.WHOLE_CARD, Action.SERVICE, scenario.card, OPEN),))
            text = step.text or question.text
            if question.help:
                text += f"\n\nℹ️ {question.help}"
            return [Reply(text, (*rows, *nav))]
        if step.kind == StepKind.INFO:
            return [Reply(step.text or "", ((_b(texts.NEXT, Action.NEXT, scenario.id, step.id),), *nav))]
        if step.kind == StepKind.CHECKLIST:
            checklist = self.checklist(scenario, answers)
            more: list[Row] = []
            if any(d.details for d in checklist.documents):
                more.append((_b(texts.EXACT_WORDING, Action.WORDING),))
            more += [(_b(f"📖 {s.short_title}", Action.SERVICE, s.id, CARD),) for s, _ in checklist.services]
            services = [s for s, _ in checklist.services]
            more += self.rooms.checklist_rows(self.packages[scenario.id], services)  # what to do next
            more.append((_b(texts.HOTLINE_BUTTON, Action.MENU, "contacts"),))
            end = ((_b(texts.BACK, Action.BACK), _b(texts.RESTART, Action.RESTART), *NAV_MENU),)
            end = end if can_go_back else ((_b(texts.RESTART, Action.RESTART), *NAV_MENU),)
            return self._long(checklist_text(self.kb, checklist, self.martial_law), (*more, *end))
        return [Reply(step.text or "", nav)]

    def checklist(self, scenario: Scenario, answers: dict[str, str]) -> Checklist:
        return build_checklist(self.kb, self.packages[scenario.id], answers)

    def wording(self, scenario: Scenario, answers: dict[str, str]) -> list[Reply]:
        """The exact wording of the checklist's documents, with the way back to the checklist."""
        back = (_b(texts.BACK_TO_CHECKLIST, Action.RESUME), *NAV_MENU)
        return self._long(wording_text(self.checklist(scenario, answers)), (back,))

    def card_intro(self, scenario: Scenario) -> Reply:
        """The first words of a card's dialog: what the service is, how long and how much."""
        service = self.kb.services[scenario.card or ""]
        lines = [f"**{service.title}**", service.summary]
        if facts := service_facts(service):
            lines.append(f"⏱ {facts}")
        if any(st.kind == StepKind.QUESTION for st in scenario.steps):
            lines += ["", texts.CARD_QUESTIONS]
        return Reply("\n".join(lines))

    def facets(self, service_ids: list[str], facet: str) -> list[Reply]:
        """One facet of several services a question may mean (the price of a passport: lost or renamed)."""
        if len(service_ids) == 1:
            return self.facet(service_ids[0], facet)
        text = "\n\n".join(
            facet_text(self.kb, self.kb.services[s], facet, self.martial_law, brief=True) for s in service_ids
        )
        rows = [(_b(f"📋 {self.kb.services[s].short_title}", Action.SERVICE, s),) for s in service_ids]
        return self._long(text, (*rows, NAV_MENU))

    def facet(self, service_id: str, facet: str) -> list[Reply]:
        """A typed question about one facet of a service, answered, with the way on."""
        service = self.kb.services[service_id]
        rows = (
            (_b(texts.MY_CHECKLIST, Action.SERVICE, service.id),),
            (_b(texts.WHOLE_CARD, Action.SERVICE, service.id, OPEN),),
            NAV_MENU,
        )
        return [Reply(facet_text(self.kb, service, facet, self.martial_law), rows)]

    def service(self, service_id: str, *, replace: bool = False) -> list[Reply]:
        """The whole card: its summary and its sections, one tap each; and the way to the personal list."""
        service = self.kb.services[service_id]
        rows: list[Row] = [(_b(texts.MY_CHECKLIST, Action.SERVICE, service.id),)]
        rows += self.rooms.card_rows(service)
        rows += [(_b(label, Action.SERVICE, service.id, key),) for key, label in SECTIONS.items()]
        text = service_summary(service) + "\n\n" + texts.CHOOSE_SECTION
        return [Reply(text, (*rows, NAV_MENU), replace=replace)]

    def service_section(self, service_id: str, section: str) -> list[Reply]:
        service = self.kb.services[service_id]
        text = service_section(self.kb, service, section, self.martial_law)
        back = (_b(texts.BACK, Action.SERVICE, service.id, CARD), *NAV_MENU)
        return self._long(text, (back,), replace=True)

    def search_results(self, hits: list[SearchHit], resume: bool) -> list[Reply]:
        key = (tuple((h.kind, h.id) for h in hits), resume)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = self._search_results(hits, resume)
            if len(self._found) > 4096:
                self._found.pop(next(iter(self._found)))  # the oldest
        return list(found)

    def hit_button(self, hit: SearchHit) -> Button | None:
        """The button that opens a search hit: a situation's dialog or a card's."""
        if hit.kind == "situation":
            sc = next((s for s in self.scenarios.values() if s.situation == hit.id and s.card is None), None)
            return _b(f"🧭 {hit.title}", Action.SITUATION, sc.id) if sc else None
        return _b(f"📋 {self.kb.services[hit.id].short_title}", Action.SERVICE, hit.id)

    def _search_results(self, hits: list[SearchHit], resume: bool) -> list[Reply]:
        rows: list[Row] = [(b,) for hit in hits if (b := self.hit_button(hit)) is not None]
        tail = ((_b(texts.RESUME, Action.RESUME),),) if resume else ()
        return [Reply(texts.FOUND, (*rows, *tail, NAV_MENU))]

    def forget_confirm(self) -> list[Reply]:
        rows = ((_b(texts.FORGET_YES, Action.FORGET, "yes"),), (_b(texts.FORGET_NO, Action.FORGET, "no"),))
        return [Reply(texts.FORGET_CONFIRM, rows)]

    def _long(self, text: str, last_rows: tuple[Row, ...], *, replace: bool = False) -> list[Reply]:
        parts = split(text)
        # Only a single message can stand in for the one it replaces.
        replace = replace and len(parts) == 1
        return [
            Reply(p, last_rows if i == len(parts) - 1 else (), replace=replace) for i, p in enumerate(parts)
        ]
