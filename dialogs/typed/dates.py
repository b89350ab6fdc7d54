"""Dates as typed: «10.12», «10 грудня», «в четвер», «завтра», «через тиждень», «три дні тому», «двадцятого».
A date is a Kyiv local date; `today` is an argument (no clock)."""

from __future__ import annotations

import datetime as dt
import re

from dialogs.typed.text import WORD, Found, fuzzy_word, norm

_MONTHS = {
    1: ("січня", "січень", "января", "январь", "янв", "січ"),
    2: ("лютого", "лютий", "февраля", "февраль", "фев", "лют"),
    3: ("березня", "березень", "марта", "март", "бер"),
    4: ("квітня", "квітень", "апреля", "апрель", "апр", "квіт"),
    5: ("травня", "травень", "мая", "май", "трав"),
    6: ("червня", "червень", "июня", "июнь", "черв"),
    7: ("липня", "липень", "июля", "июль", "лип"),
    8: ("серпня", "серпень", "августа", "август", "серп", "авг"),
    9: ("вересня", "вересень", "сентября", "сентябрь", "вер", "сент"),
    10: ("жовтня", "жовтень", "октября", "октябрь", "жовт", "окт"),
    11: ("листопада", "листопад", "ноября", "ноябрь", "лист", "нояб"),
    12: ("грудня", "грудень", "декабря", "декабрь", "груд", "дек"),
}
_MONTH_OF = {form: month for month, forms in _MONTHS.items() for form in forms}
_WEEKDAYS = {
    0: ("понеділок", "понеділка", "понеділку", "понедельник", "понедельника", "пн", "пон"),
    1: ("вівторок", "вівторка", "вівторку", "вторник", "вторника", "вт", "вів"),
    2: ("середа", "середу", "середи", "среда", "среду", "ср"),
    3: ("четвер", "четверга", "четверг", "чт", "чет"),
    4: ("п'ятниця", "п'ятницю", "п'ятниці", "пятниця", "пятницю", "пятница", "пятницу", "пт", "пят"),
    5: ("субота", "суботу", "суботи", "суббота", "субботу", "сб", "суб"),
    6: ("неділя", "неділю", "неділі", "воскресенье", "воскресение", "нд", "вс", "нед"),
}
_WEEKDAY_OF = {form: day for day, forms in _WEEKDAYS.items() for form in forms}
_RELATIVE = {
    "сьогодні": 0, "сьогодня": 0, "сегодня": 0, "седня": 0, "сьодні": 0, "сєгодня": 0,
    "завтра": 1, "завтрa": 1, "заавтра": 1, "завтро": 1,
    "післязавтра": 2, "післязавтро": 2, "послезавтра": 2, "пiслязавтра": 2, "післязавра": 2,
    "вчора": -1, "учора": -1, "вчера": -1, "позавчора": -2, "позавчера": -2,
    # «на завтрашній день», «на послезавтрашнее число»
    "завтрашній": 1, "завтрашнiй": 1, "завтрашний": 1, "завтрашнее": 1, "завтрашнє": 1,
    "післязавтрашній": 2, "послезавтрашний": 2, "послезавтрашнее": 2, "сьогоднішній": 0, "сегодняшний": 0,
}  # fmt: skip
_AGO = re.compile(
    r"(?:(\d{1,2}|два|дві|две|три|чотири|четыре|п'ять|пять)\s+)?"
    r"(дн\w*|день|тижн\w*|тиждень|недел\w*)\s+(?:тому|назад)"
)
_SMALL = {"два": 2, "дві": 2, "две": 2, "три": 3, "чотири": 4, "четыре": 4, "п'ять": 5, "пять": 5}
_NUMERIC_DATE = re.compile(r"(?<![\d.:/])(\d{1,2})\s?[./](\d{1,2})(?:[./](\d{4}|\d{2}))?(?![\d:]|[./]\d)")
_DAY_MONTH = re.compile(r"(?<![\d.:])(\d{1,2})(?:-?(?:го|ге|е|ое|ого))?\s+([a-zа-яіїєґ']+)")
_DAY_OF_MONTH = re.compile(
    r"(?<![\d.:])(\d{1,2})(?:(?:-?(?:го|ге|е|му))?\s+(?:числа|число|числу|числі)|-?(?:го|ге|ое|е)(?![\w']))"
)
_AFTER = re.compile(
    r"через\s+(?:(\d{1,2}|два|дві|две|три|чотири|четыре|п'ять|пять)\s+)?(дн\w*|день|тижн\w*|тиждень|недел\w*)"
)
# A day of the month said as an ordinal: «десятого», «на п'ятнадцяте», «двадцять першого грудня», «первого».
_ORDINAL_STEMS = {
    1: ("перш", "перв"), 2: ("друг", "втор"), 3: ("трет",), 4: ("четверт",), 5: ("п'ят", "пят"),
    6: ("шост", "шест"), 7: ("сьом", "седьм"), 8: ("восьм",), 9: ("дев'ят", "девят"), 10: ("десят",),
    11: ("одинадцят", "одиннадцат"), 12: ("дванадцят", "двенадцат"), 13: ("тринадцят", "тринадцат"),
    14: ("чотирнадцят", "четырнадцат"), 15: ("п'ятнадцят", "пятнадцат"), 16: ("шістнадцят", "шестнадцат"),
    17: ("сімнадцят", "семнадцат"), 18: ("вісімнадцят", "восемнадцат"), 19: ("дев'ятнадцят", "девятнадцат"),
    20: ("двадцят", "двадцат"), 30: ("тридцят", "тридцат"),
}  # fmt: skip
_ORDINAL_OF = {stem: n for n, stems in _ORDINAL_STEMS.items() for stem in stems}
_DAY_PARTS = {"вечера", "вечора", "вечером", "вечері"}  # «8 вечера» is no typo of «вчера»
_HALF_BEFORE = re.compile(r"(?:пів|пол|половин[аиуі])\s*(?:на\s+)?$")  # before an hour: «пол десятого»
# «next week» said in words: a weekday with it is in the week after this one («в понеділок» is always ahead)
_NEXT_WEEK = re.compile(r"(?:наступн|следующ|след)\w*\.?\s+(?:тиж|недел)|(?:тиж|недел)\w*\s+(?:наступн|следующ)")
_TENS = {"двадцять": 20, "двадцать": 20, "тридцять": 30, "тридцать": 30}
_ORDINAL = re.compile(
    r"(?<![\w'])((?:(двадцять|двадцать|тридцять|тридцать)\s+)?("
    + "|".join(sorted(map(re.escape, _ORDINAL_OF), key=len, reverse=True))
    + r")(?:ього|ого|его|ьего|ое|ье|е|є))(?![\w'])(?:\s+([a-zа-яіїєґ']+))?"
)



