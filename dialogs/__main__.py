"""`python -m dialogs check`: validate the scenarios against their schema and the knowledge base."""

from __future__ import annotations

import argparse
import sys

from dialogs.scenario import check_scenarios, load_scenarios
from knowledge import KnowledgeError, load_knowledge


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m dialogs")
    parser.add_argument("command", choices=["check"])
    parser.parse_args()
    try:
        problems = check_scenarios(load_scenarios(), load_knowledge())
    except (ValueError, KnowledgeError) as exc:
        problems = str(exc).splitlines()
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"dialogs check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("dialogs check: OK")
    return 0


raise SystemExit(main())
