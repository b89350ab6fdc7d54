"""Knowledge facts as short Ukrainian texts for citizens (channel-neutral plain text)."""

from __future__ import annotations

from dialogs.checklist import Checklist
from knowledge.loader import Knowledge
from knowledge.schema import Fee, Form, Office, Regime, Service, Term, TermUnit

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
    Form.FORM: "заповнюється в Центрі",
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


def office_text(office: Office, martial_law: bool) -> str:
    regime = Regime.MARTIAL_LAW if martial_law else Regime.NORMAL
    schedule = next((s for s in office.schedules if s.regime == regime), None) or next(
        iter(office.schedules), None
    )
    lines = [f"📍 {office.name}"]
    if office.address:
        former = f" (колишня {office.address_aliases[0]})" if office.address_aliases else ""
        lines.append(f"Адреса: {office.address}{former}")
    if schedule:
        lines.append(f"Графік: {schedule.text}")
    if office.phones:
        lines.append("Телефони: " + ", ".join(office.phones))
    if office.email:
        lines.append(f"E-mail: {office.email}")
    return "\n".join(lines)


def _bullets(items: list[str]) -> str:
    return "\n".join(f"• {i}" for i in items)


def service_summary(service: Service) -> str:
    lines = [f"**{service.title}**", "", service.summary]
    if service.term:
        lines.append(f"⏱ Строк: {term_text(service.term)}")
    if service.fee:
        lines.append(f"💳 Вартість: {fee_text(service.fee)}")
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


def checklist_text(kb: Knowledge, checklist: Checklist, martial_law: bool) -> str:
    sit = checklist.situation
    lines = [f"✅ **Ваш перелік: {sit.title}**", ""]
    lines.append("Послуги:")
    for service, certain in checklist.services:
        facts = ", ".join(
            x
            for x in (
                term_text(service.term) if service.term else None,
                fee_text(service.fee) if service.fee else None,
            )
            if x
        )
        mark = "" if certain else " (якщо стосується вас)"
        lines.append(f"• {service.short_title}{mark}" + (f" — {facts}" if facts else ""))
    if checklist.documents:
        lines += ["", "Документи:"]
        lines += [f"• {document_line(d.title, d.form, d.condition, d.optional)}" for d in checklist.documents]
    else:
        lines += ["", "Перелік документів уточніть на гарячій лінії 0 800 500 459."]
    if sit.where:
        lines += ["", "Куди звернутися:", *(f"• {w}" for w in sit.where)]
    offices = {o for s, _ in checklist.services for o in s.offices}
    lines += [f"\n{office_text(o, martial_law)}" for o in kb.contacts.offices if o.id in offices]
    if sit.term:
        lines += ["", f"⏱ Строк: {sit.term}"]
    if sit.fee:
        lines.append(f"💳 Вартість: {sit.fee}")
    if sit.result:
        lines += ["", "Результат:", *(f"• {r}" for r in sit.result)]
    if any(s.source.certainty != "official" for s, _ in checklist.services):
        lines += [
            "",
            "ℹ️ Частина відомостей — з публічних джерел; перед візитом уточніть на гарячій лінії 0 800 500 459.",
        ]
    return "\n".join(lines)


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
