"""The slips the knowledge audit of 2026-12-07 found (issue 22), each with a test that would catch it."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from importlib import resources
from pathlib import Path

import yaml

from dialogs import render
from knowledge.check import run_check
from knowledge.loader import Knowledge


def _texts(kb: Knowledge) -> list[str]:
    """Everything the situations and services say to citizens, as plain strings."""
    out: list[str] = []

    def walk(obj: object) -> None:
        if isinstance(obj, str):
            out.append(obj)
        elif isinstance(obj, dict):
            for value in obj.values():
                walk(value)
        elif isinstance(obj, list):
            for value in obj:
                walk(value)

    for model in [*kb.situations.values(), *kb.services.values()]:
        walk(model.model_dump(mode="json"))
    return out


def test_the_state_programme_is_named_yevidnovlennia(kb: Knowledge) -> None:
    """The 2023 report names «єВідновлення»; one of its copies dropped the «є»."""
    bare = [t for t in _texts(kb) if re.search(r"«Відновлення»", t)]
    assert bare == []
    assert any("«єВідновлення»" in n for n in kb.situations["ya-veteran"].notes)


# Field 10 saying the application may be filed electronically: «в електронній формі», a «вебпортал», «Дія».
ELECTRONIC = re.compile(r"електронній формі|вебпортал|«Дія»|Портал «Дія»", re.IGNORECASE)


def test_a_card_that_allows_applying_electronically_is_online(kb: Knowledge) -> None:
    cards = [s for s in kb.services.values() if s.card]
    electronic = {s.id for s in cards if any(ELECTRONIC.search(x) for x in s.submission)}
    assert "kartka-kryvorizhtsia" in electronic  # card 41-93, field 10
    assert [s.id for s in cards if s.id in electronic and not s.online] == []


def test_the_online_answer_quotes_only_ways_of_applying_online(kb: Knowledge) -> None:
    lines = render.online_lines(kb.services["kartka-kryvorizhtsia"])
    assert lines[0].startswith("💻 Так") and len(lines) == 2 and "електронній формі" in lines[1]
    assert not any("статті 45" in line for line in lines)  # «дія Закону» is not «Дія»


def test_another_way_of_writing_the_address_is_not_called_a_former_name(kb: Knowledge) -> None:
    office = next(o for o in kb.contacts.offices if o.id == "saksahan-uszn")
    text = render.office_text(office, martial_law=True)
    assert "Софії Перовської" in text and "у частині карток послуг" in text
    assert "колишн" not in text.lower()


# The 2023 report ties only these packages to ДРАЦС («за послугами ДРАЦС … «одним пакетом»: «Народження
# дитини», «Втрата близької людини»); of the other seven it gives the names only.
DRACS_PACKAGES = {"birth", "loss-of-relative"}


def test_only_the_packages_the_report_ties_to_dracs_are_said_to_be_dracs(kb: Knowledge) -> None:
    said = {
        sid
        for sid, sit in kb.situations.items()
        for text in [*sit.where, *sit.notes]
        if re.search(r"надає ДРАЦС|послуги ДРАЦС «одним", text)
    }
    assert said <= DRACS_PACKAGES, said - DRACS_PACKAGES


def test_assumed_callback_hours_are_said_to_be_approximate(kb: Knowledge, tmp_path: Path) -> None:
    assert kb.booking is not None
    assert all("орієнтовн" in s.text for s in kb.booking.hotline.schedules)
    data = tmp_path / "data"
    shutil.copytree(Path(str(resources.files("knowledge") / "data")), data)
    raw = yaml.safe_load((data / "booking.yaml").read_text(encoding="utf-8"))
    raw["hotline"]["schedules"][0]["text"] = "Передзвонюємо з понеділка по п'ятницю з 08:00 до 17:00."
    (data / "booking.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert run_check(data) == [
        "booking.yaml: hotline: the hours of the regime 'normal' are assumed: say in its text that they are "
        "approximate («орієнтовн…»)"
    ]


def test_where_ya_veteran_receives_is_said_to_be_confirmed(kb: Knowledge) -> None:
    """Nothing newer than 22.12.2025 says where «Я-Ветеран» receives: citizens are sent to the hotline."""
    situation = kb.situations["ya-veteran"]
    where = " ".join(situation.where)
    assert "зруйновано" in where and "уточнюють" in where and "0 800 500 459" in where
    cited = {(s.url, s.as_of) for s in situation.sources}
    assert ("https://news.liga.net/ua/region_news/news/u-kryvomu-rozi-rosiia-zruynuvala-tsentr-ya-veteran-foto",
            dt.date(2025, 12, 22)) in cited  # fmt: skip
    assert all("До атаки 22.12.2025" in n for n in situation.notes if "Рудана" in n)
