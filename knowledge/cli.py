"""Command line of the knowledge base: `check` and `search`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from knowledge import aging
from knowledge.check import check_all, report
from knowledge.loader import KnowledgeError, load_knowledge
from knowledge.search import SearchHit, SearchIndex, build_index


def _today(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from exc


def _check(args: argparse.Namespace) -> int:
    today: dt.date = args.today or dt.date.today()  # the real date only here, at the command line
    if args.stale:
        return _stale(today, args.json)
    checked = check_all(today=today)
    problems = checked.problems
    if args.phrasings is not None and not problems:
        problems = _phrasing_problems(args.phrasings)
    return report("knowledge", problems, checked.warnings)


def _stale(today: dt.date, as_json: bool) -> int:
    """The public-source facts to re-check: over 12 months old, or undated (knowledge/aging.py)."""
    try:
        kb = load_knowledge()
    except KnowledgeError as exc:
        print(f"knowledge is invalid, run `python -m knowledge check`:\n{exc}", file=sys.stderr)
        return 2
    found = aging.stale(kb, today)
    if as_json:
        facts = [s.json() for s in found]
        print(json.dumps({"today": today.isoformat(), "stale_after_days": aging.STALE_AFTER_DAYS,
                          "dated": sum(1 for s in found if not s.undated),
                          "undated": sum(1 for s in found if s.undated), "facts": facts},
                         ensure_ascii=False, indent=1))  # fmt: skip
        return 0
    for s in found:
        age = f"{s.age_days} дн." if s.age_days is not None else f"без дати (прочитано {s.read_on})"
        print(f"{s.file}: {s.path}: {s.as_of or '—'} · {age} · {s.url or s.title}")
    print(f"на {today}: старших за 12 місяців — {sum(1 for s in found if not s.undated)}, "
          f"без дати — {sum(1 for s in found if s.undated)}")  # fmt: skip
    return 0


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
    check.add_argument("--today", type=_today, help="the date facts are aged against (default: today)")
    check.add_argument(
        "--stale", action="store_true", help="list the public-source facts over 12 months old and the undated"
    )
    check.add_argument("--json", action="store_true", help="with --stale: print a JSON object")
    check.set_defaults(func=_check)
    search = sub.add_parser("search", help="search services and life situations")
    search.add_argument("query", nargs="?", help="the question; without it, one query per line from stdin")
    search.add_argument("--limit", type=int, default=5, help="at most this many results (default 5)")
    search.add_argument("--json", action="store_true", help="print a JSON array")
    search.set_defaults(func=_search)
    args = parser.parse_args(argv)
    return int(args.func(args))
