"""A room is its own package plus one line of wiring: a throwaway room, declared here and nowhere else, gets its
menu entry, its button on a service card, its typed command, its intent and its payloads routed, and nothing
else the citizen sees changes. The registry refuses a room whose prefix, name, intent or command is taken."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from bot.app import Bot
from dialogs.engine import Engine
from dialogs.messages import Button, Incoming, Reply
from dialogs.rooms import Room, Rooms, Row, Turn
from knowledge.schema import LifeSituation, Service
from knowledge.search import SearchHit
from knowledge.understand import Intent
from storage.clock import ManualClock
from storage.models import DialogState


class ParcelRoom:
    """Parcels of documents sent by post: a capability the bot does not have, only for this test."""

    prefix = "pa"
    name = "parcels"
    intents = frozenset({Intent.READY})
    holds = False

    def __init__(self) -> None:
        self.pressed: list[tuple[str, ...]] = []
        self.wished: list[Intent] = []

    @property
    def commands(self) -> Mapping[str, tuple[str, ...]]:
        return {"/parcel": ("my",)}

    def menu_rows(self) -> Sequence[Row]:
        return ((Button("📦 Посилки", "pa"),),)

    def card_rows(self, service: Service) -> Sequence[Row]:
        return ((Button("📦 Надіслати поштою", f"pa:s:{service.id}"),),)

    def checklist_rows(self, situation: LifeSituation | None, services: Sequence[Service]) -> Sequence[Row]:
        return ()

    def lost_rows(self) -> Sequence[Row]:
        return ()

    async def holding(self, turn: Turn) -> bool:
        return False

    async def button(self, turn: Turn, args: tuple[str, ...]) -> list[Reply]:
        self.pressed.append(args)
        if args[:1] == ("then",):  # done here: the citizen goes on with the payload given
            turn.then = ":".join(args[1:])
        return [Reply("parcel:" + ":".join(args))]

    async def intent(self, turn: Turn, intent: Intent, hit: SearchHit | None) -> list[Reply]:
        self.wished.append(intent)
        return [Reply("parcel intent")]

    async def text(self, turn: Turn, text: str) -> list[Reply] | None:
        return None

    async def deep_link(self, turn: Turn, arg: str) -> list[Reply] | None:
        return None

    async def forget(self, turn: Turn) -> None:
        return None

    def personal(self, state: DialogState) -> bool:
        return False


def _engine(bot: Bot, clock: ManualClock, *extra: Room) -> Engine:
    e = bot.engine
    return Engine(e.kb, e.index, e.scenarios, bot.uow_factory, clock=clock, rooms=[*e.rooms, *extra])


def _rows(replies: list[Reply]) -> list[tuple[tuple[str, str], ...]]:
    return [tuple((b.text, b.payload or "") for b in row) for r in replies for row in r.buttons]


async def test_a_throwaway_room_is_routed_and_shown(bot: Bot, clock: ManualClock) -> None:
    room = ParcelRoom()
    plain, engine = _engine(bot, clock), _engine(bot, clock, room)
    service = next(iter(engine.kb.services))

    menu, before = _rows(engine.views.main_menu()), _rows(plain.views.main_menu())
    assert (("📦 Посилки", "pa"),) in menu
    assert [row for row in menu if row != (("📦 Посилки", "pa"),)] == before  # nothing else on the menu moved

    card, card_before = _rows(engine.views.service(service)), _rows(plain.views.service(service))
    assert (("📦 Надіслати поштою", f"pa:s:{service}"),) in card
    assert [row for row in card if row[0][1] != f"pa:s:{service}"] == card_before

    async def say(**what: str) -> list[str]:
        return [r.text for r in await engine.handle(Incoming("test", "parcel-fan", **what))]

    assert await say(text="/parcel") == ["parcel:my"]
    assert await say(payload=f"pa:s:{service}") == [f"parcel:s:{service}"]
    assert await say(payload="pa") == ["parcel:"]
    assert room.pressed == [("my",), ("s", service), ()]
    assert await say(text="коли буде готовий мій паспорт?") == ["parcel intent"]
    assert room.wished == [Intent.READY]
    assert engine.parse("pa:s:x") is not None and plain.parse("pa:s:x") is None  # only where it is wired


async def test_the_other_rooms_see_nothing_of_it(bot: Bot, clock: ManualClock) -> None:
    """The same words and buttons get the same answers with the throwaway room wired as without it."""
    plain, engine = _engine(bot, clock), _engine(bot, clock, ParcelRoom())
    for n, what in enumerate(
        ({"text": "/my"}, {"payload": "q:my"}, {"payload": "m:svc"}, {"text": "паспорт"})
    ):
        one = await plain.handle(Incoming("test", f"a{n}", **what))
        other = await engine.handle(Incoming("test", f"b{n}", **what))
        assert [r.text for r in one] == [r.text for r in other]


async def test_a_room_hands_the_turn_on_once(bot: Bot, clock: ManualClock) -> None:
    """`Turn.then`: the payload a room names is pressed for the citizen in the same turn, its replies after the
    room's; a chain stops after one hop."""
    room = ParcelRoom()
    engine = _engine(bot, clock, room)
    menu = [r.text for r in await engine.handle(Incoming("test", "h", payload="m"))]
    replies = [r.text for r in await engine.handle(Incoming("test", "h", payload="pa:then:m"))]
    assert replies == ["parcel:then:m", *menu]
    replies = [r.text for r in await engine.handle(Incoming("test", "h", payload="pa:then:pa:then:m"))]
    assert replies == ["parcel:then:pa:then:m", "parcel:then:m"]
    assert room.pressed[-1] == ("then", "m")


class _Renamed(ParcelRoom):
    def __init__(self, prefix: str, name: str = "other", intents: frozenset[Intent] = frozenset()) -> None:
        super().__init__()
        self.prefix, self.name, self.intents = prefix, name, intents


@pytest.mark.parametrize(
    ("second", "problem"),
    [
        (_Renamed("m"), "the engine's own"),
        (_Renamed("pa"), "is taken"),
        (_Renamed("pb", name="parcels"), "name is taken"),
        (_Renamed("pb", intents=frozenset({Intent.READY})), "intents"),
        (_Renamed("pb"), "commands"),  # «/parcel» again
        (_Renamed("p:x"), "one or two letters"),
        (_Renamed("PA"), "one or two letters"),
    ],
)
def test_the_registry_refuses_a_clash(second: ParcelRoom, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Rooms([ParcelRoom(), second])
