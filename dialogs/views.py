"""Builders of the engine's replies: menus, steps, service cards, contacts, search results."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialogs import texts
from dialogs.checklist import build_checklist
from dialogs.messages import Button, Reply
from dialogs.payloads import Action, pack
from dialogs.render import SECTIONS, checklist_text, office_text, service_section, service_summary, split
from dialogs.scenario import UNKNOWN, Scenario, Step, StepKind
from knowledge.loader import Knowledge
from knowledge.search import SearchHit

VETERAN_SITUATION = "ya-veteran"
CARD = "card"  # the «section» that is the card's summary again, reached from a section

Row = tuple[Button, ...]


def _b(text: str, action: Action, *args: str) -> Button:
    return Button(text, pack(action, *args))


NAV_MENU: Row = (_b(texts.MENU, Action.MENU),)


@dataclass(frozen=True)
class Views:
    kb: Knowledge
    scenarios: dict[str, Scenario]
    martial_law: bool = True
    # Search results by the entries found: a small domain (≤ 5 of a few dozen entries), so it repeats often.
    _found: dict[tuple[tuple[tuple[str, str], ...], bool], list[Reply]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def main_menu(self, prefix: str = "") -> list[Reply]:
        text = f"{prefix}\n\n{texts.WELCOME}" if prefix else texts.WELCOME
        rows = [
            (_b(texts.MENU_SITUATIONS, Action.MENU, "sit"),),
            (_b(texts.MENU_SERVICES, Action.MENU, "svc"),),
            (_b(texts.MENU_VETERAN, Action.SITUATION, VETERAN_SITUATION),),
            (_b(texts.MENU_CONTACTS, Action.MENU, "contacts"),),
        ]
        return [Reply(text, tuple(rows))]

    def situations(self) -> list[Reply]:
        rows = [(_b(sc_title, Action.SITUATION, sc_id),) for sc_id, sc_title in self._scenario_titles()]
        return [Reply(texts.CHOOSE_SITUATION, (*rows, NAV_MENU), replace=True)]

    def _scenario_titles(self) -> list[tuple[str, str]]:
        return [(sc.id, self.kb.situations[sc.situation].title) for sc in self.scenarios.values()]

    def services(self) -> list[Reply]:
        cards = sorted((s for s in self.kb.services.values() if s.card), key=lambda s: s.short_title)
        rows = [(_b(s.short_title, Action.SERVICE, s.id),) for s in cards]
        return [Reply(texts.CHOOSE_SERVICE, (*rows, NAV_MENU), replace=True)]

    def contacts(self) -> list[Reply]:
        c = self.kb.contacts
        parts = [texts.CONTACTS_HEAD, c.center, ""]
        parts += [f"☎️ {h.name}: {h.phone}" + (" (безкоштовно)" if h.free else "") for h in c.hotlines]
        parts += ["", *(office_text(o, self.martial_law) + "\n" for o in c.offices)]
        parts += [f"🚐 {s.name}: {s.description}" for s in c.services]
        return self._long("\n".join(parts), (NAV_MENU,), replace=True)

    def step(self, scenario: Scenario, step: Step, answers: dict[str, str], can_go_back: bool) -> list[Reply]:
        nav = ((_b(texts.BACK, Action.BACK), *NAV_MENU),) if can_go_back else (NAV_MENU,)
        if step.kind == StepKind.QUESTION:
            question = self.kb.questions[step.question or ""]
            rows: list[Row] = [
                (_b(o.label, Action.ANSWER, scenario.id, step.id, o.value),) for o in question.options
            ]
            if question.allow_unknown:
                rows.append((_b(texts.UNKNOWN_ANSWER, Action.ANSWER, scenario.id, step.id, UNKNOWN),))
            text = step.text or question.text
            if question.help:
                text += f"\n\nℹ️ {question.help}"
            return [Reply(text, (*rows, *nav))]
        if step.kind == StepKind.INFO:
            return [Reply(step.text or "", ((_b(texts.NEXT, Action.NEXT, scenario.id, step.id),), *nav))]
        if step.kind == StepKind.CHECKLIST:
            situation = self.kb.situations[scenario.situation]
            checklist = build_checklist(self.kb, situation, answers)
            services = [(_b(f"📋 {s.short_title}", Action.SERVICE, s.id),) for s, _ in checklist.services]
            end = ((_b(texts.RESTART, Action.RESTART), *NAV_MENU),)
            replies = self._long(checklist_text(self.kb, checklist, self.martial_law), ())
            return [*replies, Reply(texts.CHECKLIST_DONE, (*services, *end))]
        return [Reply(step.text or "", nav)]  # ACTION steps: rendered by their action (later issues)

    def service(self, service_id: str, *, replace: bool = False) -> list[Reply]:
        service = self.kb.services[service_id]
        rows = [(_b(label, Action.SERVICE, service.id, key),) for key, label in SECTIONS.items()]
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

    def _search_results(self, hits: list[SearchHit], resume: bool) -> list[Reply]:
        rows: list[Row] = []
        for hit in hits:
            if hit.kind == "situation":
                sc = next((s for s in self.scenarios.values() if s.situation == hit.id), None)
                if sc:
                    rows.append((_b(f"🧭 {hit.title}", Action.SITUATION, sc.id),))
            else:
                rows.append((_b(f"📋 {self.kb.services[hit.id].short_title}", Action.SERVICE, hit.id),))
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
