"""Canned answers for operators (`/t <key>` in a ticket's topic), made from the knowledge data the bot itself
answers from: the Center's contacts and hours, the hotline, and any service card's documents by its number
(`/t 41-11`) or id. Nothing here is written twice: each text is what the citizen would see in the bot."""

from __future__ import annotations

from dialogs import texts as common
from dialogs.messages import plain
from dialogs.render import service_section
from dialogs.views import Views
from knowledge.loader import Knowledge

KEYS = {
    "hours": "contacts",  # addresses, hours of the regime in force, phones
    "графік": "contacts",
    "address": "contacts",
    "адреса": "contacts",
    "contacts": "contacts",
    "hotline": "hotline",
    "callback": "callback",
}
CALLBACK = (
    "Замовити зворотний дзвінок можна тут, у чаті: напишіть «замовити дзвінок» і оберіть зручний час — "
    "оператор передзвонить."
)


class CannedAnswers:
    def __init__(self, kb: Knowledge, views: Views, *, martial_law: bool) -> None:
        self.kb = kb
        self.views = views
        self.martial_law = martial_law

    @property
    def keys(self) -> list[str]:
        return ["hours", "address", "hotline", "callback", "<номер картки>"]

    def __call__(self, key: str) -> str | None:
        kind = KEYS.get(key)
        if kind == "contacts":
            return plain(self.views.contacts(replace=False)[0].text)
        if kind == "hotline":
            return common.OPERATOR_BY_PHONE
        if kind == "callback":
            return CALLBACK
        service = self.kb.service_by_card(key) or self.kb.services.get(key)
        if service is None:
            return None
        docs = service_section(self.kb, service, "docs", self.martial_law)
        return plain(f"{service.title}\n\n{docs}")
