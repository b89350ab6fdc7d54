"""A wish a room takes (booking, a reminder) about a thing the words name: the room gets the service a situation's
words name clearly («записатися на єМалятко» is the єМалятко, not the situation «Народження дитини»), and the
situation when several of its services fit as well — through the engine, as citizens type them."""

from __future__ import annotations

import pytest

from bot.app import Bot
from dialogs.outcome import Kind, Outcome
from testkit.people import verify_citizen
from testkit.transcript import EngineChannel
from tests.dialogs.conftest import Heard


async def _booking_service(bot: Bot, citizen: EngineChannel) -> str | None:
    async with bot.uow_factory() as uow:
        user = await uow.users.get(citizen.channel, citizen.user)
        assert user is not None
        state = await uow.states.get(user.id)
    assert state.scenario == "booking"
    return state.answers.get("svc")


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("записатися на єМалятко", "drs-yemalyatko"),
        ("хочу записатися на реєстрацію фоп", "pub-fop-registration"),
        ("записатися на пільгу на комуналку", "pub-veteran-utility-benefits"),
        ("Запишіть мене на реєстрацію місця проживання", "pub-residence-registration"),
        ("хочу записатися відкрити фоп", "pub-fop-registration"),
    ],
)
async def test_a_booking_for_a_service_a_situation_bundles_starts_with_that_service(
    bot: Bot, citizen: EngineChannel, heard: Heard, text: str, service: str
) -> None:
    await verify_citizen(bot.uow_factory, citizen.channel, citizen.user)  # seeded: not about verifying
    await citizen.send_text(text)
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "booking")
    assert await _booking_service(bot, citizen) == service


async def test_a_booking_named_by_one_bookable_services_words_takes_it(
    bot: Bot, citizen: EngineChannel
) -> None:
    """«народження дитини» is said by one bookable service's name only (the registration's): the booking room
    takes it, as its service step would take those words."""
    await verify_citizen(bot.uow_factory, citizen.channel, citizen.user)  # seeded: not about verifying
    await citizen.send_text("записатися на народження дитини")
    assert await _booking_service(bot, citizen) == "drs-birth-registration"


@pytest.mark.parametrize("text", ["хочу записатися, у нас народилася дитина", "запис на дитину народилась"])
async def test_a_booking_for_a_situation_of_several_services_asks_which(
    bot: Bot, citizen: EngineChannel, text: str
) -> None:
    await citizen.send_text(text)
    assert await _booking_service(bot, citizen) is None  # the registration, the assistance, єМалятко: asked
