"""The `python -m knowledge search` contract other tools depend on."""

from __future__ import annotations

import json
import subprocess
import sys


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "knowledge", "search", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_json_results_have_the_contract_fields() -> None:
    done = _run("муніципальна няня", "--json", "--limit", "3")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert 1 <= len(results) <= 3
    top = results[0]
    assert {"kind", "id", "title", "score", "card"} <= top.keys()
    assert (top["kind"], top["id"], top["card"]) == ("service", "municipal-nanny", "41-75")
    assert all(r["kind"] in ("service", "situation") for r in results)
    assert all("card" in r for r in results if r["kind"] == "service")


def test_human_readable_by_default() -> None:
    done = _run("картка криворіжця")
    assert done.returncode == 0
    assert "41-93" in done.stdout and not done.stdout.lstrip().startswith("[")


def test_off_topic_is_an_empty_array() -> None:
    done = _run("яка погода завтра", "--json")
    assert done.returncode == 0 and json.loads(done.stdout) == []


def test_stdin_mode_one_json_array_per_line_in_order() -> None:
    queries = ["прописка", "яка погода завтра", "", "мунеципальна ння"]
    done = _run("--limit", "2", stdin="\n".join(queries) + "\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(queries)
    parsed = [json.loads(line) for line in lines]
    assert parsed[1] == [] and parsed[2] == []
    assert parsed[0][0]["id"] == "change-of-residence"
    assert parsed[3][0]["id"] == "municipal-nanny"
    assert all(len(p) <= 2 for p in parsed)
