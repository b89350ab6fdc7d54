"""`python -m dialogs check`: validate the scenarios against their schema and the knowledge base."""

from __future__ import annotations

import argparse

from dialogs.paths import check_all
from dialogs.scenario import load_scenarios
from knowledge import KnowledgeError, load_knowledge
from knowledge.check import report


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m dialogs")
    parser.add_argument("command", choices=["check"])
    parser.parse_args()
    try:
        problems = check_all(load_scenarios(), load_knowledge())
    except (ValueError, KnowledgeError) as exc:
        problems = str(exc).splitlines()
    return report("dialogs", problems)


raise SystemExit(main())
