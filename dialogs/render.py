"""Knowledge facts as short Ukrainian texts for citizens (channel-neutral plain text)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from dialogs import offices, texts
from dialogs.checklist import Checklist, ChecklistItem
from knowledge.loader import Knowledge
from knowledge.schema import AmountKind, Fee, Form, Office, Regime, Service, Term, TermUnit

MAX_PART = 3500  # every channel shows this much in one message (Telegram 4096, Viber 7000)

_UNITS = {
    TermUnit.WORKING_DAYS: ("робочий день", "робочі дні", "робочих днів"),
    TermUnit.CALENDAR_DAYS: ("календарний день", "календарні дні", "календарних днів"),
    TermUnit.MONTHS: ("місяць", "місяці", "місяців"),
}
_FORMS = {
    Form.ORIGINAL: "оригінал",
    Form.COPY: "копія",
    Form.ORIGINAL_AND_COPY: "оригінал і копія",
}


def plural(n: int, forms: tuple[str, str, str]) -> str:
    """Ukrainian noun form for a number: 1 день, 2 дні, 5 днів, 21 день."""
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def term_text(term: Term) -> str:
    if term.unit == TermUnit.ON_APPLICATION or term.value is None:
        return term.text
    prefix = "до " if term.text.lower().startswith("до ") else ""
    return f"{prefix}{term.value} {plural(term.value, _UNITS[term.unit])}"


def fee_text(fee: Fee) -> str:
    if fee.free:
        return "безоплатно"
    if fee.amount_uah is None:
        return fee.text
    return f"{fee.amount_uah:.2f}".replace(".", ",").removesuffix(",00") + " грн"  # 0,51 грн; 73 грн


def _fee_whole(fee: Fee) -> str:
    """The fee asked about on its own: the card's own words when they name more than one sum (an urgent ID card
    costs more), else `fee_text`."""
    return fee.text.strip() if fee.text and fee.text.count("грн") > 1 else fee_text(fee)


AMOUNT_LABELS = {  # the amount's name, and who gives it
    AmountKind.PAYMENT: ("Сума виплати", "Виплачує"),
    AmountKind.COMPENSATION: ("Сума компенсації", "Відшкодовує"),
    AmountKind.DISCOUNT: ("Розмір пільги", "Надає"),
}


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?", "»")) else text + "."


def fee_line(service: Service) -> str:
    """What applying costs, said so that it cannot be taken for the amount of a payment."""
    if service.fee is None:
        return "💳 Чи платне оформлення, джерела не кажуть."
    if service.fee.free:
        return "💳 Оформлення безоплатне."
    return f"💳 Вартість оформлення: {fee_text(service.fee)}."


def amount_line(service: Service) -> str | None:
    """«💰 Сума виплати: …» of a payment service; None for a service that pays nothing."""
    amount = service.amount
    if amount is None:
        return None
    label = AMOUNT_LABELS[amount.kind][0]
    if amount.text is None:
        return f"💰 {label}: її визначає не Центр — уточніть на гарячій лінії {texts.HOTLINE}."
    return f"💰 {label}: {_sentence(amount.text)}"


def amount_text(service: Service, *, brief: bool = False) -> str:
    """The answer to «скільки платять»: the amount, who pays and decides it, the source's date, and the fee
    apart from it; for a service that pays nothing, a kind word that it is not a payment, and its fee.
    `brief`: the amount, who pays and the date only (one of several services a question may mean)."""
    amount = service.amount
    if amount is None:
        fee = fee_text(service.fee) if service.fee else "уточніть у Центрі"
        if brief:
            return f"Це не виплата; вартість оформлення: {fee}."
        return f"Ця послуга — не виплата, тож суми допомоги за нею немає.\n💳 Вартість оформлення: {fee}."
    lines = [amount_line(service) or "", f"🏦 {AMOUNT_LABELS[amount.kind][1]}: {_sentence(amount.paid_by)}"]
    if not brief:
        lines.append(f"⚖️ Вирішує: {_sentence(amount.decided_by)}")
    if amount.source.as_of is not None:
        host = urlsplit(amount.source.url or "").netloc.removeprefix("www.")
        where = f" ({host})" if host and not brief else ""
        lines.append(f"📅 Дані джерела від {amount.source.as_of:%d.%m.%Y}{where}.")
    if not brief:
        lines += [fee_line(service), f"☎️ Уточнити: {texts.HOTLINE} (безкоштовно)."]
    return "\n".join(lines)


def office_text(office: Office, martial_law: bool) -> str:
    office = offices.current(office)
    lines = [f"📍 {office.name}"]
    if office.address:
        # How other sources write the same address (knowledge: the cards' field 1), never called a «former»
        # name: no source says the street was renamed.
        former = f" (у частині карток послуг — {office.address_aliases[0]})" if office.address_aliases else ""
        lines.append(f"Адреса: {office.address}{former}")
    if hours := schedule_text(office, martial_law):
        lines.append(f"Графік: {hours}")
    if office.how_to_reach:
        lines.append(f"Як дістатися: {office.how_to_reach}")
    if office.accessibility:
        lines.append(f"Доступність: {office.accessibility}")
    if office.phones:
        lines.append("Телефони: " + ", ".join(office.phones))
    if office.email:
        lines.append(f"E-mail: {office.email}")
    lines += [f"ℹ️ {note}" for note in office.notes]
    return "\n".join(lines)


def _bullets(items: list[str]) -> str:
    return "\n".join(f"• {i}" for i in items)


def service_summary(service: Service) -> str:
    lines = [f"**{service.title}**", "", service.summary]
    if service.term:
        lines.append(f"⏱ Строк: {term_text(service.term)}")
    if service.fee:
        lines.append(f"💳 Вартість: {fee_text(service.fee)}")
    if amount := amount_line(service):
        lines.append(amount)
    if service.card:
        lines.append(f"Інформаційна картка № {service.card}")
    else:
        lines.append("ℹ️ Відомості з публічних джерел; уточніть у Центрі або на гарячій лінії.")
    return "\n".join(lines)


def document_line(title: str, form: Form, condition: str | None, optional: bool) -> str:
    extra = [
        x for x in (_FORMS.get(form), condition, "за бажанням або за наявності" if optional else None) if x
    ]
    return f"{title}" + (f" — {'; '.join(extra)}" if extra else "")


SECTIONS = {
    "docs": "📄 Документи",
    "term": "⏱ Строк і вартість",
    "where": "📍 Де і коли",
    "result": "✅ Результат",
    "refuse": "⛔ Підстави для відмови",
}


def service_section(kb: Knowledge, service: Service, section: str, martial_law: bool) -> str:
    """One section of a service card; empty string for an unknown section."""
    head = f"**{service.short_title}**\n"
    if section == "docs":
        # On demand, the card's own wording goes with each title: the details are what the citizen brings.
        docs = [
            document_line(d.title, d.form, d.condition, d.optional)
            + (f" ({d.note})" if d.note else "")
            + (
                f"\n   {d.details}"
                if d.details and d.details.strip(" .").lower() != d.title.strip(" .").lower()
                else ""
            )
            for d in service.documents
        ]
        body = _bullets(docs) if docs else "Перелік документів уточніть у Центрі."
        notes = "\n\n" + "\n".join(service.documents_notes) if service.documents_notes else ""
        return f"{head}Документи:\n{body}{notes}"
    if section == "term":
        lines = []
        if service.term:
            lines += [f"Строк: {term_text(service.term)}.", *service.term.notes]
        if service.fee:
            lines.append(f"Вартість: {fee_text(service.fee)}.")
        if amount := amount_line(service):
            lines.append(amount)
        return head + ("\n".join(lines) or "Строк і вартість уточніть у Центрі.")
    if section == "where":
        offices = [o for o in kb.contacts.offices if o.id in service.offices]
        parts = [office_text(o, martial_law) for o in offices]
        if service.mobile:
            parts.append(service.mobile)
        if service.submission:
            parts.append("Як подати:\n" + _bullets(service.submission))
        return head + ("\n\n".join(parts) or "Уточніть на гарячій лінії Центру.")
    if section == "result":
        parts = []
        if service.result:
            parts.append("Результат:\n" + _bullets(service.result))
        if service.receive:
            parts.append("Як отримати:\n" + _bullets(service.receive))
        return head + ("\n\n".join(parts) or "Уточніть у Центрі.")
    if section == "refuse":
        return head + (
            _bullets(service.refusal_grounds) if service.refusal_grounds else "Картка не наводить підстав."
        )
    return ""


def main_office(kb: Knowledge) -> Office | None:
    """The Center's main office, if the data has one."""
    return next((o for o in kb.contacts.offices if o.main), None)


