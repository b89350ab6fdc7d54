"""A follow-up in a conversation about a death is about the death: «за скільки роблять свідоцтво» after «помер
батько» gives the death registration's term, never the birth registration's (the death answers are guarded —
offered only when a death is named — and the focus on them names it)."""

from __future__ import annotations

from dialogs.outcome import Kind
from knowledge import Knowledge
from knowledge.search import SearchIndex
from knowledge.understand import Understander
from testkit.transcript import EngineChannel
from tests.dialogs.conftest import Heard

ASKED = "за скільки роблять свідоцтво"


def test_the_guard_is_lifted_only_for_a_conversation_about_a_death(kb: Knowledge, index: SearchIndex) -> None:
    understander = Understander(index, kb)
    plain = {h.id for h in understander.understand(ASKED).hits}
    grief = {h.id for h in understander.understand(ASKED, about_death=True).hits}
    assert "drs-death-registration" not in plain and "drs-birth-registration" in plain
    assert "drs-death-registration" in grief
    assert understander.guarded("service", "drs-death-registration")
    assert not understander.guarded("service", "drs-birth-registration")


async def test_after_a_death_the_certificate_s_term_is_the_death_registration_s(
    citizen: EngineChannel, heard: Heard
) -> None:
    await citizen.send_text("помер батько як зареєструвати смерть")
    term = await citizen.send_text(ASKED)
    assert heard.outcomes[-1].kind == Kind.FOLLOW_UP and heard.outcomes[-1].target.startswith("term:")
    assert "народження" not in term.text.casefold()
    assert "смерт" in term.text.casefold()


async def test_without_a_death_in_focus_the_certificate_is_still_the_birth_s(
    citizen: EngineChannel, heard: Heard
) -> None:
    await citizen.send_text("народилась донька")
    term = await citizen.send_text(ASKED)
    assert "смерт" not in term.text.casefold()
