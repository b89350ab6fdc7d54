"""Typed answers read as a step's buttons would be: yes/no, dates, times, phone numbers, small counts and a
choice among labelled options.

Pure: no storage, no clock. `today` is a Kyiv local date and `now` an aware moment, both passed in; a date
is a Kyiv local date (`kyiv_today`). Citizens write Ukrainian, Russian and surzhyk, with typos and no
punctuation: «завтра на 10», «в четверг после обеда», «о пів на третю», «067 123-45-67», «двоє».
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz

from dialogs.words import (
    FILLER_WORDS,
    MORE_NO_WORDS,
    MORE_YES_WORDS,
    NO_WORDS,
    UNKNOWN_WORDS,
    YES_WORDS,
)

KYIV = ZoneInfo("Europe/Kyiv")
OPENS = 8  # an hour below this, said without «ранку», is an afternoon hour in office hours («на дві» = 14:00)
CLOSES = 20  # the end of «після обіду» and «ввечері»
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "´": "'", "ё": "е", "ʹ": "'"})
_WORD = re.compile(r"[\w']+")


def norm(text: str) -> str:
    """Lower case, one kind of apostrophe, «ё» as «е», single spaces; punctuation other than . : / - kept."""
    return " ".join(text.casefold().translate(_APOSTROPHES).split())


def tokens(text: str) -> list[str]:
    return _WORD.findall(norm(text))


def kyiv_today(now: dt.datetime) -> dt.date:
    """The Kyiv local date of an aware moment (DST-safe)."""
    return now.astimezone(KYIV).date()


def kyiv_moment(day: dt.date, at: dt.time) -> dt.datetime:
    """A Kyiv wall-clock time on `day` as an aware UTC moment (a time the spring change skips moves on)."""
    local = dt.datetime.combine(day, at, KYIV)
    return local.astimezone(dt.UTC).astimezone(KYIV).astimezone(dt.UTC)


# --- yes / no ---------------------------------------------------------------------------------------------


def _bare(text: str) -> str:
    return " ".join(tokens(text))


def is_unknown(text: str) -> bool:
    """«не знаю», «хз», «не впевнена»."""
    return _bare(text) in UNKNOWN_WORDS


def yes_no(text: str) -> bool | None:
    """True for a yes («так», «ага», «да, верно»), False for a no («ні, я не пільговик», «нет не надо»), None
    when it is neither (or «не знаю»)."""
    bare = _bare(text)
    if not bare or bare in UNKNOWN_WORDS:
        return None
    yes, no = YES_WORDS | MORE_YES_WORDS, NO_WORDS | MORE_NO_WORDS
    if bare in yes:
        return True
    if bare in no:
        return False
    said = bare.split()
    for size in (3, 2, 1):  # the answer's first words: «ні, дякую», «так, все вірно», «не треба»
        head = " ".join(said[:size])
        if len(said) >= size and head in no:
            return False
        if len(said) >= size and head in yes and not any(w in no or w == "не" for w in said[size:]):
            return None if "?" in text and len(said) > size else True  # «так, а скільки коштує?»
    if said[0] == "не" and " ".join(said[:2]) not in UNKNOWN_WORDS:  # «не пільговик», «не належу»
        return False
    return None


# --- dates ------------------------------------------------------------------------------------------------

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
}  # fmt: skip
_AGO = re.compile(
    r"(?:(\d{1,2}|два|дві|две|три|чотири|четыре|п'ять|пять)\s+)?"
    r"(дн\w*|день|тижн\w*|тиждень|недел\w*)\s+(?:тому|назад)"
)
_SMALL = {"два": 2, "дві": 2, "две": 2, "три": 3, "чотири": 4, "четыре": 4, "п'ять": 5, "пять": 5}
_NUMERIC_DATE = re.compile(r"(?<![\d.:/])(\d{1,2})\s?[./](\d{1,2})(?:[./](\d{4}|\d{2}))?(?![\d:]|[./]\d)")
_DAY_MONTH = re.compile(r"(?<![\d.:])(\d{1,2})(?:-?(?:го|ге|е|ое|ого))?\s+([a-zа-яіїєґ']+)")
_DAY_OF_MONTH = re.compile(
    r"(?<![\d.:])(\d{1,2})(?:(?:-?(?:го|ге|е))?\s+(?:числа|число)|-?(?:го|ге|ое|е)(?![\w']))"
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
_TENS = {"двадцять": 20, "двадцать": 20, "тридцять": 30, "тридцать": 30}
_ORDINAL = re.compile(
    r"(?<![\w'])((?:(двадцять|двадцать|тридцять|тридцать)\s+)?("
    + "|".join(sorted(map(re.escape, _ORDINAL_OF), key=len, reverse=True))
    + r")(?:ього|ого|его|ьего|ое|ье|е|є))(?![\w'])(?:\s+([a-zа-яіїєґ']+))?"
)


@dataclass(frozen=True)
class Found:
    """A value read from a text and where it was (so that the rest can be read for something else)."""

    value: object
    start: int
    end: int


def _fuzzy(word: str, table: dict[str, int], cutoff: float = 80.0) -> int | None:
    """A word of the table as written, or by edit similarity for a word of 5 letters or more (typos)."""
    if word in table:
        return table[word]
    if len(word) < 5:
        return None
    best, score = None, cutoff
    for form, value in table.items():
        if len(form) >= 5 and (s := fuzz.ratio(word, form)) >= score:
            best, score = value, s
    return best


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
        named = _fuzzy(dm.group(2), _MONTH_OF)
        date = None if named is None else _with_year(int(dm.group(1)), named, today, window, past)
        if date is not None:
            return Found(date, dm.start(), dm.end())
    for od in _ORDINAL.finditer(said):
        day = _TENS.get(od.group(2) or "", 0) + _ORDINAL_OF[od.group(3)]
        after = od.group(4) or ""
        named = _fuzzy(after, _MONTH_OF) if after else None
        of_month = after in ("числа", "число")
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
    for wm in _WORD.finditer(said):
        word = wm.group()
        if (shift := _fuzzy(word, _RELATIVE, 85.0)) is not None:
            return Found(today + dt.timedelta(days=shift), wm.start(), wm.end())
        weekday = _WEEKDAY_OF.get(word) if len(word) < 5 else _fuzzy(word, _WEEKDAY_OF)
        if weekday is not None and past:
            back = (today.weekday() - weekday - 1) % 7 + 1
            return Found(today - dt.timedelta(days=back), wm.start(), wm.end())
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


# --- times ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeAsked:
    """A time of day asked: exact (`end` None: «о 10:30») or a range [start, end) («після обіду»)."""

    start: dt.time
    end: dt.time | None = None

    def contains(self, at: dt.time) -> bool:
        return self.end is not None and self.start <= at < self.end


_HOUR_WORDS = {
    1: ("одна", "одну", "першу", "першій", "перша", "первого", "первый"),
    2: ("дві", "два", "другу", "другій", "друга", "второго", "второй", "две"),
    3: ("три", "третю", "третій", "третя", "третьего", "третий", "третьої"),
    4: ("чотири", "четверту", "четвертій", "четверта", "четыре", "четвертого", "четвертої"),
    5: ("п'ять", "пять", "п'яту", "п'ятій", "п'ята", "пятого", "пятую", "п'ятої"),
    6: ("шість", "шосту", "шостій", "шоста", "шесть", "шестого", "шостої"),
    7: ("сім", "сьому", "сьомій", "сьома", "семь", "седьмого", "сьомої"),
    8: ("вісім", "восьму", "восьмій", "восьма", "восемь", "восьмого", "восьмої"),
    9: ("дев'ять", "девять", "дев'яту", "дев'ятій", "дев'ята", "девятого", "дев'ятої", "девяти"),
    10: ("десять", "десяту", "десятій", "десята", "десятого", "десятої", "десяти"),
    11: ("одинадцять", "одинадцяту", "одинадцятій", "одинадцята", "одинадцятої", "одиннадцать",
         "одиннадцатого", "одиннадцати"),
    12: ("дванадцять", "дванадцяту", "дванадцятій", "дванадцята", "дванадцятої", "двенадцать",
         "двенадцатого", "двенадцати"),
}  # fmt: skip
_HOUR_OF = {form: hour for hour, forms in _HOUR_WORDS.items() for form in forms}
_HOUR_PATTERN = "|".join(sorted(map(re.escape, _HOUR_OF), key=len, reverse=True))
_RANGES = (  # (words, start hour, end hour), longest first where one contains another
    (("до обіду", "до обіда", "до обеда", "до обед", "першій половині дня", "первой половине дня"),
     OPENS, 13),
    (
        (
            "після обіду", "після обід", "після обіда", "після обідньої", "по обіді", "пообіді", "пообідні",
            "после обеда", "после обед", "опісля обіду", "другій половині дня", "второй половине дня",
        ),
        13,
        CLOSES,
    ),
    (("в обід", "в обед", "на обід", "в обеденное", "обідня пора"), 12, 14),
    (("зранку", "вранці", "з ранку", "зрання", "рано", "утром", "с утра", "зутра", "уранці", "ранком"),
     OPENS, 12),
    (("ввечері", "увечері", "вечером", "під вечір", "под вечер", "ближче до вечора", "ближе к вечеру"),
     16, CLOSES),
)  # fmt: skip
_MARK = r"(?:на|о|об|в|во|у|к|до|біля|близько|около|десь|приблизно|с|з|після|после)"
_CLOCK = re.compile(r"(?<![\d./])([01]?\d|2[0-3])\s?[:.\-]\s?([0-5]\d)(?![\d./])")
_SPACED = re.compile(r"(?<![\d./])([01]?\d|2[0-3])\s([0-5][05])(?![\d./])")  # «на 9 30», «14 00»
_NOON = re.compile(r"(?<!\w)(?:опівдні|південь|полдень|полудень|в полдень|о дванадцятій дня)(?!\w)")
_HALF = re.compile(rf"(?:пів|пол|половин[аиуі])\s*(?:на\s+)?(\d{{1,2}}|{_HOUR_PATTERN})\b")
_MARKED = re.compile(
    rf"\b({_MARK})\s+(\d{{1,2}}|{_HOUR_PATTERN})(?!\s?[:./]\d)\b"
    r"(?:\s*(?:-?(?:ту|у|ю|ій|ей|ой|й))?\s*(?:годин\w*|год|часов|часа|час|ч)?\.?)?"
    r"(?:\s*(ранку|утра|дня|вечора|вечера|ночі))?"
)
_HOURS = re.compile(
    r"(?<![\d.:])(\d{1,2})\s*(?:годин\w*|год|часов|часа|ч)\b(?:\s*(ранку|утра|дня|вечора|вечера))?"
)
_BARE = re.compile(r"(\d{1,2})")


def _hour(raw: str) -> int | None:
    return int(raw) if raw.isdigit() else _HOUR_OF.get(raw)


def _in_office(hour: int, part: str | None = None) -> int:
    """An hour as the office day means it: «на дві» is 14:00, «3 дня» 15:00, «8 ранку» 08:00."""
    if part in ("дня", "вечора", "вечера") and hour < 12:
        return hour + 12
    if part in ("ранку", "утра"):
        return hour
    return hour + 12 if 1 <= hour < OPENS else hour


def find_time(text: str) -> Found | None:
    """The first time of day a text names (a `TimeAsked`) and where: «о 10», «на 10 годину», «10:30»,
    «10.30», «о пів на третю» (14:30), «на дві» (14:00), «після обіду», «зранку», «після 15»."""
    said = norm(text)
    if (cm := _CLOCK.search(said)) is not None:
        hour, minute = int(cm.group(1)), int(cm.group(2))
        return Found(TimeAsked(dt.time(_in_office(hour) if hour else 0, minute)), cm.start(), cm.end())
    if (sm := _SPACED.search(said)) is not None and int(sm.group(1)) > 0:
        hour, minute = int(sm.group(1)), int(sm.group(2))
        return Found(TimeAsked(dt.time(_in_office(hour), minute)), sm.start(), sm.end())
    if (noon := _NOON.search(said)) is not None:
        return Found(TimeAsked(dt.time(12)), noon.start(), noon.end())
    half = _HALF.search(said)
    if half is not None and (halved := _hour(half.group(1))) is not None and 1 <= halved <= 12:
        return Found(TimeAsked(dt.time(_in_office(halved) - 1, 30)), half.start(), half.end())
    for words, start, end in _RANGES:
        for phrase in words:
            if (at := re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", said)) is not None:
                return Found(TimeAsked(dt.time(start), dt.time(end)), at.start(), at.end())
    for m in _MARKED.finditer(said):
        said_hour = _hour(m.group(2))
        if said_hour is None or not 0 <= said_hour <= 23:
            continue
        hour = _in_office(said_hour, m.group(3))
        if hour > 23:
            continue
        if m.group(1) in ("після", "после", "с", "з") and hour < CLOSES:
            return Found(TimeAsked(dt.time(hour), dt.time(CLOSES)), m.start(), m.end())
        if m.group(1) == "до" and hour > OPENS:
            return Found(TimeAsked(dt.time(OPENS), dt.time(hour)), m.start(), m.end())
        return Found(TimeAsked(dt.time(hour)), m.start(), m.end())
    if (hm := _HOURS.search(said)) is not None and int(hm.group(1)) <= 23:
        return Found(TimeAsked(dt.time(_in_office(int(hm.group(1)), hm.group(2)))), hm.start(), hm.end())
    if (bm := _BARE.fullmatch(_bare(said))) is not None and int(bm.group(1)) <= 23:  # the whole answer: «10»
        return Found(TimeAsked(dt.time(_in_office(int(bm.group(1))))), 0, len(said))
    return None


def read_time(text: str) -> TimeAsked | None:
    """The time of day a text names (see `find_time`), or None."""
    found = find_time(text)
    return found.value if found is not None and isinstance(found.value, TimeAsked) else None


def read_when(
    text: str, today: dt.date, *, window: int | None = None
) -> tuple[dt.date | None, TimeAsked | None]:
    """A date and a time in one message («завтра на 10», «10.12 о 14:30»): the date is read first and the
    time from the rest, so «10.12» is a date here and never ten past ten."""
    said = norm(text)
    date = find_date(said, today, window=window)
    rest = said if date is None else f"{said[: date.start]} {said[date.end :]}"
    asked = read_time(rest)
    return (date.value if date is not None and isinstance(date.value, dt.date) else None), asked


# --- phones and counts -----------------------------------------------------------------------------------

MOBILE_CODES = frozenset(
    {
        "39",
        "50",
        "63",
        "66",
        "67",
        "68",
        "73",
        "75",
        "77",
        "89",
        "91",
        "92",
        "93",
        "94",
        "95",
        "96",
        "97",
        "98",
        "99",
    }
)
_PHONE = re.compile(r"(?<![\d])(\+?\s?(?:3\s?8\s?)?\(?\s?0\s?\d\s?\d\s?\)?(?:[\s\-–—.]?\d){7})(?!\d)")


def masked_phone(phone: str) -> str:
    """A number as a message that is logged may show it: «+380 67 ••• •• 67» (its last two digits)."""
    only = re.sub(r"\D", "", phone)
    if len(only) != 12:
        return "+" + "•" * max(len(only) - 2, 0) + only[-2:]
    return f"+{only[:3]} {only[3:5]} ••• •• {only[-2:]}"


def read_phone(text: str, *, mobile_only: bool = True) -> str | None:
    """A Ukrainian phone number written anywhere in a text as +380XXXXXXXXX («мій 067 123-45-67»,
    «+38 (050) 123 45 67», «80671234567»); `mobile_only`: a mobile operator's code only."""
    said = text.replace("\u00a0", " ")
    for m in _PHONE.finditer(said):
        digits = re.sub(r"\D", "", m.group(1))
        national = digits[-10:]
        national_ok = len(national) == 10 and national[0] == "0" and len(digits) in (10, 12)
        if national_ok and (not mobile_only or national[1:3] in MOBILE_CODES):
            return "+38" + national
    digits = re.sub(r"\D", "", said)
    if len(digits) == 11 and digits.startswith("80") and (not mobile_only or digits[2:4] in MOBILE_CODES):
        return "+3" + digits  # the old long-distance «8 067 …»
    return None