def schedule_text(office: Office, martial_law: bool) -> str | None:
    """The office's hours in the regime in force (martial law or normal); the staff's, when they set them."""
    if staff_hours := offices.hours(office.id):
        return staff_hours
    regime = Regime.MARTIAL_LAW if martial_law else Regime.NORMAL
    schedule = next((s for s in office.schedules if s.regime == regime), None) or next(
        iter(office.schedules), None
    )
    return schedule.text if schedule else None


def office_brief(office: Office, martial_law: bool) -> str:
    """Where and when, in two or three lines: the end of a checklist."""
    office = offices.current(office)
    lines = [f"📍 {office.short_name or office.name}" + (f": {office.address}" if office.address else "")]
    hours = schedule_text(office, martial_law)
    lines.append(
        f"🕒 {hours}"
        if hours
        else f"🕒 Де і коли зараз приймають, уточніть на гарячій лінії {texts.HOTLINE}."
    )
    return "\n".join(lines)


def service_facts(service: Service) -> str:
    """«15 робочих днів · безоплатно»: the term with its unit and the fee."""
    return " · ".join(
        x
        for x in (
            term_text(service.term) if service.term else None,
            fee_text(service.fee) if service.fee else None,
        )
        if x
    )


def _doc_lines(items: list[ChecklistItem]) -> list[str]:
    return [
        f"• {document_line(d.title, d.form, d.condition, d.optional)}" + (f" ({d.note})" if d.note else "")
        for d in items
    ]


