"""Follow-ups about one of the Center's own services that has no card (knowledge/data/contacts.yaml `services`:
the «Мобільний адміністратор» home visit, the mobile office). After «I cannot come in» the home visit is in focus
(`service:mobile-admin`, put there by the care room), so «а це платно?», «скільки чекати?» are answered about
it. Only what contacts.yaml says is stated; what it does not say (a fee, a date) goes to the hotline."""

from __future__ import annotations

from knowledge.loader import Knowledge
from knowledge.schema import ContactService
from knowledge.understand import Facet

NO_FEE = "Чи платний виїзд, у моїх джерелах не сказано — уточніть, будь ласка, на «гарячій» лінії {phone}."
WHEN = "Дату виїзду Центр погоджує з вами телефоном, коли ви залишите заявку."
WHERE = "Адміністратор приїздить до вас — іти нікуди не треба."
DOCS = "Що підготувати, залежить від послуги, яку оформлюєте: напишіть її назву — підкажу перелік."
HOW = "Заявку на виїзд можна залишити тут, у чаті, або на «гарячій» лінії {phone}."
WHO = "Право на виїзд: {who}."


def center_service(kb: Knowledge, ident: str) -> ContactService | None:
    """The Center's own service (contacts.yaml) of this id, if there is one."""
    return next((s for s in kb.contacts.services if s.id == ident), None)


def facet_lines(kb: Knowledge, service: ContactService, facet: Facet | None) -> list[str]:
    """A short answer about the service's facet (None: «when», a READY question), its title first."""
    phone = kb.contacts.hotlines[0].phone if kb.contacts.hotlines else ""
    lines = [f"**{service.name}**"]
    if facet in (Facet.PRICE, Facet.AMOUNT):
        lines.append(NO_FEE.format(phone=phone))
    elif facet in (None, Facet.TERM):
        lines.append(WHEN)
    elif facet in (Facet.WHERE, Facet.HOURS):
        lines.append(WHERE)
    elif facet == Facet.DOCS:
        lines.append(DOCS)
    elif facet == Facet.ONLINE:
        lines.append(HOW.format(phone=phone))
    else:
        lines.append(service.description)
    if service.who and facet != Facet.DOCS:
        lines.append(WHO.format(who=service.who[:1].lower() + service.who[1:]))
    return lines