_COUNTS = {
    0: ("нуль", "жодного", "жодної", "нікого", "ніхто", "никого", "ни одного", "ні одного"),
    1: ("один", "одна", "одне", "одно", "одного", "одну", "одній", "сам", "сама", "одна я", "тільки я",
        "лише я"),
    2: ("два", "дві", "двоє", "двох", "двое", "двух", "пара"),
    3: ("три", "троє", "трьох", "трое", "трех"),
    4: ("чотири", "четверо", "чотирьох", "четыре", "четырех"),
    5: ("п'ять", "пять", "п'ятеро", "пятеро", "п'ятьох", "пятерых"),
    6: ("шість", "шестеро", "шести", "шесть", "шістьох"),
    7: ("сім", "семеро", "семь", "сімох"),
    8: ("вісім", "восьмеро", "восемь"),
    9: ("дев'ять", "девять", "дев'ятеро"),
    10: ("десять", "десятеро"),
}  # fmt: skip
_COUNT_OF = {form: n for n, forms in _COUNTS.items() for form in forms}
MAX_COUNT = 20


def read_count(text: str) -> int | None:
    """A small count of people or children: «двоє», «троє дітей», «2», «один», «ни одного»; None if none or
    more than one number is named."""
    said = tokens(text)
    found: set[int] = set()
    skip = False
    for i, word in enumerate(said):
        if skip:
            skip = False
            continue
        pair = " ".join(said[i : i + 2])
        if i + 1 < len(said) and pair in _COUNT_OF:
            found.add(_COUNT_OF[pair])
            skip = True
        elif word.isdigit():
            found.add(int(word))
        elif word in ("сам", "сама") and i and said[i - 1] in ("не", "ні"):
            continue  # «не сама» says nothing of how many
        elif (n := _fuzzy(word, _COUNT_OF, 86.0)) is not None:
            found.add(n)
    if any(n > MAX_COUNT for n in found):
        return None
    return found.pop() if len(found) == 1 else None


