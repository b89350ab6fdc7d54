"""The office in question, answered in a few lines that fit one phone screen: where it is and how to get there,
today's hours (and the next day it receives when not any more today) or those of a day the question names, its
phones. The base of the follow-ups (dialogs/focus.py), which choose the office."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dialogs import offices, texts
from dialogs.calendar import WorkCalendar
from dialogs.hours import day_hours, day_name, schedules_of, today_text
from dialogs.hours import hours_text as said_hours
from dialogs.typed.dates import read_date
from dialogs.views import Views
from knowledge.loader import Knowledge
from knowledge.schema import Office

MAX_REPLY = 600  # a reply to a simple question fits one phone screen
DAYS_AHEAD = 14  # «а в вівторок допізна»: the hours of a day the words name, up to two weeks on


def fit(lines: list[str], limit: int = MAX_REPLY) -> str:
    """The lines, in order, as many as fit in `limit` characters (the first always, cut at a word if need be);
    a line that does not fit is left out, later shorter ones may still follow."""
    out: list[str] = []
    size = 0
    for line in lines:
        extra = len(line) + (1 if out else 0)
        if size + extra <= limit:
            out.append(line)
            size += extra
        elif not out:
            cut = line.rfind(" ", 0, limit - 1)
            out.append(line[: cut if cut > 0 else limit - 1] + "…")
            size = len(out[0])
    return "\n".join(out)


class OfficeAnswers:
    """Short answers about one office, today (Kyiv time)."""

    def __init__(self, kb: Knowledge, views: Views) -> None:
        self.kb = kb
        self.views = views
        self.martial_law = views.martial_law
        self.calendar = WorkCalendar(holidays_are_days_off=not views.martial_law)
        self.tz = ZoneInfo(kb.booking.timezone if kb.booking else "Europe/Kyiv")

    def hours_text(self, office: Office, now: dt.datetime) -> str:
        """Today's hours of the office (and the next day it receives citizens when not any more today)."""
        office = offices.current(office)
        schedules, assumed = schedules_of(self.kb, office)
        today = offices.hours(office.id) or today_text(
            schedules, now.astimezone(self.tz), self.martial_law, self.calendar
        )
        lines = [f"🕒 **{office.short_name or office.name}**", today or texts.HOURS_BY_HOTLINE]
        if assumed and not offices.confirming(office.id):  # no «орієнтовний» over «уточнюють»
            lines.append(texts.HOURS_ASSUMED)
        if office.address:
            lines.append(f"📍 {office.address}")
        lines += [f"ℹ️ {note}" for note in office.notes[:1]]
        return fit(lines)

    def named_day_hours(self, office: Office, now: dt.datetime, text: str) -> str | None:
        """The office's hours on the day the words name, when it is not today («а в вівторок допізна», «а
        завтра до котрої»); None when they name none, or staff told today's hours in their own words."""
        today = now.astimezone(self.tz).date()
        day = read_date(text, today, window=DAYS_AHEAD) if text else None
        office = offices.current(office)
        if day is None or not today < day <= today + dt.timedelta(days=DAYS_AHEAD) or offices.hours(office.id):
            return None
        schedules, assumed = schedules_of(self.kb, office)
        if not schedules:
            return None
        hours = None if self.calendar.is_closed(day) else day_hours(schedules, day, self.martial_law)
        when = day_name(day)
        told = f"{when[:1].upper()}{when[1:]}, " + (f"приймають {said_hours(hours)}." if hours else "вихідний.")
        lines = [f"🕒 **{office.short_name or office.name}**", told]
        if assumed and not offices.confirming(office.id):
            lines.append(texts.HOURS_ASSUMED)
        if office.address:
            lines.append(f"📍 {office.address}")
        return fit(lines)

    def address_text(self, office: Office, now: dt.datetime) -> str:
        """Where the office is, how to get there, and today's hours."""
        office = offices.current(office)
        name = office.short_name or office.name
        lines = [
            f"📍 **{name}**: {office.address}" if office.address else f"📍 **{name}**: {texts.NO_ADDRESS}"
        ]
        if office.how_to_reach:
            lines.append(f"Як дістатися: {office.how_to_reach}")
        schedules, _ = schedules_of(self.kb, office)
        if today := offices.hours(office.id) or today_text(
            schedules, now.astimezone(self.tz), self.martial_law, self.calendar
        ):
            lines.append(f"🕒 {today}")
        lines += [f"ℹ️ {note}" for note in office.notes[:1]]
        return fit(lines)

    def phones_text(self, office: Office) -> str:
        """The Center's hotline, then the office's own phones."""
        lines = [
            f"☎️ {h.name}: {h.phone}" + (" (безкоштовно)" if h.free else "")
            for h in self.kb.contacts.hotlines[:1]
        ]
        if office.phones:
            lines.append(f"📍 {office.short_name or office.name}: " + ", ".join(office.phones))
        return fit(lines)

    def office_lines(self, office: Office, now: dt.datetime) -> list[str]:
        """Where and when today, then the office's first note if it fits."""
        office = offices.current(office)
        name = office.short_name or office.name
        lines = [f"📍 {name}: {office.address}" if office.address else f"📍 {name}: {texts.NO_ADDRESS}"]
        schedules, assumed = schedules_of(self.kb, office)
        today = offices.hours(office.id) or today_text(
            schedules, now.astimezone(self.tz), self.martial_law, self.calendar
        )
        lines.append(f"🕒 {today}" if today else texts.HOURS_BY_HOTLINE)
        if assumed and not offices.confirming(office.id):  # no «орієнтовний» over «уточнюють»
            lines.append(texts.HOURS_ASSUMED)
        lines += [f"ℹ️ {note}" for note in office.notes[:1]]
        return lines
