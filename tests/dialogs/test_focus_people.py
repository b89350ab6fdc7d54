"""Follow-ups after people's wishes (issue 19): after «I cannot come in» the home visit is in focus, so «а це
платно?» is answered about it (contacts.yaml says no fee: the hotline is given, never a card's fee); a doctor, a
bus ticket or the power get an honest «not the Center's», never the booking flow; the card in focus is kept."""

from __future__ import annotations

from bot.app import Bot
from dialogs.center_services import NO_FEE, WHEN
from dialogs.outcome import Kind, Outcome
from testkit.transcript import EngineChannel
from tests.dialogs.conftest import Heard


async def _state(bot: Bot, user: str = "citizen-1") -> tuple[str | None, str | None]:
    async with bot.uow_factory() as uow:
        _, state = await uow.users.with_state("test", user)
        return state.focus, state.scenario


async def test_after_a_home_visit_follow_ups_are_about_the_visit(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    await citizen.send_text("мама лежача чи може ваш працівник приїхати додому")
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "home_visit")
    assert (await _state(bot))[0] == "service:mobile-admin"

    paid = await citizen.send_text("а це платно")
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, "price:service:mobile-admin")
    assert NO_FEE.split("—")[0] in paid.text and "0 800 500 459" in paid.text
    assert "безоплатн" not in paid.text and len(paid.text) <= 600  # no card's fee taken for the visit's

    when = await citizen.send_text("а скільки чекати")
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, "term:service:mobile-admin")
    assert WHEN in when.text

    named = await citizen.send_text("допомога впо")  # something else named: the focus moves
    assert "допомоги на проживання" in named.text
    assert (await _state(bot))[0] == "service:idp-living-allowance"


async def test_a_doctor_is_not_a_booking_at_the_center(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    for text in ("запишіть мене до терапевта на завтра", "коли на гданцівці дадуть світло",
                 "где купить билет на автобус до Днепра"):
        seen = await citizen.send_text(text)
        assert heard.outcomes[-1] == Outcome(Kind.INTENT, "elsewhere"), text
        assert (await _state(bot))[1] is None, text  # no booking flow started
        assert "Центр «Віза»" in seen.text and len(seen.text) <= 600


async def test_a_follow_up_inside_a_card_dialog_keeps_the_card(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    await citizen.send_text("витяг з драцс")
    money = await citizen.send_text("а по грошах")  # at the card's question: a follow-up, not a re-ask
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, "price:service:drs-civil-registry-extract")
    assert any("Продовжити" in label for label, _ in money.buttons)
    assert (await _state(bot))[1] == "k-drs-civil-registry-extract"


async def test_a_follow_up_after_a_list_asks_which_of_the_listed(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    """Nothing in the list stands out, nothing was in focus: «а скільки то коштує» asks which of the listed
    services (the buttons of the reply before, from the message log), each a button to its card's section — not
    the generic «which service» with the menu; the focus stays empty (no guess)."""
    listed = await citizen.send_text("паспарт новий пісдя заміжжя доньці")
    assert heard.outcomes[-1] == Outcome(Kind.SEARCH, "")
    shown = {payload.split(":")[1] for _, payload in listed.buttons if payload.startswith("v:")}
    assert (await _state(bot))[0] is None

    which = await citizen.send_text("а скільки то коштує")
    assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, "price:")
    asked = [payload for _, payload in which.buttons if payload.startswith("v:")]
    assert asked and all(p.endswith(":term") for p in asked)  # the section with the price
    assert {p.split(":")[1] for p in asked} <= shown
    assert "про яку послугу" in which.text and (await _state(bot))[0] is None


async def test_a_follow_up_with_nothing_listed_before_asks_with_the_menu(citizen: EngineChannel) -> None:
    await citizen.send_text("привіт")
    which = await citizen.send_text("а скільки то коштує")
    assert "про яку послугу" in which.text
    assert not [payload for _, payload in which.buttons if payload.startswith("v:")]


async def test_a_list_does_not_replace_what_is_in_focus(bot: Bot, citizen: EngineChannel) -> None:
    await citizen.send_text("допомога впо")
    await citizen.send_text("меню")
    await citizen.send_text("паспарт новий пісдя заміжжя доньці")
    assert (await _state(bot))[0] == "service:idp-living-allowance"


async def test_hours_of_a_day_named_are_that_days(citizen: EngineChannel, heard: Heard) -> None:
    """«а в вівторок допізна» on a Friday: Tuesday's hours of the main office, not today's; «сьогодні» today's."""
    today = await citizen.send_text("до котрої сьогодні працюєте")
    assert "Сьогодні" in today.text
    tuesday = await citizen.send_text("а в вівторок допізна")
    assert heard.outcomes[-1] == Outcome(Kind.INTENT, "hours")
    assert tuesday.text.count("вівторок") == 1 and "Сьогодні" not in tuesday.text, tuesday.text
    assert "приймають з " in tuesday.text and len(tuesday.text) <= 600
    sunday = await citizen.send_text("а в неділю")
    assert "У неділю, 6 грудня, вихідний." in sunday.text, sunday.text  # the tests run on Friday 4 December


async def test_documents_asked_with_words_that_also_search_are_about_the_focus(
    bot: Bot, citizen: EngineChannel, heard: Heard
) -> None:
    """«які документи збирати» found a weak hit besides its facet, and documents were never a follow-up then:
    a list of search results came instead of the documents of the card in focus."""
    await citizen.send_text("допомога при народженні дитини скільки дають")
    assert (await _state(bot))[0] == "service:drs-birth-assistance"
    for text in ("а що з документів", "які документи збирати"):
        seen = await citizen.send_text(text)
        assert heard.outcomes[-1] == Outcome(Kind.FOLLOW_UP, "docs:service:drs-birth-assistance"), text
        assert "Ось що я знайшов" not in seen.text
