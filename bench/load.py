"""Load: citizens at once walking life situations, reminders and booking through the real channels, on two bot
processes (PostgreSQL + Redis, webhook mode behind nginx) against one process on SQLite, in the same run; then the
same load with one of the two processes killed (SIGKILL) part-way. What runs, what a step is and what is checked
after each phase: testkit/load/ (the harness, shared with tests/scale/test_kill.py).

Run: `.venv/bin/python -m bench.load [--citizens 500] [--phases sqlite,pair,kill] [--kill-after 0.3]`
(after ./scripts/test.sh installed node, nginx, PostgreSQL and redis-server). LOAD_PROFILE=1 profiles each bot
process (cProfile, into the run's folder).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from testkit.load import harness, phase


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--citizens", type=int, default=500)
    parser.add_argument("--phases", default="sqlite,pair,kill")
    parser.add_argument(
        "--kill-after", type=float, default=0.3, help="share of the expected steps before the kill"
    )
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="viza-load-"))
    results: list[dict[str, Any]] = []
    async with harness() as stack:
        for seed, name in enumerate(args.phases.split(",")):
            print(f"== {name}: {args.citizens} citizens", flush=True)
            row = await phase(name, stack, args.citizens, workdir, seed, args.kill_after)
            results.append(row)
            print(json.dumps(row, ensure_ascii=False, indent=1), flush=True)
            if args.json:
                args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
