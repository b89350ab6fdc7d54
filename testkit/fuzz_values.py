"""The fuzz inputs every channel shares (testkit/fuzz_rig.py): any text and JSON value, mangled objects (missing,
wrong-typed and extra fields), texts weighted towards what the bot knows (words, payloads), and the web chat's
request bodies with their content types."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

# --- generators ----------------------------------------------------------------------------------------------

# Text as hostile clients send it: any code point, lone surrogates included, plus pieces the bot knows.
KNOWN_WORDS = [
    "/start",
    "/help",
    "/my",
    "/reminders",
    "/forget",
    "прописка",
    "паспорт",
    "не знаю",
    "так",
    "ні",
    "меню",
    "назад",
    "оператор",
    "контакти",
    "/start tr_abc",
    "/start birth",
    "дякую",
]
PAYLOADS = [
    "m",
    "m:svc",
    "m:sit",
    "s:birth",
    "s:ya-veteran",
    "a:birth:married:yes",
    "n:birth:married",
    "b",
    "r",
    "c",
    "w",
    "f",
    "f:yes",
    "v:municipal-nanny",
    "v:municipal-nanny:term",
    "o",
    "o:live",
    "q:ok:abc",
    "k:book",
    "x" * 64,
    "ї" * 32,
    ":::",
    "a:" + "x" * 70,
]
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=80)
huge_ints = st.one_of(
    st.integers(),
    st.integers(min_value=2**63 - 5, max_value=2**64 + 5),
    st.integers(min_value=10**20, max_value=10**200),
    st.integers(max_value=-(2**63)),
)
scalars = st.one_of(st.none(), st.booleans(), huge_ints, st.floats(), any_text, st.sampled_from(KNOWN_WORDS))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def maybe(
    strategy: st.SearchStrategy[Any], junk: st.SearchStrategy[Any] = json_values
) -> st.SearchStrategy[Any]:
    """Mostly what the field should hold, sometimes (about one time in 16) anything at all."""

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        return draw(junk) if draw(st.integers(0, 15)) == 7 else draw(strategy)  # not an end: those come often

    return build()


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, picked in proportion to its weight (hypothesis' one_of favours the first)."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    table.append(choices[0][1])  # hypothesis draws both ends of a range often: let both be the usual choice

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        return draw(table[draw(st.integers(0, len(table) - 1))])

    return build()


texts = weighted(
    (3, any_text),
    (3, st.sampled_from(KNOWN_WORDS)),
    (2, st.sampled_from(PAYLOADS)),
    (1, st.text(max_size=3000)),
    (2, st.builds(lambda w, t: w + t, st.sampled_from(KNOWN_WORDS), any_text)),
)


def mangled(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """The dict with some keys dropped and unknown ones added."""
    out = dict(base)
    for key in list(out):
        if draw(st.integers(0, 15)) == 7:
            del out[key]
    out.update(draw(st.dictionaries(st.text(max_size=12), json_values, max_size=2)))
    return out


def with_extras(strategy: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict with some keys dropped and unknown ones added."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        return mangled(draw, draw(strategy))

    return build()


def encode(value: Any, ascii_only: bool) -> bytes:
    """JSON bytes: with ASCII escapes a lone surrogate is a valid «\\ud800»; without, it is invalid UTF-8."""
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)
    return text.encode("utf-8", errors="surrogatepass")


@st.composite
def nested(draw: st.DrawFn) -> bytes:
    depth = draw(st.integers(1, 5000))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    inner = '{"session":"fuzz-1","text":"прописка"}' if draw(st.booleans()) else "1"
    return (opener * depth + inner + closer * depth).encode()


@st.composite
def _huge_literal(draw: st.DrawFn) -> bytes:
    digits = "9" * draw(st.integers(1, 20000))
    field_name = draw(st.sampled_from(["text", "payload", "session", "x"]))
    return f'{{"session":"fuzz-1","{field_name}":{digits}}}'.encode()


sessions = weighted(
    (6, st.integers(1, 300).map(lambda n: f"fuzz-{n}")),  # many citizens: flood control calms a busy one
    (2, st.from_regex(r"[\w.:-]{1,64}", fullmatch=True)),
    (1, st.text(max_size=70)),
    (1, st.sampled_from(["fuzz-1\n", "x" * 65, "", " "])),
    (1, json_values),
)
chat_objects = with_extras(
    st.fixed_dictionaries(
        {"session": sessions},
        optional={"text": maybe(texts), "payload": maybe(st.one_of(st.sampled_from(PAYLOADS), texts))},
    )
)
web_bodies = weighted(
    (6, chat_objects.map(lambda v: encode(v, True))),
    (2, chat_objects.map(lambda v: encode(v, False))),
    (1, json_values.map(lambda v: encode(v, True))),
    (1, nested()),
    (1, _huge_literal()),
    (1, st.binary(max_size=300)),
    (1, st.text(max_size=200).map(lambda t: t.encode("utf-8", errors="surrogatepass"))),
)
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=UTF-8",
    "application/json; charset=rot13",
    "application/json; charset=latin-1",
    "application/json;charset=",
    "application/json; charset=utf-16",
    'application/json; charset="utf-8"',
    "text/plain",
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "application/problem+json",
    "application/json; boundary=;;;",
    "*/*",
    "",
]


content_types = weighted(
    (10, st.sampled_from(["application/json", "application/json; charset=utf-8"])),
    (1, st.none()),  # no Content-Type header at all
    (2, st.sampled_from(CONTENT_TYPES)),
    (1, st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)),
)


@dataclass(frozen=True)
class WebInput:
    body: bytes
    content_type: str | None


web_inputs = st.builds(WebInput, web_bodies, content_types)
