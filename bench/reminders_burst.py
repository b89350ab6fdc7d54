"""A burst of reminders falling due at once, sent by the real bot through the telegram-test-api emulator at the
real pacing; what runs and what is measured: testkit/reminders_burst.py.

Run: `.venv/bin/python -m bench.reminders_burst [--count 10000] [--rate 30]` (after ./scripts/test.sh set things up;
10,000 at 30/s takes about 5.5 minutes).
"""

from __future__ import annotations

import argparse
import asyncio

from testkit import reminders_burst
from testkit.reminders_burst import burst


def main() -> None:
    parser = argparse.ArgumentParser(
        description=f"{__doc__}\n{reminders_burst.__doc__}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--count", type=int, default=10_000, help="reminders due at once (distinct chats)")
    parser.add_argument("--rate", type=float, default=30.0, help="the configured overall rate (messages/s)")
    args = parser.parse_args()
    print(asyncio.run(burst(args.count, args.rate)).markdown())


if __name__ == "__main__":
    main()
