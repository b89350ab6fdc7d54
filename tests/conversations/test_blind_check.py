"""The blind author's tool (testkit/blind_check.py): it finds broken setups and facts without sending a typed
text, so the author of a blind part never sees how the bot understands one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Bot
from testkit import blind_check
from testkit.conversation import Voice
from testkit.corpus import Conversation, Expect, Turn
from testkit.transcript import Seen

PART = """
conversations:
- id: b-ok
  who: тест
  turns:
  - press: Записатися
  - say: паспорт
    expect: {kind: answer, step: "booking:service"}
- id: b-broken
  who: тест
  turns:
  - press: Немає такої кнопки
  - say: так
    expect: {kind: answer, step: "booking:service"}
  - press: Записатися
- id: b-fact
  who: тест
  turns:
  - say: скільки коштує прописка
    expect: {kind: facet, facet: price, service: pub-residence-registration, reply_has: ["fee:nope"]}
"""


def test_setup_presses_are_those_before_the_first_typed_turn() -> None:
    greeting = Expect(kind="intent", intent="greeting")
    turns = [Turn(press="А"), Turn(press="Б"), Turn(say="в", expect=greeting), Turn(press="Г")]
    assert blind_check.setup_presses(Conversation(id="c", who="x", turns=turns)) == (["А", "Б"], True)


async def test_a_part_is_checked_without_a_typed_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[str] = []
    original = blind_check.engine_voice

    def voice(bot: Bot) -> Voice:
        made = original(bot)
        real = made.channel.send_text

        async def send_text(text: str) -> Seen:
            sent.append(text)
            return await real(text)

        made.channel.send_text = send_text  # type: ignore[method-assign]
        return made

    monkeypatch.setattr(blind_check, "engine_voice", voice)
    part = tmp_path / "part.yaml"
    part.write_text(PART, encoding="utf-8")
    lines = await blind_check.check(part)
    assert lines[0] == "3 conversations, 3 typed turns"
    problems = "\n".join(lines[1:])
    assert "b-broken: setup no button «Немає такої кнопки»" in problems
    assert "b-broken: a press after a typed turn" in problems
    assert "b-fact: fact fee:nope" in problems
    assert "b-ok" not in problems
    assert sent == []  # the tool never types
