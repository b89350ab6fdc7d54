"""Command line of the knowledge base: `check` and `search`."""

from __future__ import annotations

import argparse
import json
import sys

from knowledge.check import report, run_check
from knowledge.loader import KnowledgeError, load_knowledge
from knowledge.search import SearchHit, SearchIndex, build_index


def _check(args: argparse.Namespace) -> int:
    problems = run_check()
    if args.phrasings is not None and not problems:
        problems = _phrasing_problems(args.phrasings)
    return report("knowledge", problems)


def _phrasing_problems(path: str) -> list[str]:
    """The attached phrasings of a file as `python -m bot unanswered --phrasings` writes it (a JSON list of
    {"text", "target"}), checked against the knowledge (knowledge/phrasings.py)."""
    from knowledge.phrasings import Phrasing, problems
    from knowledge.understand import build_understander

    try:
        with open(path, encoding="utf-8") as file:
            listed = json.load(file)
        given = [Phrasing(str(p["text"]), str(p["target"])) for p in listed]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        return [f"{path}: not a JSON list of {{\"text\", \"target\"}} ({exc})"]
    kb = load_knowledge()
    return problems(kb, build_understander(kb, build_index(kb)), given)


def _json(hits: list[SearchHit]) -> str:
    return json.dumps([h.as_json() for h in hits], ensure_ascii=False)


def _human(query: str, hits: list[SearchHit]) -> str:
    if not hits:
        return f"«{query}»: нічого не знайдено"
    lines = [f"«{query}»:"]
    for h in hits:
        card = f" [картка {h.card}]" if h.card else ""
        lines.append(f"  {h.score:.2f}  {h.kind}/{h.id}{card}  {h.title}")
    return "\n".join(lines)


def _search(args: argparse.Namespace) -> int:
    try:
        index: SearchIndex = build_index(load_knowledge())
    except KnowledgeError as exc:
        print(f"knowledge is invalid, run `python -m knowledge check`:\n{exc}", file=sys.stderr)
        return 2
    if args.query is not None:
        hits = index.search(args.query, args.limit)
        print(_json(hits) if args.json else _human(args.query, hits))
        return 0
    # No QUERY: one query per line from stdin, one JSON array per line, same order.
    for line in sys.stdin:
        query = line.rstrip("\n")
        print(_json(index.search(query, args.limit)), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run a sub-command; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m knowledge")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate the data files and their cross-references")
    check.add_argument("--phrasings", metavar="FILE", help="also check the phrasings the Center attached "
                       "(the JSON of `python -m bot unanswered --phrasings`)")
    check.set_defaults(func=_check)
    search = sub.add_parser("search", help="search services and life situations")
    search.add_argument("query", nargs="?", help="the question; without it, one query per line from stdin")
    search.add_argument("--limit", type=int, default=5, help="at most this many results (default 5)")
    search.add_argument("--json", action="store_true", help="print a JSON array")
    search.set_defaults(func=_search)
    args = parser.parse_args(argv)
    return int(args.func(args))
