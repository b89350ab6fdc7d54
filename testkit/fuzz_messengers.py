"""The fuzz inputs of the messengers (testkit/fuzz_rig.py): Viber webhook events with good, bad and missing
signatures, and Telegram updates (messages, commands, contacts, button presses) with mangled fields."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from testkit.fuzz_values import (
    PAYLOADS,
    encode,
    huge_ints,
    json_values,
    mangled,
    maybe,
    nested,
    texts,
    weighted,
    with_extras,
)
from testkit.viber.citizen import sign

VIBER_TOKEN = "fuzz-viber-token-0123456789abcdef"


viber_users = weighted(
    (6, st.integers(1, 300).map(lambda n: f"fuzz-v-{n}==")),
    (1, st.text(max_size=70)),
    (1, json_values),
)
viber_tokens = weighted((6, st.integers(min_value=1, max_value=2**63)), (1, st.none()), (1, json_values))
viber_stamps = maybe(st.integers(min_value=0, max_value=2**53))
viber_messages = with_extras(
    st.fixed_dictionaries(
        {
            "type": maybe(
                weighted(
                    (6, st.just("text")),
                    (
                        2,
                        st.sampled_from(
                            ["contact", "picture", "file", "location", "sticker", "url", "video"]
                        ),
                    ),
                )
            ),
            "text": maybe(weighted((3, texts), (1, st.sampled_from(PAYLOADS)))),
        },
        optional={
            "tracking_data": maybe(
                st.one_of(st.text(max_size=100), st.just(json.dumps({"b": PAYLOADS[:5]})))
            ),
            "contact": maybe(
                st.fixed_dictionaries(
                    {
                        "name": maybe(st.text(max_size=20)),
                        "phone_number": maybe(st.from_regex(r"\+?[0-9 ()-]{0,16}", fullmatch=True)),
                    }
                )
            ),
            "media": maybe(st.sampled_from(["https://example.invalid/a.jpg", ""])),
            "file_name": maybe(st.text(max_size=30)),
            "size": maybe(huge_ints),
        },
    )
)
viber_senders = with_extras(
    st.fixed_dictionaries(
        {"id": maybe(viber_users)},
        optional={
            "name": maybe(st.text(max_size=30)),
            "language": maybe(st.just("uk")),
            "api_version": maybe(st.integers(0, 20)),
        },
    )
)
VIBER_EVENTS = [
    "message",
    "subscribed",
    "unsubscribed",
    "conversation_started",
    "delivered",
    "seen",
    "failed",
    "webhook",
    "client_status",
    "action",
]


@st.composite
def _viber_event(draw: st.DrawFn) -> dict[str, Any]:
    event = draw(weighted((8, st.just("message")), (4, st.sampled_from(VIBER_EVENTS)), (1, json_values)))
    raw: dict[str, Any] = {
        "event": event,
        "timestamp": draw(viber_stamps),
        "message_token": draw(viber_tokens),
    }
    if event == "message" or draw(st.integers(0, 7)) == 0:
        raw["sender"] = draw(maybe(viber_senders))
        raw["message"] = draw(maybe(viber_messages))
    if event in ("subscribed", "conversation_started") or draw(st.integers(0, 7)) == 0:
        raw["user"] = draw(maybe(viber_senders))
        if draw(st.booleans()):
            raw["context"] = draw(
                maybe(st.one_of(st.text(max_size=80), st.sampled_from(["tr_abc", "birth", " "])))
            )
    if event in ("unsubscribed", "delivered", "seen", "failed") or draw(st.integers(0, 7)) == 0:
        raw["user_id"] = draw(maybe(viber_users))
    return mangled(draw, raw)


viber_events = _viber_event()


@dataclass(frozen=True)
class ViberInput:
    body: bytes
    signature: str | None  # None: the header is left out


@st.composite
def _viber_input(draw: st.DrawFn) -> ViberInput:
    body = draw(
        st.one_of(
            viber_events.map(lambda v: encode(v, True)),
            viber_events.map(lambda v: encode(v, False)),
            json_values.map(lambda v: encode(v, True)),
            nested(),
            st.binary(max_size=200),
        )
    )
    how = draw(st.sampled_from(["good"] * 8 + ["bad", "none", "other token"]))
    printable = st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=70
    )  # a header's value
    signature = {
        "good": sign(body, VIBER_TOKEN),
        "bad": draw(printable),
        "none": None,
        "other token": sign(body, "another-token"),
    }[how]
    return ViberInput(body, signature)


viber_inputs = _viber_input()

_update_ids = itertools.count(1)
tg_ids = weighted((4, st.integers(1, 300)), (1, huge_ints))
tg_users = with_extras(
    st.fixed_dictionaries(
        {"id": maybe(tg_ids), "is_bot": maybe(st.booleans()), "first_name": maybe(st.text(max_size=30))},
        optional={
            "username": maybe(st.text(max_size=20)),
            "language_code": maybe(st.sampled_from(["uk", "ru", "en"])),
        },
    )
)
tg_chats = with_extras(
    st.fixed_dictionaries(
        {
            "id": maybe(tg_ids),
            "type": maybe(st.sampled_from(["private", "private", "group", "supergroup", "channel"])),
        },
        optional={"is_forum": maybe(st.booleans()), "title": maybe(st.text(max_size=20))},
    )
)
tg_entities = st.lists(
    st.fixed_dictionaries(
        {
            "type": maybe(st.sampled_from(["bot_command", "bold", "url", "mention"])),
            "offset": maybe(st.integers(-5, 100)),
            "length": maybe(st.integers(-5, 100)),
        }
    ),
    max_size=3,
)
tg_messages = with_extras(
    st.fixed_dictionaries(
        {
            "message_id": maybe(st.integers(0, 2**31)),
            "date": maybe(st.integers(0, 2**33)),
            "chat": maybe(tg_chats),
        },
        optional={
            "from": maybe(tg_users),
            "text": maybe(texts),
            "entities": maybe(tg_entities),
            "caption": maybe(texts),
            "contact": maybe(
                st.fixed_dictionaries(
                    {
                        "phone_number": maybe(st.from_regex(r"\+?[0-9]{0,15}", fullmatch=True)),
                        "first_name": maybe(st.text(max_size=10)),
                        "user_id": maybe(tg_ids),
                    }
                )
            ),
            "photo": maybe(st.just([{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}])),
            "document": maybe(
                st.fixed_dictionaries(
                    {
                        "file_id": st.just("f"),
                        "file_unique_id": st.just("u"),
                        "file_name": maybe(st.text(max_size=20)),
                    }
                )
            ),
            "sticker": maybe(
                st.just(
                    {
                        "file_id": "f",
                        "file_unique_id": "u",
                        "type": "regular",
                        "width": 1,
                        "height": 1,
                        "is_animated": False,
                        "is_video": False,
                    }
                )
            ),
            "message_thread_id": maybe(st.integers(0, 100)),
            "is_topic_message": maybe(st.booleans()),
        },
    )
)
tg_callbacks = with_extras(
    st.fixed_dictionaries(
        {
            "id": maybe(st.text(max_size=10)),
            "from": maybe(tg_users),
            "chat_instance": maybe(st.text(max_size=10)),
        },
        optional={
            "data": maybe(st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=70))),
            "message": maybe(tg_messages),
        },
    )
)


@st.composite
def _telegram_update(draw: st.DrawFn) -> dict[str, Any]:
    update_id = draw(st.one_of(st.just(None), st.just(None), st.just(None), huge_ints))
    update: dict[str, Any] = {"update_id": next(_update_ids) if update_id is None else update_id}
    kind = draw(
        st.sampled_from(
            [
                "message",
                "message",
                "callback_query",
                "callback_query",
                "edited_message",
                "channel_post",
                "my_chat_member",
                "other",
            ]
        )
    )
    if kind in ("message", "edited_message", "channel_post"):
        update[kind] = draw(tg_messages)
    elif kind == "callback_query":
        update[kind] = draw(tg_callbacks)
    else:
        update.update(draw(st.dictionaries(st.text(max_size=15), json_values, max_size=2)))
    return update


telegram_inputs = _telegram_update()
