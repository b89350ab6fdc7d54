"""Times of day as typed, read as the office day means them: «о 10», «10:30», «на дві» (14:00), «пів на третю»,
«після обіду» (a range); and a date with a time in one message («завтра на 10»)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dialogs.typed.dates import find_date
from dialogs.typed.text import Found, bare_words, norm

OPENS = 8  # an hour below this, said without «ранку», is an afternoon hour in office hours («на дві» = 14:00)
CLOSES = 20  # the end of «після обіду» and «ввечері»


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
# each form also as typed without its apostrophe («о девятій», «на пяту»)
_HOUR_OF = {f: hour for hour, forms in _HOUR_WORDS.items() for form in forms for f in (form, form.replace("'", ""))}
_HOUR_PATTERN = "|".join(sorted(map(re.escape, _HOUR_OF), key=len, reverse=True))
_RANGES = (  # (words, start hour, end hour), longest first where one contains another
    (("до обіду", "до обіда", "до обеда", "до обед", "першій половині дня", "первой половине дня", "к обеду"),
     OPENS, 13),
    (
        (
            "після обіду", "після обід", "після обіда", "після обідньої", "по обіді", "пообіді", "пообідні",
            "после обеда", "после обед", "опісля обіду", "другій половині дня", "второй половине дня",
        ),
        13,
        CLOSES,
    ),
    (("в обід", "в обед", "на обід", "в обеденное", "обідня пора", "обід", "обед"), 12, 14),
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
# «без чверті десята» (09:45), «без п'яти дев'ять», «без 10 11»: minutes before an hour
_BEFORE_MINUTES = {"чверті": 15, "четверті": 15, "четверти": 15, "пятнадцяти": 15, "п'ятнадцяти": 15,
                   "пятнадцати": 15, "десяти": 10, "двадцяти": 20, "двадцати": 20, "пяти": 5, "п'яти": 5}  # fmt: skip
_BEFORE = re.compile(
    rf"(?<!\w)без\s+({'|'.join(map(re.escape, _BEFORE_MINUTES))}|\d{{1,2}})(?:\s*(?:хв|мин)\w*\.?)?"
    rf"\s+(\d{{1,2}}|{_HOUR_PATTERN})(?!\w)"
)
_MARKED = re.compile(
    rf"\b({_MARK})\s+(\d{{1,2}}|{_HOUR_PATTERN})(?!\s?[:./]\d)\b"
    r"(?:\s*(?:-?(?:ту|у|ю|ій|ей|ой|й))?\s*(?:годин\w*|год|часов|часа|час|ч)?\.?)?"
    r"(?:\s*(ранку|утра|дня|вечора|вечера|ночі))?"
)
_HOURS = re.compile(
    r"(?<![\d.:])(\d{1,2})\s*(?:годин\w*|год|часов|часа|ч)\b(?:\s*(ранку|утра|дня|вечора|вечера))?"
)
_PART_OF_DAY = re.compile(r"(?<![\d.:])(\d{1,2})\s+(ранку|утра|дня|вечора|вечера)(?!\w)")  # «10 утра», «3 дня»
_ONE_PM = re.compile(r"(?<!\w)(?:в\s+)?час\s+дня(?!\w)")  # «в час дня»: 13:00 («час» alone is «time»)
_BARE = re.compile(r"(\d{1,2})")
# a day refused right after it is named: «сьогодні не встигну», «в четвер не можу», «завтра нет»
_REFUSED = re.compile(r"\s*,?\s*(?:я\s+)?(?:не|ні|нет|ніяк|никак)(?!\w)")
# minutes said in words after an hour: «о восьмій тридцять» (08:30), «в десять пятнадцять», «о 9 сорок п'ять»
_MINUTE_WORDS = {
    "п'ятнадцять": 15, "пятнадцять": 15, "пятнадцать": 15, "тридцять": 30, "тридцать": 30,
    "сорок п'ять": 45, "сорок пять": 45, "двадцять": 20, "двадцать": 20, "сорок": 40,
}  # fmt: skip
_WORDED = re.compile(
    rf"(?<!\w)(?:{_MARK}\s+)?(\d{{1,2}}|{_HOUR_PATTERN})\s+"
    rf"({'|'.join(sorted(map(re.escape, _MINUTE_WORDS), key=len, reverse=True))})(?!\w)"
)


def _hour(raw: str) -> int | None:
    return int(raw) if raw.isdigit() else _HOUR_OF.get(raw)


def _in_office(hour: int, part: str | None = None) -> int:
    """An hour as the office day means it: «на дві» is 14:00, «3 дня» 15:00, «8 ранку» 08:00."""
    if part in ("дня", "вечора", "вечера") and hour < 12:
        return hour + 12
    if part in ("ранку", "утра"):
        return hour
    return hour + 12 if 1 <= hour < OPENS else hour


def _within(at: dt.time, start: int, end: int) -> dt.time:
    """An hour said with a part of the day, as that part means it: «после обеда в 2» 14:00, «вечером в 6» 18:00,
    «утром в 10» 10:00."""
    if start <= at.hour < end:
        return at
    for hour in (at.hour + 12, at.hour - 12):
        if 0 <= hour <= 23 and start <= hour < end:
            return at.replace(hour=hour)
    return at


def find_time(text: str) -> Found | None:
    """The first time of day a text names (a `TimeAsked`) and where: «о 10», «на 10 годину», «10:30»,
    «10.30», «о пів на третю» (14:30), «на дві» (14:00), «після обіду», «зранку», «після 15», «после обеда в 2»
    (14:00)."""
    return _find(norm(text))


def _find(said: str) -> Found | None:
    """`find_time` of a text already in its normal form (positions are of that text)."""
    if (cm := _CLOCK.search(said)) is not None:
        hour, minute = int(cm.group(1)), int(cm.group(2))
        return Found(TimeAsked(dt.time(_in_office(hour) if hour else 0, minute)), cm.start(), cm.end())
    if (sm := _SPACED.search(said)) is not None and int(sm.group(1)) > 0:
        hour, minute = int(sm.group(1)), int(sm.group(2))
        return Found(TimeAsked(dt.time(_in_office(hour), minute)), sm.start(), sm.end())
    worded = _WORDED.search(said)
    if worded is not None and (said_hour := _hour(worded.group(1))) is not None and 1 <= said_hour <= 23:
        minute = _MINUTE_WORDS[worded.group(2)]
        return Found(TimeAsked(dt.time(_in_office(said_hour), minute)), worded.start(), worded.end())
    if (noon := _NOON.search(said)) is not None:
        return Found(TimeAsked(dt.time(12)), noon.start(), noon.end())
    half = _HALF.search(said)
    if half is not None and (halved := _hour(half.group(1))) is not None and 1 <= halved <= 12:
        return Found(TimeAsked(dt.time(_in_office(halved) - 1, 30)), half.start(), half.end())
    before = _BEFORE.search(said)
    if before is not None and (to := _hour(before.group(2))) is not None and 1 <= to <= 12:
        raw = before.group(1)
        minutes = int(raw) if raw.isdigit() else _BEFORE_MINUTES[raw]
        if 1 <= minutes <= 30:
            return Found(TimeAsked(dt.time(_in_office(to) - 1, 60 - minutes)), before.start(), before.end())
    for words, start, end in _RANGES:
        for phrase in words:
            if (at := re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", said)) is not None:
                exact = _find(f"{said[: at.start()]}{' ' * (at.end() - at.start())}{said[at.end() :]}")
                if exact is not None and isinstance(exact.value, TimeAsked) and exact.value.end is None:
                    # «после обеда в 2», «утром к 9»: the hour, read in the part of the day named
                    at_hour = _within(exact.value.start, start, end)
                    span = (min(at.start(), exact.start), max(at.end(), exact.end))
                    return Found(TimeAsked(at_hour), *span)
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
    if (pm := _PART_OF_DAY.search(said)) is not None and int(pm.group(1)) <= 12:
        return Found(TimeAsked(dt.time(_in_office(int(pm.group(1)), pm.group(2)))), pm.start(), pm.end())
    if (one := _ONE_PM.search(said)) is not None:
        return Found(TimeAsked(dt.time(13)), one.start(), one.end())
    if (hm := _HOURS.search(said)) is not None and int(hm.group(1)) <= 23:
        return Found(TimeAsked(dt.time(_in_office(int(hm.group(1)), hm.group(2)))), hm.start(), hm.end())
    if (bm := _BARE.fullmatch(bare_words(said))) is not None and int(bm.group(1)) <= 23:  # the whole answer: «10»
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
    if date is not None and _REFUSED.match(said[date.end :]):  # «сьогодні не встигну, давайте в середу»
        later = find_date(said[date.end :], today, window=window)
        if later is not None:
            date = Found(later.value, date.end + later.start, date.end + later.end)
    rest = said if date is None else f"{said[: date.start]} {said[date.end :]}"
    asked = read_time(rest)
    return (date.value if date is not None and isinstance(date.value, dt.date) else None), asked

