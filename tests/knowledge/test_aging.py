"""Facts that age (issue 22): `as_of` is the date a source states, never the day it was read (`read_on`);
`python -m knowledge check` fails on a reading date in `as_of` and warns on public-source facts over 12 months
old; `--stale --json` lists them, and the undated, for the Center. «Today» is always given (`--today`)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge import aging
from knowledge.check import check_all, run_check
from knowledge.loader import Knowledge
from knowledge.sources import Certainty, Source

TODAY = dt.date(2026, 12, 7)
THIRTEEN_MONTHS_AGO = dt.date(2025, 11, 7)
ELEVEN_MONTHS_AGO = dt.date(2026, 1, 7)
READ_ON = dt.date(2026, 11, 22)  # the day the audit of 2026-12-07 found written as `as_of` 72 times
DIIA = "services/pub-residence-change-diia.yaml"  # its source: kr.gov.ua, as_of 2024-08-30


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(Path(str(resources.files("knowledge") / "data")), dst)
    return dst


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _source(**dates: dt.date) -> Callable[[dict[str, Any]], None]:
    def change(raw: dict[str, Any]) -> None:
        raw["source"].pop("as_of", None)
        raw["source"].update(dates)

    return change


# --- the schema: as_of and read_on ---------------------------------------------------------------------


def test_an_as_of_equal_to_its_read_on_is_refused() -> None:
    with pytest.raises(ValueError, match="day the page was read"):
        Source(title="сторінка", url="https://x.ua", as_of=READ_ON, read_on=READ_ON,
               certainty=Certainty.PUBLIC)  # fmt: skip


def test_an_as_of_after_the_reading_is_refused() -> None:
    with pytest.raises(ValueError, match="after read_on"):
        Source(title="сторінка", as_of=dt.date(2026, 11, 23), read_on=READ_ON, certainty=Certainty.PUBLIC)


def test_an_undated_public_page_must_say_when_it_was_read() -> None:
    with pytest.raises(ValueError, match="read_on"):
        Source(title="сторінка", url="https://x.ua", certainty=Certainty.UNCERTAIN)
    undated = Source(title="сторінка", url="https://x.ua", read_on=READ_ON, certainty=Certainty.UNCERTAIN)
    assert undated.as_of is None and undated.public


# --- check: fails on a planted reading date, warns on a planted old fact -----------------------------


def test_check_fails_on_a_planted_reading_date_in_as_of(data_copy: Path) -> None:
    assert run_check(data_copy, TODAY) == []
    _edit(data_copy / DIIA, _source(as_of=READ_ON, read_on=READ_ON))
    problems = run_check(data_copy, TODAY)
    mine = [p for p in problems if p.startswith(DIIA) and "source" in p]
    assert any("day the page was read" in p for p in mine), problems


def test_check_fails_on_an_as_of_that_is_the_reading_date_of_the_same_page(data_copy: Path) -> None:
    """The slip of the audit: the page read on 2026-11-22 cited elsewhere with `as_of: 2026-11-22`."""
    situation = data_copy / "situations" / "name-change.yaml"

    def plant(raw: dict[str, Any]) -> None:
        source = raw["sources"][3]  # Новороздільська громада, card 00868: read_on 2026-11-22 elsewhere too
        assert source["url"].endswith("/17487/") and str(source.pop("read_on")) == "2026-11-22"
        source["as_of"] = READ_ON

    _edit(situation, plant)
    problems = run_check(data_copy, TODAY)
    assert problems == [
        "situations/name-change.yaml: sources[3]: as_of 2026-11-22 is the day this page was read (read_on of "
        "another citation of it): as_of is only the date the source states; move it to read_on"
    ]


def test_check_fails_on_an_as_of_after_today(data_copy: Path) -> None:
    _edit(data_copy / DIIA, _source(as_of=TODAY + dt.timedelta(days=1)))
    assert any("after today" in p for p in run_check(data_copy, TODAY))


def test_check_warns_with_file_and_field_on_a_planted_13_month_old_fact(data_copy: Path) -> None:
    _edit(data_copy / DIIA, _source(as_of=ELEVEN_MONTHS_AGO))
    assert not [w for w in check_all(data_copy, TODAY).warnings if DIIA in w]
    _edit(data_copy / DIIA, _source(as_of=THIRTEEN_MONTHS_AGO))
    checked = check_all(data_copy, TODAY)
    assert checked.problems == []  # a warning, not a failure
    mine = [w for w in checked.warnings if DIIA in w]
    assert mine == [
        f"warning: {DIIA}: source: as_of 2025-11-07 is 395 days old, over 12 months "
        "(https://kr.gov.ua/ua/news/pg/300824301007465_n)"
    ]


def test_an_undated_fact_warns_only_once_its_reading_is_a_year_old(kb: Knowledge) -> None:
    undated = [s for s in aging.stale(kb, TODAY) if s.undated]
    assert undated and not [w for w in aging.warnings(kb, TODAY) if "states no date" in w]
    later = aging.warnings(kb, dt.date(2027, 12, 1))  # a year and more after the last reading (2026-11-29)
    assert len([w for w in later if "states no date" in w]) == len(undated)


def test_the_shipped_knowledge_has_no_reading_date_in_as_of(kb: Knowledge) -> None:
    assert aging.reading_dates(kb, TODAY) == []
    cited = aging.citations(kb)
    assert all(c.source.as_of != READ_ON for c in cited)
    assert sum(1 for c in cited if c.source.read_on == READ_ON) >= 70  # the audit's ~70, where they belong


def test_citations_name_their_file_and_field(kb: Knowledge) -> None:
    where = {(c.file, c.path) for c in aging.citations(kb)}
    assert ("contacts.yaml", "offices[0](visa-main).source") in where
    assert ("booking.yaml", "hotline.source") in where
    assert ("situations/ya-veteran.yaml", "documents[0].source") in where
    assert all(c.source.certainty != Certainty.OFFICIAL for c in aging.citations(kb))


# --- the command line ----------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "knowledge", "check", *args], capture_output=True, text=True)


def test_cli_warns_but_passes_on_old_facts() -> None:
    done = _cli("--today", TODAY.isoformat())
    assert done.returncode == 0, done.stderr
    assert "warning: contacts.yaml: offices[0](visa-main).source: as_of 2018-11-09" in done.stderr
    assert "OK," in done.stdout and "warning(s)" in done.stdout


def test_cli_stale_json_shape() -> None:
    done = _cli("--stale", "--json", "--today", TODAY.isoformat())
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["today"] == "2026-12-07" and report["stale_after_days"] == 365
    facts = report["facts"]
    assert report["dated"] + report["undated"] == len(facts) and report["undated"] > 0 and report["dated"] > 0
    keys = {"file", "field", "as_of", "read_on", "url", "title", "age_days", "undated"}
    assert all(set(f) == keys for f in facts)
    main = next(f for f in facts if f["field"] == "offices[0](visa-main).source")
    assert main == {**main, "file": "contacts.yaml", "as_of": "2018-11-09", "age_days": 2950,
                    "undated": False, "url": "https://kr.gov.ua/ua/news/pg/91118942320867_n"}  # fmt: skip
    dated = [f for f in facts if not f["undated"]]
    assert all(f["age_days"] > 365 for f in dated)
    assert [f["as_of"] for f in dated] == sorted(f["as_of"] for f in dated)  # oldest first
    assert all(f["as_of"] is None and f["age_days"] is None and f["read_on"] for f in facts if f["undated"])


def test_cli_rejects_a_bad_today() -> None:
    done = _cli("--today", "07.12.2026")
    assert done.returncode == 2 and "YYYY-MM-DD" in done.stderr
