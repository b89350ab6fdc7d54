"""`python -m knowledge check`: the shipped data passes, broken data is reported problem by problem."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

from knowledge.check import run_check


def test_shipped_knowledge_passes() -> None:
    assert run_check() == []


def test_cli_exit_code_ok() -> None:
    done = subprocess.run([sys.executable, "-m", "knowledge", "check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "OK" in done.stdout


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    src = Path(str(resources.files("knowledge") / "data"))
    dst = tmp_path / "data"
    shutil.copytree(src, dst)
    return dst


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


def test_every_problem_is_listed(data_copy: Path) -> None:
    situation = sorted((data_copy / "situations").glob("*.yaml"))[0]
    service = data_copy / "services" / "idp-living-allowance.yaml"

    def break_situation(raw: dict) -> None:  # type: ignore[type-arg]
        raw["services"].append({"service": "no-such-service"})
        raw["services"].append(
            {"service": raw["services"][0]["service"], "when": {"no_such_question": ["yes"]}}
        )

    def break_service(raw: dict) -> None:  # type: ignore[type-arg]
        raw["offices"] = ["nowhere"]
        raw["documents"][0]["when"] = {"idp": ["maybe"]}

    _edit(situation, break_situation)
    _edit(service, break_service)
    problems = run_check(data_copy)
    text = "\n".join(problems)
    assert "unknown service 'no-such-service'" in text
    assert "unknown question 'no_such_question'" in text
    assert "unknown office 'nowhere'" in text
    assert "question 'idp' has no option 'maybe'" in text
    assert all(p.split(":")[0].endswith(".yaml") or "/" in p.split(":")[0] for p in problems)


def test_schema_errors_name_the_file_and_field(data_copy: Path) -> None:
    card = data_copy / "services" / "municipal-nanny.yaml"
    _edit(card, lambda raw: raw.pop("term"))
    _edit(data_copy / "services" / "care-fact-act.yaml", lambda raw: raw.update(documents=[]))
    problems = run_check(data_copy)
    assert any("municipal-nanny.yaml" in p and "lacks fields: term" in p for p in problems)
    assert any("care-fact-act.yaml" in p and "documents" in p for p in problems)


def test_cli_exit_code_on_broken_data(data_copy: Path, tmp_path: Path) -> None:
    (data_copy / "questions" / "common.yaml").write_text("- id: Bad Id\n  text: ''\n", encoding="utf-8")
    code = "import sys, pathlib; from knowledge.check import run_check; p = run_check(pathlib.Path(sys.argv[1])); print(*p, sep='\\n'); sys.exit(1 if p else 0)"
    done = subprocess.run([sys.executable, "-c", code, str(data_copy)], capture_output=True, text=True)
    assert done.returncode == 1
    assert "questions/common.yaml[0]: id" in done.stdout
