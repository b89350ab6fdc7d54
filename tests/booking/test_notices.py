"""The notice of a closed day, as the booking room words it: an office visit and a callback, with the nearest
free times or without any, and the button that books again with the room's own payload. No database, no clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dialogs.booking.base import PREFIX
from dialogs.booking.notices import OTHER_TIME, closure_notice, office_name
from dialogs.booking.rules import Resource, Slot
from dialogs.booking.service import BookingService
from dialogs.payloads import parse
from knowledge import Knowledge
from storage.booking import Booking

KYIV = ZoneInfo("Europe/Kyiv")


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=KYIV).astimezone(dt.UTC)


def _slot(start: dt.datetime) -> Slot:
    return Slot(Resource("visa-main", "passport"), start, start + dt.timedelta(minutes=20), 2, frozenset())


def _booking(kind: str, office: str, start: dt.datetime) -> Booking:
    return Booking(code="K7M-4QX", kind=kind, office=office, service="drs-passport-id-lost", start=start)


def test_an_office_visit_is_told_the_reason_the_nearest_times_and_can_book_the_same_service(
    kb: Knowledge,
) -> None:
    service = BookingService(kb, martial_law=True)
    nearest = [_slot(_at(8, 8)), _slot(_at(8, 8, 20))]
    notice = closure_notice(
        service, _booking("office", "visa-main", _at(7, 8)), " технічні роботи. ", nearest
    )
    assert notice.text == (
        "Вибачте, у понеділок, 07.12.2026, Головний офіс «Віза» не працюватиме. Причина: технічні роботи.\n"
        "Ваш запис **K7M-4QX** на 08:00 цього дня скасовано.\n"
        "\n"
        "Найближчий вільний час:\n"
        "• вт, 08.12.2026 о 08:00\n"
        "• вт, 08.12.2026 о 08:20\n"
        "\n"
        "Оберіть час кнопкою нижче — або інший день."
    )
    *times, [other] = notice.buttons
    assert [[(b.text, b.payload) for b in row] for row in times] == [
        [("🕘 вт, 08.12 о 08:00", "q:at:K7M-4QX:202612080800")],
        [("🕘 вт, 08.12 о 08:20", "q:at:K7M-4QX:202612080820")],
    ]
    assert other.text == OTHER_TIME and other.payload == "q:s:drs-passport-id-lost"
    for row in notice.buttons:
        payload = parse(row[0].payload, {PREFIX})
        assert payload is not None and payload.prefix == PREFIX
    # Times at another office (this one is closed for good) carry that office.
    elsewhere = closure_notice(service, _booking("office", "visa-main", _at(7, 8)), "x", nearest, "saksahan-uszn")
    assert elsewhere.buttons[0][0].payload == "q:at:K7M-4QX:202612080800:saksahan-uszn"


def test_a_callback_with_no_free_time_near_is_sent_to_the_hotline_and_books_a_callback_again(
    kb: Knowledge,
) -> None:
    service = BookingService(kb, martial_law=True)
    notice = closure_notice(service, _booking("callback", "hotline", _at(16, 8, 20)), "свято", [])
    assert notice.text == (
        "Вибачте, у середу, 16.12.2026, гаряча лінія не зможе передзвонити. Причина: свято.\n"
        "Ваше замовлення дзвінка **K7M-4QX** на 08:20 скасовано.\n"
        "\n"
        "Найближчими днями вільного часу, на жаль, немає. Підкажуть на безкоштовній гарячій лінії 0 800 500 459."
    )
    assert [[b.payload for b in row] for row in notice.buttons] == [["q:cb"]]


def test_office_names_are_the_short_ones_citizens_know(kb: Knowledge) -> None:
    assert office_name(kb, "hotline") == "гаряча лінія"
    assert office_name(kb, "visa-main") == "Головний офіс «Віза»"
    assert office_name(kb, "no-such-office") == "no-such-office"
