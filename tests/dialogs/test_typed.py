"""dialogs/typed/: typed answers as Kryvyi Rih citizens write them (Ukrainian, Russian, surzhyk, typos, no
punctuation), read without a clock: `today` and `now` are arguments, dates are Kyiv's."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs.typed import (
    TimeAsked,
    asks_mine,
    choose,
    choose_label,
    find_date,
    is_unknown,
    kyiv_moment,
    kyiv_today,
    read_count,
    read_date,
    read_phone,
    read_time,
    read_when,
    yes_no,
)

FRIDAY = dt.date(2026, 12, 4)  # the tests' clock: Friday 4 December 2026


# --- yes / no ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "так", "Так!", "ТАК.", "да", "ага", "угу", "звісно", "конечно", "ок", "окей", "добре", "гаразд",
        "підтверджую", "Так, підтверджую", "да все верно", "все вірно", "так звісно", "давайте", "згодна",
        "yes", "так так",
    ],
)  # fmt: skip
def test_a_yes_in_its_forms(text: str) -> None:
    assert yes_no(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "ні", "Ні.", "нет", "неа", "ні, я не пільговик", "нет не надо", "не треба", "ні дякую", "не хочу",
        "не належу", "не пільговик", "нє", "ни", "не льготник", "no",
    ],
)  # fmt: skip
def test_a_no_in_its_forms(text: str) -> None:
    assert yes_no(text) is False


@pytest.mark.parametrize(
    "text", ["не знаю", "незнаю", "хз", "", "   ", "четвер", "так, а скільки коштує?", "паспорт", "10:30"]
)
def test_neither_yes_nor_no(text: str) -> None:
    assert yes_no(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "льгот нет никаких", "пільг нема", "у мене нічого такого нема", "нет не военнообязанный",
        "я не пільговик", "жодних пільг", "категорій ніяких", "я не отношусь ни к каким категориям",
    ],
)  # fmt: skip
def test_a_no_by_its_shape(text: str) -> None:
    """A negation anywhere in a short answer with no yes-word is a no."""
    assert yes_no(text) is False


@pytest.mark.parametrize(
    "text",
    [
        "звісно подаю", "да все верно записывайте", "так розписані фамілія однакова", "ага давайте",
        "все ок", "годится",
    ],
)  # fmt: skip
def test_a_yes_first_then_an_elaboration(text: str) -> None:
    assert yes_no(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "та не знаю я", "не зрозуміла", "ні не зрозумів", "а чому нема часу", "чого нема вільних місць",
        "так, не був", "да нет", "пільги є але не знаю які", "у нас пільг нема бо ми ще не оформили документи",
        "а за карточку платити треба чи ні", "платно или нет",  # a question offering both answers
    ],
)  # fmt: skip
def test_no_no_by_its_shape(text: str) -> None:
    """Not knowing, not following, a question, a yes-word beside the negation, a story: neither yes nor no."""
    assert yes_no(text) is None


def test_not_knowing_is_told_apart() -> None:
    assert is_unknown("Не знаю") and is_unknown("хз") and not is_unknown("ні")


# --- dates -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("сьогодні", dt.date(2026, 12, 4)),
        ("сегодня", dt.date(2026, 12, 4)),
        ("завтра", dt.date(2026, 12, 5)),
        ("можна завтра?", dt.date(2026, 12, 5)),
        ("завтро", dt.date(2026, 12, 5)),
        ("післязавтра", dt.date(2026, 12, 6)),
        ("послезавтра", dt.date(2026, 12, 6)),
        ("в четвер", dt.date(2026, 12, 10)),
        ("четвер", dt.date(2026, 12, 10)),
        ("в четверг", dt.date(2026, 12, 10)),
        ("у пт", dt.date(2026, 12, 11)),  # Friday today: «у п'ятницю» is a week on
        ("в п'ятницю", dt.date(2026, 12, 11)),
        ("в пятницу", dt.date(2026, 12, 11)),
        ("понеділок", dt.date(2026, 12, 7)),
        ("в понедельник", dt.date(2026, 12, 7)),
        ("у вівторок", dt.date(2026, 12, 8)),
        ("в середу", dt.date(2026, 12, 9)),
        ("в суботу", dt.date(2026, 12, 5)),
        ("неділя", dt.date(2026, 12, 6)),
        ("в четьвер", dt.date(2026, 12, 10)),  # a typo
        ("10 грудня", dt.date(2026, 12, 10)),
        ("10-го грудня", dt.date(2026, 12, 10)),
        ("на 10 декабря", dt.date(2026, 12, 10)),
        ("10 грудя", dt.date(2026, 12, 10)),  # a typo
        ("10.12", dt.date(2026, 12, 10)),
        ("10/12", dt.date(2026, 12, 10)),
        ("10.12.2026", dt.date(2026, 12, 10)),
        ("10.12.26", dt.date(2026, 12, 10)),
        ("7.12", dt.date(2026, 12, 7)),
        ("15 січня", dt.date(2027, 1, 15)),  # January has passed this year: next year's
        ("15 января", dt.date(2027, 1, 15)),
        ("15.01", dt.date(2027, 1, 15)),
        ("3 грудня", dt.date(2027, 12, 3)),  # yesterday: next year's, no window given
        ("3.12", dt.date(2027, 12, 3)),
        ("03/12", dt.date(2027, 12, 3)),
        ("3 декабря", dt.date(2027, 12, 3)),
        ("на 8 число", dt.date(2026, 12, 8)),
        ("давайте на завтрашній день", FRIDAY + dt.timedelta(days=1)),
        ("на послезавтрашнее число", FRIDAY + dt.timedelta(days=2)),
        ("2 числа", dt.date(2027, 1, 2)),  # passed this month: the next month's
    ],
)
def test_dates(text: str, expected: dt.date) -> None:
    assert read_date(text, FRIDAY) == expected


@pytest.mark.parametrize(
    "text",
    ["на 10", "10:30", "о пів на третю", "після обіду", "так", "", "32.12", "30.02", "13.13", "ніколи"],
)
def test_no_date(text: str) -> None:
    assert read_date(text, FRIDAY) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("десятого", dt.date(2026, 12, 10)),
        ("на десяте", dt.date(2026, 12, 10)),
        ("давайте п'ятнадцятого", dt.date(2026, 12, 15)),
        ("двадцять першого грудня", dt.date(2026, 12, 21)),
        ("на двадцать пятое", dt.date(2026, 12, 25)),
        ("первого января", dt.date(2027, 1, 1)),
        ("четвертого", dt.date(2026, 12, 4)),  # today, not a Thursday
        ("шостого числа", dt.date(2026, 12, 6)),
        ("другого числа", dt.date(2027, 1, 2)),
        ("10-го", dt.date(2026, 12, 10)),
        ("на 11е", dt.date(2026, 12, 11)),
        ("через тиждень", dt.date(2026, 12, 11)),
        ("через 3 дні", dt.date(2026, 12, 7)),
        ("через два дня", dt.date(2026, 12, 6)),
    ],
)
def test_a_day_of_the_month_said_as_an_ordinal_and_days_ahead(text: str, expected: dt.date) -> None:
    assert read_date(text, FRIDAY) == expected


@pytest.mark.parametrize("text", ["другого", "на другой день", "через день", "третьої", "на десяту"])
def test_not_an_ordinal_day(text: str) -> None:
    assert read_date(text, FRIDAY) is None


def test_an_ordinal_day_gone_by() -> None:
    assert read_date("подала третього", FRIDAY, past=True) == dt.date(2026, 12, 3)
    assert read_date("п'ятого листопада", FRIDAY, past=True) == dt.date(2026, 11, 5)


def test_a_passed_day_is_next_years_only_when_the_window_allows() -> None:
    assert read_date("3.12", FRIDAY, window=14) == dt.date(2026, 12, 3)  # passed: the caller says so
    assert read_date("3.12", FRIDAY, window=400) == dt.date(2027, 12, 3)
    assert read_date("10.12", FRIDAY, window=14) == dt.date(2026, 12, 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 січня", dt.date(2027, 1, 3)),
        ("3.01", dt.date(2027, 1, 3)),
        ("03/01", dt.date(2027, 1, 3)),
        ("3 января", dt.date(2027, 1, 3)),
        ("завтра", dt.date(2027, 1, 1)),
        ("післязавтра", dt.date(2027, 1, 2)),
        ("сьогодні", dt.date(2026, 12, 31)),
        ("31.12", dt.date(2026, 12, 31)),
        ("в понеділок", dt.date(2027, 1, 4)),
        ("в четвер", dt.date(2027, 1, 7)),  # 31 December 2026 is a Thursday: a week on
    ],
)
def test_new_years_eve(text: str, expected: dt.date) -> None:
    assert read_date(text, dt.date(2026, 12, 31), window=14) == expected


def test_29_february() -> None:
    assert read_date("29.02", dt.date(2027, 3, 5)) == dt.date(2028, 2, 29)  # the next leap year
    assert read_date("29 лютого", dt.date(2028, 2, 1)) == dt.date(2028, 2, 29)
    assert read_date("29.02", dt.date(2027, 3, 5), window=14) is None  # no 29.02 in 2027, 2028's out of reach
    assert read_date("29.02", dt.date(2028, 2, 20), window=14) == dt.date(2028, 2, 29)
    assert read_date("29.02", dt.date(2028, 3, 1), window=14) == dt.date(2028, 2, 29)  # passed: said so
    assert read_date("29.02.2027", dt.date(2027, 1, 5)) is None  # no such day
    assert read_date("завтра", dt.date(2028, 2, 28)) == dt.date(2028, 2, 29)
    assert read_date("завтра", dt.date(2027, 2, 28)) == dt.date(2027, 3, 1)
    assert read_date("30 лютого", dt.date(2027, 1, 5)) is None


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("на наступному тижні у вівторок", dt.date(2026, 12, 7), dt.date(2026, 12, 15)),  # not tomorrow
        ("вівторок наступного тижня", dt.date(2026, 12, 10), dt.date(2026, 12, 15)),
        ("на след. неделе в пятницу", dt.date(2026, 12, 7), dt.date(2026, 12, 18)),
        ("в среду следующей недели", dt.date(2026, 12, 28), dt.date(2027, 1, 6)),  # across the year's end
        ("в понеділок наступного тижня", dt.date(2026, 12, 6), dt.date(2026, 12, 7)),  # on a Sunday: tomorrow
        ("в среду", dt.date(2026, 12, 7), dt.date(2026, 12, 9)),  # no week said: the coming one
    ],
)
def test_a_weekday_of_next_week(text: str, today: dt.date, expected: dt.date) -> None:
    assert read_date(text, today) == expected


@pytest.mark.parametrize(
    ("now", "today"),
    [
        (dt.datetime(2026, 12, 3, 22, 30, tzinfo=dt.UTC), dt.date(2026, 12, 4)),  # 00:30 in Kyiv
        (dt.datetime(2026, 12, 31, 22, 0, tzinfo=dt.UTC), dt.date(2027, 1, 1)),  # New Year in Kyiv first
        (
            dt.datetime(2027, 3, 27, 22, 30, tzinfo=dt.UTC),
            dt.date(2027, 3, 28),
        ),  # the night clocks go forward
        (dt.datetime(2027, 3, 28, 21, 30, tzinfo=dt.UTC), dt.date(2027, 3, 29)),  # 00:30 EEST
        (dt.datetime(2027, 3, 28, 20, 30, tzinfo=dt.UTC), dt.date(2027, 3, 28)),  # 23:30 EEST
        (dt.datetime(2027, 10, 30, 21, 30, tzinfo=dt.UTC), dt.date(2027, 10, 31)),  # 00:30 EEST, going back
        (dt.datetime(2027, 10, 31, 21, 30, tzinfo=dt.UTC), dt.date(2027, 10, 31)),  # 23:30 EET
        (dt.datetime(2027, 10, 31, 22, 30, tzinfo=dt.UTC), dt.date(2027, 11, 1)),
    ],
)
def test_kyiv_today_across_midnight_and_dst(now: dt.datetime, today: dt.date) -> None:
    assert kyiv_today(now) == today
    assert read_date("завтра", kyiv_today(now)) == today + dt.timedelta(days=1)


def test_kyiv_moments_on_dst_change_days() -> None:
    assert kyiv_moment(dt.date(2027, 3, 27), dt.time(10)) == dt.datetime(2027, 3, 27, 8, tzinfo=dt.UTC)
    assert kyiv_moment(dt.date(2027, 3, 28), dt.time(10)) == dt.datetime(2027, 3, 28, 7, tzinfo=dt.UTC)
    assert kyiv_moment(dt.date(2027, 10, 31), dt.time(10)) == dt.datetime(2027, 10, 31, 8, tzinfo=dt.UTC)
    assert kyiv_moment(dt.date(2026, 10, 24), dt.time(10)) == dt.datetime(2026, 10, 24, 7, tzinfo=dt.UTC)
    skipped = kyiv_moment(dt.date(2027, 3, 28), dt.time(3, 30))  # no 03:30 that night: a real moment still
    assert skipped.astimezone(dt.UTC).tzinfo is dt.UTC and skipped.hour in (0, 1)


def test_weekdays_across_a_dst_change() -> None:
    saturday = kyiv_today(dt.datetime(2027, 3, 27, 21, 59, tzinfo=dt.UTC))  # 23:59 Saturday in Kyiv
    assert saturday == dt.date(2027, 3, 27)
    assert read_date("в понеділок", saturday) == dt.date(2027, 3, 29)
    assert read_date("в неділю", saturday) == dt.date(2027, 3, 28)


def test_where_a_date_was_found() -> None:
    found = find_date("давайте 10.12 о 14:30", FRIDAY)
    assert found is not None and found.value == dt.date(2026, 12, 10)
    assert "давайте 10.12 о 14:30"[found.start : found.end] == "10.12"


# --- times -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hour", "minute"),
    [
        ("на 10", 10, 0),
        ("о 10", 10, 0),
        ("на 10 годину", 10, 0),
        ("о 10 годині", 10, 0),
        ("в 10 часов", 10, 0),
        ("к 10", 10, 0),
        ("10", 10, 0),
        ("10:30", 10, 30),
        ("10.30", 10, 30),
        ("10-30", 10, 30),
        ("о 9:15", 9, 15),
        ("на 14:00", 14, 0),
        ("о пів на третю", 14, 30),
        ("пів на одинадцяту", 10, 30),
        ("пів на 11", 10, 30),
        ("пол третьего", 14, 30),
        ("на дві", 14, 0),
        ("о другій", 14, 0),
        ("в два", 14, 0),
        ("на 2", 14, 0),
        ("в 3 дня", 15, 0),
        ("о третій", 15, 0),
        ("о десятій", 10, 0),
        ("на одинадцяту", 11, 0),
        ("в 8 ранку", 8, 0),
        ("на 8", 8, 0),
        ("о 12", 12, 0),
        ("давайте на 11 если можно", 11, 0),
        ("можна о 10:45?", 10, 45),
        ("на 9 30", 9, 30),
        ("в 11 15", 11, 15),
        ("14 00", 14, 0),
        ("в полдень", 12, 0),
        ("опівдні", 12, 0),
        ("к десяти", 10, 0),
        ("к одиннадцати", 11, 0),
        ("о девятій", 9, 0),  # typed without its apostrophe
        ("без чверті десята", 9, 45),  # minutes before an hour
        ("без пятнадцати десять", 9, 45),
        ("без п'яти дев'ять", 8, 55),
        ("без 15 2", 13, 45),
        ("на пяту", 17, 0),
        ("о восьмій тридцять", 8, 30),  # minutes in words after an hour
        ("в десять пятнадцать", 10, 15),
        ("о 9 сорок п'ять", 9, 45),
        ("на дві тридцять", 14, 30),
    ],
)
def test_exact_times(text: str, hour: int, minute: int) -> None:
    assert read_time(text) == TimeAsked(dt.time(hour, minute))


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("після обіду", 13, 20),
        ("после обеда", 13, 20),
        ("пообіді", 13, 20),
        ("зранку", 8, 12),
        ("вранці", 8, 12),
        ("утром", 8, 12),
        ("с утра", 8, 12),
        ("до обіду", 8, 13),
        ("ввечері", 16, 20),
        ("после 15", 15, 20),
        ("після 3", 15, 20),
        ("до 12", 8, 12),
    ],
)
def test_time_ranges(text: str, start: int, end: int) -> None:
    asked = read_time(text)
    assert asked == TimeAsked(dt.time(start), dt.time(end))
    assert asked.contains(dt.time(start)) and not asked.contains(dt.time(end))


@pytest.mark.parametrize(
    ("text", "hour"),
    [("после обеда в 2", 14), ("після обіду на 3", 15), ("вечером в 6", 18), ("утром в 10", 10),
     ("зранку на 9", 9), ("в обед в 12", 12)],
)  # fmt: skip
def test_an_hour_inside_a_part_of_the_day(text: str, hour: int) -> None:
    """An hour and a part of the day: the hour, read as that part of the day means it."""
    assert read_time(text) == TimeAsked(dt.time(hour))


@pytest.mark.parametrize(
    ("text", "hour"), [("10 утра", 10), ("3 дня", 15), ("в час дня", 13), ("8 вечера", 20)]
)
def test_an_hour_with_its_part_of_the_day_and_no_mark(text: str, hour: int) -> None:
    assert read_when(text, FRIDAY) == (None, TimeAsked(dt.time(hour)))  # «8 вечера» is no typo of «вчера»


def test_lunch_alone_and_by_lunch_are_ranges_and_time_alone_is_no_hour() -> None:
    assert read_time("обед") == TimeAsked(dt.time(12), dt.time(14))
    assert read_time("к обеду") == TimeAsked(dt.time(8), dt.time(13))
    assert read_time("інший час") is None and read_time("в который час") is None


def test_a_half_hour_is_no_day_of_the_month_and_a_day_of_the_month_in_any_case() -> None:
    assert read_when("завтра в пол десятого", FRIDAY) == (dt.date(2026, 12, 5), TimeAsked(dt.time(9, 30)))
    assert read_when("пів на десяту", FRIDAY) == (None, TimeAsked(dt.time(9, 30)))
    assert read_date("десятого", FRIDAY) == dt.date(2026, 12, 10)  # alone, an ordinal is still a day
    assert read_date("к 14 числу", FRIDAY) == dt.date(2026, 12, 14)


def test_a_part_of_the_day_alone_stays_a_range_and_an_hour_outside_it_stays_as_said() -> None:
    assert read_time("после обеда") == TimeAsked(dt.time(13), dt.time(20))
    assert read_time("на 10 после обеда") == TimeAsked(dt.time(10))  # 22:00 is no office hour either
    assert read_when("завтра после обеда в 2", FRIDAY) == (dt.date(2026, 12, 5), TimeAsked(dt.time(14)))


@pytest.mark.parametrize("text", ["так", "завтра", "в четвер", "25:00", "", "паспорт", "99"])
def test_no_time(text: str) -> None:
    assert read_time(text) is None


@pytest.mark.parametrize(
    ("text", "day", "at"),
    [
        ("завтра на 10", dt.date(2026, 12, 5), TimeAsked(dt.time(10))),
        ("10.12 о 14:30", dt.date(2026, 12, 10), TimeAsked(dt.time(14, 30))),
        ("в четверг после обеда", dt.date(2026, 12, 10), TimeAsked(dt.time(13), dt.time(20))),
        ("в понеділок о пів на одинадцяту", dt.date(2026, 12, 7), TimeAsked(dt.time(10, 30))),
        ("10.12", dt.date(2026, 12, 10), None),  # a date here, never ten past ten
        ("на 10", None, TimeAsked(dt.time(10))),
        ("3 грудня", dt.date(2027, 12, 3), None),
        ("десятого на 9", dt.date(2026, 12, 10), TimeAsked(dt.time(9))),
        ("першого о десятій", dt.date(2027, 1, 1), TimeAsked(dt.time(10))),
        ("10 12", None, None),  # neither a time (12 is not a round minute) nor a date
    ],
)
def test_a_day_and_a_time_in_one_message(text: str, day: dt.date | None, at: TimeAsked | None) -> None:
    assert read_when(text, FRIDAY) == (day, at)


# --- phones ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "0671234567", "067 123 45 67", "067-123-45-67", "(067) 123-45-67", "+380671234567", "+38 067 123 45 67",
        "+38 (067) 123-45-67", "380671234567", "мій номер 067 123 45 67", "тел: 067.123.45.67", "80671234567",
        "067 1234567 дякую",
    ],
)  # fmt: skip
def test_mobile_numbers(text: str) -> None:
    assert read_phone(text) == "+380671234567"


def test_each_mobile_code_and_a_landline() -> None:
    assert read_phone("050 111 22 33") == "+380501112233"
    assert read_phone("093-111-22-33") == "+380931112233"
    assert read_phone("0564 12 34 56") is None  # a Kryvyi Rih landline is not a mobile
    assert read_phone("0564 12 34 56", mobile_only=False) == "+380564123456"


@pytest.mark.parametrize("text", ["067 123 45", "12345", "не дам", "", "0671234567890", "+7 912 123 45 67"])
def test_not_a_number(text: str) -> None:
    assert read_phone(text) is None


# --- counts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("двоє", 2), ("троє", 3), ("троє дітей", 3), ("2", 2), ("один", 1), ("одна", 1), ("двое", 2),
        ("трое детей", 3), ("четверо", 4), ("у мене двоє", 2), ("я сама", 1), ("жодного", 0), ("ни одного", 0),
        ("п'ятеро", 5), ("пятеро", 5), ("дві дитини", 2), ("двоє діток", 2),
    ],
)  # fmt: skip
def test_counts(text: str, n: int) -> None:
    assert read_count(text) == n


@pytest.mark.parametrize(
    ("text", "n"),
    [("есть сын 8 лет", 1), ("син і донька", 2), ("одна донька 5 років", 1), ("двоє дітей 5 і 8 років", 2),
     ("внучка", 1)],
)  # fmt: skip
def test_children_named_one_by_one_and_ages_not_counted(text: str, n: int) -> None:
    assert read_count(text) == n


@pytest.mark.parametrize("text", ["8 лет", "2 роки", "дети", "діти є", "мені 40 років"])
def test_an_age_or_children_with_no_number_count_nothing(text: str) -> None:
    assert read_count(text) is None


@pytest.mark.parametrize("text", ["", "багато", "двоє або троє", "25", "не сама"])
def test_no_count(text: str) -> None:
    assert read_count(text) is None


# --- choices -----------------------------------------------------------------------------------------------

SERVICES = [
    ("id", "Паспорт громадянина України у формі ID-картки"),
    ("reg", "Реєстрація місця проживання"),
    ("idp", "Допомога на проживання ВПО"),
    ("birth", "Державна реєстрація народження"),
]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("паспорт", "id"),
        ("Паспорт", "id"),
        ("пасп", "id"),
        ("на паспорт", "id"),
        ("id картка", "id"),
        ("пачпорт", "id"),  # a typo
        ("місце проживання", "reg"),
        ("впо", "idp"),
        ("допомога впо", "idp"),
        ("народження", "birth"),
        ("реєстрація народження", "birth"),
        ("Допомога на проживання ВПО", "idp"),
    ],
)
def test_a_choice_by_words_or_a_fragment(text: str, value: str) -> None:
    assert choose(text, SERVICES) == value


@pytest.mark.parametrize("text", ["реєстрація", "проживання", "", "так", "щось інше зовсім", "я"])
def test_an_ambiguous_or_unknown_choice_is_none(text: str) -> None:
    assert choose(text, SERVICES) is None


def test_aliases_name_one_value() -> None:
    groups = [
        ("combatant", "Учасник бойових дій"),
        ("combatant", "убд"),
        ("fallen", "Родина загиблого Захисника"),
    ]
    assert choose("я убд", groups) == "combatant"
    assert choose("учасник бойових", groups) == "combatant"
    assert choose("родина загиблого", groups) == "fallen"
    assert choose_label("саксагань", ["Соцзахист Саксаганського р-ну", "ЦНАП «Віза» (головний)"]) == 0
    assert choose_label("віза", ["Соцзахист Саксаганського р-ну", "ЦНАП «Віза» (головний)"]) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("вчора", dt.date(2026, 12, 3)),
        ("вчера", dt.date(2026, 12, 3)),
        ("позавчора", dt.date(2026, 12, 2)),
        ("сьогодні", dt.date(2026, 12, 4)),
        ("подала в понеділок", dt.date(2026, 11, 30)),
        ("в пятницу", dt.date(2026, 11, 27)),  # Friday today: the Friday before
        ("3 грудня", dt.date(2026, 12, 3)),
        ("29.12", dt.date(2025, 12, 29)),  # not yet this year: last year's
        ("3 числа", dt.date(2026, 12, 3)),
        ("5 числа", dt.date(2026, 11, 5)),
        ("тиждень тому", dt.date(2026, 11, 27)),
        ("2 тижні тому", dt.date(2026, 11, 20)),
        ("три дні тому", dt.date(2026, 12, 1)),
        ("неделю назад", dt.date(2026, 11, 27)),
        ("29.02", dt.date(2024, 2, 29)),
    ],
)
def test_a_day_gone_by(text: str, expected: dt.date) -> None:
    assert read_date(text, FRIDAY, past=True) == expected


def test_a_day_gone_by_across_new_year() -> None:
    january = dt.date(2027, 1, 5)  # a Tuesday
    assert read_date("29.12", january, past=True) == dt.date(2026, 12, 29)
    assert read_date("в понеділок", january, past=True) == dt.date(2027, 1, 4)
    assert read_date("в четвер", january, past=True) == dt.date(2026, 12, 31)
    assert read_date("тиждень тому", january, past=True) == dt.date(2026, 12, 29)
    assert read_date("20 числа", january, past=True) == dt.date(2026, 12, 20)


@pytest.mark.parametrize(
    "text",
    ["на коли я записаний", "во сколько я записана?", "куди мене записали", "де мій запис",
     "покажіть мої записи", "когда моя запись", "чи я записалась на четвер"],
)
def test_a_question_about_my_own_booking(text: str) -> None:
    assert asks_mine(text)


@pytest.mark.parametrize(
    "text", ["хочу записатися", "запишіть мене на четвер", "записатися на паспорт", "я записаний", "запис"]
)
def test_a_wish_for_a_new_booking_is_not_about_mine(text: str) -> None:
    assert not asks_mine(text)