def checklist_text(kb: Knowledge, checklist: Checklist, martial_law: bool) -> str:
    """The personal checklist: documents grouped by service, then where, when, how long and how much."""
    sit = checklist.situation
    services = checklist.services
    lines = [f"✅ **Ваш перелік: {sit.title}**"]
    if len(services) == 1:
        service, _ = services[0]
        if service.id != sit.id:  # one service of a package: name it
            lines.append(f"**{service.short_title}**")
        if facts := service_facts(service):
            lines.append(f"⏱ {facts}")
        lines += ["", "Візьміть із собою:", *_doc_lines(checklist.documents)]
        lines += [f"ℹ️ {n}" for n in service.documents_notes]
    else:
        shared = [d for d in checklist.documents if len(d.services) != 1]
        if shared and not services:
            lines += ["", "Візьміть із собою:", *_doc_lines(shared)]
        elif shared:
            every = all(not d.services or len(d.services) == len(services) for d in shared)
            lines += ["", "**Для всіх послуг:**" if every else "**Для кількох послуг:**", *_doc_lines(shared)]
        for i, (service, certain) in enumerate(services, start=1):
            mark = "" if certain else " (якщо стосується вас)"
            facts = service_facts(service)
            lines += ["", f"**{i}. {service.short_title}**{mark}" + (f" — {facts}" if facts else "")]
            own = [d for d in checklist.documents if d.services == (service.id,)]
            lines += _doc_lines(own)
            lines += [f"ℹ️ {n}" for n in service.documents_notes]
    if not services and not checklist.documents:
        lines += ["", texts.NO_SERVICE_NEEDED]
    elif not checklist.documents:
        lines += ["", "Перелік документів уточніть на гарячій лінії " + texts.HOTLINE + "."]
    lines += ["", "**Що далі**"]
    lines += [f"• {w}" for w in sit.where]
    ids = {o for s, _ in services for o in s.offices}
    offices = [o for o in kb.contacts.offices if o.id in ids]
    if not offices and (main := main_office(kb)) is not None:
        offices = [main]
    lines += [office_brief(o, martial_law) for o in offices]
    if sit.term:
        lines.append(f"⏱ {sit.term}")
    if sit.fee and not all(s.fee for s, _ in services):  # each service's fee is already named above
        lines.append(f"💳 {sit.fee}")
    if sit.result:
        lines += ["", "Результат:", *(f"• {r}" for r in sit.result)]
    lines += ["", f"☎️ Запитання — на безкоштовну гарячу лінію {texts.HOTLINE}."]
    if any(s.source.certainty != "official" for s, _ in services):
        lines.append("ℹ️ Частина відомостей — з публічних джерел; перед візитом уточніть на гарячій лінії.")
    return "\n".join(lines)


