"""When to ask how a visit went, and what a typed answer scores. Pure: `now` is an argument, every moment an
aware datetime (UTC in, UTC out); the wall-clock rules are Kyiv time (DST-safe through `kyiv_moment`).

- The morning after the visit, at ASK_AT Kyiv time.
- Never at night (QUIET: 21:00–08:00 Kyiv) and never on a Sunday: a time that falls there moves on to the next
  allowed morning at ASK_AT (a Saturday's visit is asked on Monday).
- Staff may mark a visit late: then as soon as allowed, but never about a visit more than MAX_AGE days old.
"""

from __future__ import annotations

import datetime as dt
import re

from dialogs.typed import KYIV, kyiv_moment, kyiv_today, read_count, tokens

ASK_AT = dt.time(10, 0)
QUIET = (dt.time(21, 0), dt.time(8, 0))  # never from 21:00 to 08:00 Kyiv
SUNDAY = 6  # date.weekday()
MAX_AGE = 3  # days after the visit's day: older visits are not asked about
SCORES = range(1, 6)


def _aware(moment: dt.datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError("a moment must be timezone-aware")


def quiet(moment: dt.datetime) -> bool:
    """Whether `moment` falls in the night hours, Kyiv time."""
    _aware(moment)
    local = moment.astimezone(KYIV).time()
    start, end = QUIET
    return local >= start or local < end


def allowed(moment: dt.datetime) -> bool:
    """Not at night and not on a Sunday (Kyiv)."""
    return not quiet(moment) and moment.astimezone(KYIV).weekday() != SUNDAY


def next_allowed(moment: dt.datetime) -> dt.datetime:
    """`moment` itself if a survey may go then, else the next allowed morning at ASK_AT (Kyiv)."""
    _aware(moment)
    if allowed(moment):
        return moment.astimezone(dt.UTC)
    local = moment.astimezone(KYIV)
    day = local.date() + dt.timedelta(days=1) if local.time() >= QUIET[0] else local.date()
    if day.weekday() == SUNDAY:
        day += dt.timedelta(days=1)
    return kyiv_moment(day, ASK_AT)


def ask_at(visit_start: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """When to ask about a visit that started at `visit_start`, marked arrived at `now`: the next day at ASK_AT
    (moved past the night and Sunday), or as soon as allowed after `now` when that has passed; None when that is
    more than MAX_AGE days after the visit's day."""
    _aware(visit_start)
    _aware(now)
    day = kyiv_today(visit_start)
    due = next_allowed(max(kyiv_moment(day + dt.timedelta(days=1), ASK_AT), now))
    return None if too_old(day, due) else due


def too_old(visit_day: dt.date, now: dt.datetime) -> bool:
    """Whether `now` is more than MAX_AGE days after the visit's (Kyiv) day."""
    return (kyiv_today(now) - visit_day).days > MAX_AGE


def may_ask(visit_day: dt.date, now: dt.datetime) -> bool:
    """Whether a survey about a visit on `visit_day` may go out at `now` (checked again when it is sent: the bot
    may have been down)."""
    return allowed(now) and kyiv_today(now) > visit_day and not too_old(visit_day, now)


# --- what a typed answer scores ------------------------------------------------------------------------------

# Whole answers that say a score without a number («все добре»), after dropping filler and thanks.
_WORDS: dict[str, int] = {
    **dict.fromkeys(("все добре", "все чудово", "все відмінно", "все супер", "відмінно", "чудово", "супер",
                     "прекрасно", "все прекрасно", "все ок", "все гаразд", "все отлично", "отлично",
                     "все хорошо", "дуже добре", "все було добре", "все сподобалось", "все сподобалося",
                     "п'ятірка", "п'ятірку", "пятерка", "пятерку", "на відмінно"), 5),
    **dict.fromkeys(("добре", "добро", "хорошо", "нормально все", "в цілому добре", "загалом добре",
                     "четвірка", "четвірку", "четверка", "четверку"), 4),
    **dict.fromkeys(("нормально", "норм", "так собі", "середньо", "непогано", "трійка", "трійку", "тройка", "тройку"), 3),
    **dict.fromkeys(("погано", "плохо", "не дуже", "не сподобалось", "не сподобалося", "двійка", "двійку"), 2),
    **dict.fromkeys(("дуже погано", "жахливо", "жахливо все", "ужасно", "очень плохо", "одиниця"), 1),
}  # fmt: skip
_DROP = {"дякую", "спасибі", "спасибо", "дякуємо", "ну", "та", "було", "все-таки", "мабуть", "думаю", "ставлю",
         "оцінка", "оцінюю", "на", "бал", "бали", "балів"}  # fmt: skip
_OUT_OF = re.compile(r"^\s*([1-5])\s*(?:/|з|із|из|out of)\s*5\b")
_LEAD = re.compile(r"^\s*([1-5])(?!\d|[.,:/]\d)[\s.,:;!)—–-]+(.*)$", re.S)
_UNITS = ("год", "хв", "мин", "час", "дн", "раз", "люд", "чол", "ос", "вікн", "окн", "тиж", "нед")
MAX_SCORE_WORDS = 4  # a longer text is read as a score only when it starts with one


def read_score(text: str) -> int | None:
    """A score typed as a number or words: «5», «4/5», «п'ять», «на четвірку», «все добре» (5), «так собі» (3);
    None if the text says none, or more than one."""
    if (m := _OUT_OF.match(text)) is not None:
        return int(m.group(1))
    said = [w for w in tokens(text) if w not in _DROP]
    if not said or len(said) > MAX_SCORE_WORDS:
        return None
    phrase = " ".join(said)
    if phrase in _WORDS:
        return _WORDS[phrase]
    n = read_count(phrase)
    return n if n in SCORES and len(said) <= 2 else None


def split_score(text: str) -> tuple[int, str] | None:
    """A score and a comment in one message: «5, все швидко і ввічливо» → (5, «все швидко і ввічливо»)."""
    m = _LEAD.match(text)
    if m is None or not m.group(2).strip():
        return None
    rest = m.group(2).strip()
    first = next(iter(tokens(rest)), "")
    if any(first.startswith(unit) for unit in _UNITS):  # «2 години чекала»: a count, not a score
        return None
    return int(m.group(1)), rest