def _with_year(
    day: int, month: int, today: dt.date, window: int | None, past: bool = False
) -> dt.date | None:
    """Day and month with no year: this year's, or next year's when this year's has passed and next year's is
    within `window` days (any, if None). A date that does not exist (30.02) is None. `past`: the day is asked
    as one gone by (when a paper was filed): this year's, or last year's if this year's is still to come."""
    if past:
        for year in range(today.year, today.year - 5, -1):
            try:
                date = dt.date(year, month, day)
            except ValueError:
                continue
            if date <= today:
                return date
        return None
    for year in (today.year, today.year + 1):
        try:
            date = dt.date(year, month, day)
        except ValueError:
            continue
        if year > today.year and window is not None and (date - today).days > window:
            return None  # 29 February of a leap year that is out of reach
        if date >= today:
            return date
        ahead = _next_year(date)
        if ahead is not None and (window is None or (ahead - today).days <= window):
            return ahead
        return date  # passed, and next year's is out of reach: the caller says it has passed
    return None


def _next_year(date: dt.date) -> dt.date | None:
    for years in (1, 2, 3, 4):  # 29 February comes back in a leap year
        try:
            return date.replace(year=date.year + years)
        except ValueError:
            continue
    return None


def find_date(text: str, today: dt.date, *, window: int | None = None, past: bool = False) -> Found | None:
    """The first date a text names and where: «завтра», «в четвер», «3 грудня», «3.12», «03/12/2026»,
    «3 числа».

    A weekday is the next such day after today («в четвер» on a Thursday is a week on). A day and month that
    has passed this year is next year's when `window` (days ahead) allows (31 December: «3 січня» is in 3
    days). `past`: a day gone by is asked («подала в понеділок», «3 тижні тому», «29.12» on 5 January is last
    year's)."""
    said = norm(text)
    if (ago := _AGO.search(said)) is not None:
        count = 1 if ago.group(1) is None else _SMALL.get(ago.group(1)) or int(ago.group(1))
        days = count * (1 if ago.group(2).startswith(("дн", "день")) else 7)
        return Found(today - dt.timedelta(days=days), ago.start(), ago.end())
    for m in _NUMERIC_DATE.finditer(said):
        day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
        if not (1 <= month <= 12 and 1 <= day <= 31):
            continue
        if year:
            full = int(year) + (2000 if len(year) == 2 else 0)
            try:
                return Found(dt.date(full, month, day), m.start(), m.end())
            except ValueError:
                continue
        if (date := _with_year(day, month, today, window, past)) is not None:
            return Found(date, m.start(), m.end())
    for dm in _DAY_MONTH.finditer(said):
        named = fuzzy_word(dm.group(2), _MONTH_OF)
        date = None if named is None else _with_year(int(dm.group(1)), named, today, window, past)
        if date is not None:
            return Found(date, dm.start(), dm.end())
    for od in _ORDINAL.finditer(said):
        day = _TENS.get(od.group(2) or "", 0) + _ORDINAL_OF[od.group(3)]
        after = od.group(4) or ""
        named = fuzzy_word(after, _MONTH_OF) if after else None
        of_month = after in ("числа", "число", "числу", "числі")
        if _HALF_BEFORE.search(said[: od.start()]):
            continue  # «в пол десятого», «пів на десяту»: a time of day
        if day > 31 or (od.group(3) == "друг" and named is None and not of_month):
            continue  # «другого» alone is «another» as often as «the second»
        date = _of_month(day, today, past) if named is None else _with_year(day, named, today, window, past)
        if date is not None:
            return Found(date, od.start(), od.end() if named is not None or of_month else od.end(1))
    if (om := _DAY_OF_MONTH.search(said)) is not None:
        date = _of_month(int(om.group(1)), today, past)
        if date is not None:
            return Found(date, om.start(), om.end())
    later = None if past else _AFTER.search(said)
    if later is not None and (later.group(1) or not later.group(2).startswith(("дн", "день"))):
        count = 1 if later.group(1) is None else _SMALL.get(later.group(1)) or int(later.group(1))
        days = count * (1 if later.group(2).startswith(("дн", "день")) else 7)
        return Found(today + dt.timedelta(days=days), later.start(), later.end())  # «через тиждень»
    for wm in WORD.finditer(said):
        word = wm.group()
        if word not in _DAY_PARTS and (shift := fuzzy_word(word, _RELATIVE, 85.0)) is not None:
            return Found(today + dt.timedelta(days=shift), wm.start(), wm.end())
        weekday = _WEEKDAY_OF.get(word) if len(word) < 5 else fuzzy_word(word, _WEEKDAY_OF)
        if weekday is not None and past:
            back = (today.weekday() - weekday - 1) % 7 + 1
            return Found(today - dt.timedelta(days=back), wm.start(), wm.end())
        if weekday is not None and _NEXT_WEEK.search(said):  # «вівторок наступного тижня»: that week's
            monday = today + dt.timedelta(days=7 - today.weekday())
            return Found(monday + dt.timedelta(days=weekday), wm.start(), wm.end())
        if weekday is not None:
            ahead = (weekday - today.weekday() - 1) % 7 + 1
            return Found(today + dt.timedelta(days=ahead), wm.start(), wm.end())
    return None


def _of_month(day: int, today: dt.date, past: bool) -> dt.date | None:
    """A day of the month with no month: this month's, or the next (`past`: the last) month that has it."""
    for months in range(3):
        step = dt.timedelta(days=-1 if past else 32 * months)
        first = today.replace(day=1)
        for _ in range(months if past else 1):
            first = (first + step).replace(day=1)
        try:
            date = first.replace(day=day)
        except ValueError:
            continue
        if (date <= today) if past else (date >= today):
            return date
    return None


def read_date(text: str, today: dt.date, *, window: int | None = None, past: bool = False) -> dt.date | None:
    """The date a text names (see `find_date`), or None."""
    found = find_date(text, today, window=window, past=past)
    return found.value if found is not None and isinstance(found.value, dt.date) else None