# --- a choice among labelled options ---------------------------------------------------------------------

_EMOJI = re.compile(r"[^\w\s'\-]+")


def _label_words(label: str) -> list[str]:
    return [w for w in tokens(_EMOJI.sub(" ", label)) if w not in FILLER_WORDS]


def _word_fits(typed: str, label_word: str) -> float:
    """How well one typed word names one word of a label: the same word, its fragment, its form, a typo."""
    if typed == label_word:
        return 1.0
    shorter = min(len(typed), len(label_word))
    if shorter >= 4 and (label_word.startswith(typed) or typed.startswith(label_word)):
        return 0.95  # «паспорт» / «паспорта», «пільг» / «пільговик»
    common = len(_common_prefix(typed, label_word))
    if common >= 5 and common >= shorter - 3:  # a form of the word: «переселенцям» / «переселенців»
        return 0.9
    if shorter >= 4 and (score := fuzz.ratio(typed, label_word)) >= 80:
        return score / 100
    return 0.0


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def choose(text: str, options: Iterable[tuple[str, str]]) -> str | None:
    """The value of the one option whose label the text names, by its words or a fragment of them
    («паспорт» → the option labelled «Паспорт громадянина…»); several labels may give one value (aliases).
    None when nothing fits, or when options of different values fit equally well."""
    typed = [w for w in tokens(text) if w not in FILLER_WORDS and len(w) > 1]
    if not typed or len(typed) > 8:
        return None
    bare = " ".join(typed)
    scores: dict[str, float] = {}
    for value, label in options:
        words = _label_words(label)
        if not words:
            continue
        if bare == " ".join(words) or fuzz.ratio(bare, " ".join(words)) >= 90:
            score = 10.0  # the whole label
        else:
            fits = [max((_word_fits(w, lw) for lw in words), default=0.0) for w in typed]
            named = [f for f in fits if f > 0]
            if not named:
                continue
            # most of what was typed must be about this label (a stray word is allowed in a longer answer)
            if len(named) * 2 < len(typed):
                continue
            score = sum(named) + 0.01 * len(named) / len(words)
        scores[value] = max(scores.get(value, 0.0), score)
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if len(ranked) > 1 and ranked[1][1] >= ranked[0][1] - 0.05:
        return None  # two options fit as well: ambiguous
    return ranked[0][0]


def choose_label(text: str, labels: Sequence[str]) -> int | None:
    """The index of the one label the text names (see `choose`)."""
    picked = choose(text, ((str(i), label) for i, label in enumerate(labels)))
    return None if picked is None else int(picked)