def wording_text(checklist: Checklist) -> str:
    """The source's exact wording of each document on the checklist («📜 Точне формулювання»)."""
    parts = [f"📜 **Точне формулювання: {checklist.situation.title}**"]
    for d in checklist.documents:
        parts.append(f"• {d.title}\n{d.details}" if d.details else f"• {d.title}")
    return "\n\n".join(parts)


def facet_text(kb: Knowledge, service: Service, facet: str, martial_law: bool, *, brief: bool = False) -> str:
    """The answer to a question about one facet of a service: amount, price, term, docs, where, hours or
    result (`brief`: a shorter amount, when the answer lists several services)."""
    head = f"**{service.short_title}**\n"
    if facet == "amount":
        return head + amount_text(service, brief=brief)
    if facet == "price":
        if amount := amount_line(service):  # a payment: what applying costs is not what it pays
            ask = f"\n☎️ Уточнити: {texts.HOTLINE} (безкоштовно)." if service.fee is None else ""
            return head + fee_line(service) + "\n" + amount + ask
        return head + (
            f"💳 Вартість: {_sentence(_fee_whole(service.fee))}" if service.fee else "Вартість уточніть у Центрі."
        )
    if facet == "term":
        if service.term is None:
            return head + "Строк уточніть у Центрі."
        return head + "\n".join([f"⏱ Строк: {term_text(service.term)}.", *service.term.notes])
    if facet == "hours":
        ids = set(service.offices)
        offices = [o for o in kb.contacts.offices if o.id in ids] or [o for o in [main_office(kb)] if o]
        return head + (
            "\n\n".join(office_brief(o, martial_law) for o in offices) or "Графік уточніть на гарячій лінії."
        )
    if facet == "result":
        return service_section(kb, service, "result", martial_law)
    if facet == "online":
        return head + "\n".join(online_lines(service))
    if facet == "docs":
        return head + "\n".join([*docs_lines(service), texts.DOCS_PERSONAL])
    return service_section(kb, service, "where", martial_law)


def docs_lines(service: Service) -> list[str]:
    """The card's documents, one line each (those of some cases only marked so): a short answer to «які
    документи»; the personal list is the checklist's."""
    titles = [
        f"• {d.title}" + (" (за потреби)" if d.condition or d.optional else "") for d in service.documents
    ]
    return [texts.DOCS_HEAD, *titles] if titles else ["Перелік документів уточніть у Центрі."]


# «Дія» the portal, capitalised; «дія Закону» (the law's effect) is not a way to apply online.
ONLINE_WORDS = re.compile(r"(?-i:\bДі[яїю]\b)|онлайн|портал|електронн", re.IGNORECASE)


def online_lines(service: Service) -> list[str]:
    """Whether the service can be applied for online, and how (the card's ways of applying that say so)."""
    if not service.online:
        return [texts.ONLINE_NO if service.card else texts.ONLINE_UNKNOWN]
    return [texts.ONLINE_YES, *(f"• {s}" for s in service.submission if ONLINE_WORDS.search(s))]


def split(text: str, limit: int = MAX_PART) -> list[str]:
    """Split a long text into readable parts of at most `limit` characters, at line, then word, boundaries."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        if len(line) > limit:  # an overlong line: close what was gathered, then cut the line at spaces
            if current:
                parts.append(current)
                current = ""
            while len(line) > limit:
                cut = line.rfind(" ", 0, limit)
                cut = cut if cut > 0 else limit
                parts.append(line[:cut])
                line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        parts.append(current)
    return parts
