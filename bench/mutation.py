"""Mutation benchmark: how many behaviour-changing mutants of the core modules the fast unit tests kill.

Run: `.venv/bin/python -m bench.mutation [--jobs 2] [--workdir DIR] [--without TEST ...] [--recheck DIR] [PATTERN ...]`

The run happens in a copy of the tree (a temporary folder unless `--workdir` is given), never in the repository:
the packages, tests/, testkit/ and pyproject.toml are copied there and `mutmut run` (mutmut 3, configured in
pyproject.toml's `[tool.mutmut]`: the files to mutate and the fast unit tests) is started in it. mutmut 3
copies the packages once more into `<workdir>/mutants/`, rewrites each function of a mutated file into a
trampoline and its mutants, records which tests reach which function, and runs only those tests per mutant.
PATTERN limits the run to some mutants (`"dialogs.flood*"`, `"knowledge.text.x_fold*"`).

As docs/MUTATION.md was made (about 25 minutes a full run on two cores, a few minutes a recheck):

    .venv/bin/python -m bench.mutation --workdir /tmp/mut-before --without tests/test_mutants_ \
        --without tests/handlers/test_mutants_
    .venv/bin/python -m bench.mutation --workdir /tmp/mut-after
    .venv/bin/python -m bench.mutation --workdir /tmp/mut-after2 --recheck /tmp/mut-after

`--without` drops the test files starting so from the configured selection (the run without the tests this
benchmark led to); `--recheck` runs only the survivors of an earlier run, with the whole selection, and reports
the earlier run's results with theirs replaced (a new test can kill a mutant, never revive one).

The table printed (and kept in docs/MUTATION.md) gives per module: mutants, killed, survived, of the survivors
those judged equivalent (EQUIVALENT below, each with its reason), timeouts, and the share killed of the
behaviour-changing mutants: killed / (total − equivalent). Timeouts count as killed in that share (a mutant that
makes the tests hang is caught), and are listed apart; a mutant in a function no selected test reaches ("no
tests") counts as not killed. `--list` prints every survivor with its diff.

The names in EQUIVALENT hold for the source they were judged on: a changed function renumbers its mutants, so
an equivalent that no longer survives, or no longer exists, is reported and must be judged again.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPIED = ["bot", "handlers", "knowledge", "dialogs", "storage", "tests", "testkit", "pyproject.toml"]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "artifacts", "mutants", ".pytest_cache")

# mutant name → why it cannot change behaviour (judged by reading the diff against the code and its callers).
EQUIVALENT: dict[str, str] = {
    "dialogs.booking.rules.x__schedule__mutmut_16": "unknown resource: no schedules, so no slot whatever the length or capacity returned",
    "dialogs.booking.rules.x__schedule__mutmut_17": "unknown resource: no schedules, so no slot whatever the length or capacity returned",
    "dialogs.booking.rules.x__minus__mutmut_3": "a break touching the range's edge: the pieces kept are the whole range either way",
    "dialogs.booking.rules.x__minus__mutmut_4": "a break touching the range's edge: the pieces kept are the whole range either way",
    "dialogs.booking.rules.x__minus__mutmut_6": "keeps an empty range (t, t), in which no slot fits",
    "dialogs.booking.rules.x__day_grid__mutmut_2": "the memo of day grids: changes its hit rate or bound, never a grid (entries keep their data alive)",
    "dialogs.booking.rules.x__day_grid__mutmut_3": "the memo of day grids: changes its hit rate or bound, never a grid (entries keep their data alive)",
    "dialogs.booking.rules.x__day_grid__mutmut_4": "the memo of day grids: changes its hit rate or bound, never a grid (entries keep their data alive)",
    "dialogs.booking.rules.x__day_grid__mutmut_7": "the memo of day grids: changes its hit rate or bound, never a grid (entries keep their data alive)",
    "dialogs.booking.rules.x__day_grid__mutmut_8": "the memo of day grids: changes its hit rate or bound, never a grid (entries keep their data alive)",
    "dialogs.booking.rules.x__day_grid__mutmut_19": "the memo of day grids: changes its hit rate or bound, never a grid (entries keep their data alive)",
    "dialogs.booking.rules.x__day_grid__mutmut_20": "the memo of day grids: changes its hit rate or bound, never a grid (entries keep their data alive)",
    "dialogs.booking.rules.x__build_grid__mutmut_4": "_schedule ignores its martial_law argument (the regime is chosen in _open_ranges)",
    "dialogs.booking.rules.x__build_grid__mutmut_15": "disables the one-offset fast path: every slot converted alone gives the same times",
    "dialogs.booking.rules.x__build_grid__mutmut_17": "disables the one-offset fast path: every slot converted alone gives the same times",
    "dialogs.booking.rules.x__build_grid__mutmut_40": "disables the one-offset fast path: every slot converted alone gives the same times",
    "dialogs.booking.rules.x__build_grid__mutmut_55": "the hotline is no office in the data: data.office('hotline') is None as well",
    "dialogs.booking.rules.x__build_grid__mutmut_75": "one more held set, never indexed (index <= capacity)",
    "dialogs.booking.rules.x__build_grid__mutmut_100": "zip's strict: held_counts returns exactly one count per slot",
    "dialogs.booking.rules.x__build_grid__mutmut_103": "zip's strict: held_counts returns exactly one count per slot",
    "dialogs.booking.rules.x__build_grid__mutmut_104": "zip's strict: held_counts returns exactly one count per slot",
    "dialogs.booking.rules.x__day_offset__mutmut_1": "the fast path's offset becomes None: each slot converted alone, same times",
    "dialogs.booking.rules.x__day_offset__mutmut_4": "the fast path's offset becomes None: each slot converted alone, same times",
    "dialogs.booking.rules.x__day_offset__mutmut_7": "the fast path's offset becomes None: each slot converted alone, same times",
    "dialogs.booking.rules.x__day_offset__mutmut_14": "the fast path's offset becomes None: each slot converted alone, same times",
    "dialogs.booking.rules.x__day_offset__mutmut_17": "the fast path's offset becomes None: each slot converted alone, same times",
    "dialogs.booking.rules.x__day_offset__mutmut_20": "the fast path's offset becomes None: each slot converted alone, same times",
    "dialogs.booking.rules.x__day_offset__mutmut_27": "the fast path's offset becomes None: each slot converted alone, same times",
    "dialogs.booking.rules.x__day_offset__mutmut_10": "time(0) and time(0, ) are time(0, 0)",
    "dialogs.booking.rules.x__day_offset__mutmut_11": "time(0) and time(0, ) are time(0, 0)",
    "dialogs.booking.rules.x__day_offset__mutmut_12": "01:00/00:01/23:00 instead of 00:00/23:59: Kyiv changes clocks at 03:00-04:00, still inside the probe",
    "dialogs.booking.rules.x__day_offset__mutmut_13": "01:00/00:01/23:00 instead of 00:00/23:59: Kyiv changes clocks at 03:00-04:00, still inside the probe",
    "dialogs.booking.rules.x__day_offset__mutmut_24": "01:00/00:01/23:00 instead of 00:00/23:59: Kyiv changes clocks at 03:00-04:00, still inside the probe",
    "dialogs.handoff.rules.x_canned_key__mutmut_8": "split's maxsplit does not change the first part",
    "dialogs.handoff.rules.x_canned_key__mutmut_11": "split's maxsplit does not change the first part",
    "dialogs.reminders.rules.x_plural__mutmut_23": "n % 100 == 15 means n % 10 == 5, already outside 2..4",
    "dialogs.reminders.rules.x__out_of_quiet__mutmut_9": "only called in the quiet hours (>= 21:00 or < 08:00), where both comparisons agree",
    "dialogs.reminders.rules.x_appointment_times__mutmut_30": "an unmoved reminder two hours before is never on the evening's date (it would fall in the quiet night)",
    "dialogs.reminders.rules.x_appointment_times__mutmut_36": "both candidates are always at least two hours before the visit: the upper bound never binds",
    "dialogs.reminders.rules.x_appointment_times__mutmut_37": "both candidates are always at least two hours before the visit: the upper bound never binds",
    "dialogs.reminders.rules.x_deadline_reminders__mutmut_18": "the order of remind_before does not matter: the result is sorted",
    "dialogs.reminders.rules.x_deadline_reminders__mutmut_20": "the order of remind_before does not matter: the result is sorted",
    "dialogs.reminders.rules.x_monthly_due__mutmut_22": "the host's month differs from Kyiv's only within 14 h of midnight, when the skipped or added month's reminder is past anyway",
    "dialogs.reminders.rules.x_monthly_due__mutmut_30": "the day of month_start is replaced before use",
    "dialogs.reminders.rules.x_monthly_due__mutmut_32": "the loop always returns within two months ahead",
    "dialogs.reminders.rules.x_monthly_due__mutmut_57": "unreachable line",
    "dialogs.reminders.rules.x_monthly_due__mutmut_58": "unreachable line",
    "dialogs.reminders.rules.x_monthly_due__mutmut_59": "unreachable line",
    "dialogs.calendar.xǁWorkCalendarǁ_year__mutmut_1": "the per-year memo: recomputing gives the same sets",
    "dialogs.calendar.xǁWorkCalendarǁ_year__mutmut_2": "the per-year memo: recomputing gives the same sets",
    "dialogs.calendar.xǁWorkCalendarǁ_year__mutmut_20": "the per-year memo: recomputing gives the same sets",
    "dialogs.flood.xǁ_Bucketǁ__init____mutmut_3": "limited=None: only ever tested for truth, like False",
    "dialogs.flood.xǁFloodLimiterǁcheck__mutmut_32": "limited=None: only ever tested for truth, like False",
    "dialogs.flood.xǁFloodLimiterǁcheck__mutmut_14": "popitem(last=None) pops the oldest, as last=False",
    "dialogs.checklist.x_worth_asking__mutmut_4": "no question has the id '' nor 'XXXX': both look-ups give None",
    "dialogs.redact.x__luhn__mutmut_15": "total -= d: the sum's negation is divisible by 10 exactly when the sum is",
    "dialogs.redact.x__number__mutmut_4": "a run never starts with X: stripping «X+(» strips what «+(» does",
    "dialogs.redact.x__number__mutmut_10": "when the date is the whole run, head + sub('') is the run",
    "dialogs.redact.x__number__mutmut_16": "when the date is the whole run, head + sub('') is the run",
    "dialogs.redact.x__number__mutmut_69": "16 digits are a card before this line",
    "dialogs.redact.x__emails__mutmut_22": "with no parts, join of text[0:] is the text",
    "dialogs.redact.x__replace__mutmut_14": "a series with «№» and spaces is at most 6 characters, so 8 already include the character before it",
    "dialogs.flood.xǁFloodGateǁverdict__mutmut_1": "FloodGate is a Protocol nothing inherits from: its stub's default is never used (FloodLimiter's and RedisFlood's are)",
    "dialogs.flood.xǁFloodLimiterǁcheck__mutmut_60": "count_refused reads the same clock again in the same call: `now` later by the microseconds between two readings",
    "dialogs.flood.xǁFloodLimiterǁcheck__mutmut_63": "count_refused reads the same clock again in the same call: `now` later by the microseconds between two readings",
    "handlers.telegram.sender.xǁLocalRateǁacquire__mutmut_13": "popitem(last=None) pops the oldest, as last=False",
    "handlers.telegram.sender.xǁTelegramSenderǁ_note_keyboard__mutmut_6": "popitem(last=None) pops the oldest, as last=False",
    "handlers.telegram.sender.xǁTelegramSenderǁ_note_keyboard__mutmut_4": "the value stored is never read: the dict is an ordered set of chats",
    "handlers.telegram.sender.xǁTelegramSenderǁsend_attachment__mutmut_3": "origin is f'{chat id}:{message id}' of two integers (telegram/routers.py): one colon, rpartition splits it the same",
    "handlers.viber.sender.xǁViberSenderǁ__init____mutmut_7": "rstrip('XX/XX') strips 'X' as well as '/': differs only for an API address ending in a capital X",
    "handlers.viber.sender.xǁViberSenderǁ__init____mutmut_10": "HTTP header names are case-insensitive (RFC 9110 5.1): the same header",
    "handlers.viber.sender.xǁViberSenderǁ__init____mutmut_11": "HTTP header names are case-insensitive (RFC 9110 5.1): the same header",
    "handlers.viber.sender.xǁViberSenderǁ_post__mutmut_12": "_ServerError's argument is never read: only its type is logged and caught",
}

KILLED = {"killed", "timeout"}


@dataclass
class Module:
    name: str
    statuses: Counter[str] = field(default_factory=Counter)
    survivors: list[str] = field(default_factory=list)
    equivalent: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def killed(self) -> int:
        return self.statuses["killed"] + self.statuses["timeout"]

    @property
    def share(self) -> float:
        changing = self.total - len(self.equivalent)
        return self.killed / changing if changing else 1.0


def mutmut() -> str:
    path = Path(sys.executable).parent / "mutmut"
    if not path.exists():
        sys.exit("mutmut is not installed in this environment: pip install -e '.[dev]'")
    return str(path)


def prepare(workdir: Path, without: list[str]) -> None:
    for name in COPIED:
        source, target = ROOT / name, workdir / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=IGNORED, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
    if without:
        # drop the lines of the selection naming these tests (one path a line in pyproject.toml)
        config = workdir / "pyproject.toml"
        lines = config.read_text().splitlines(keepends=True)
        kept = [line for line in lines if not any(line.strip().startswith(f'"{w}') for w in without)]
        config.write_text("".join(kept))


def run(workdir: Path, jobs: int, patterns: list[str]) -> float:
    started = time.monotonic()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [mutmut(), "run", "--max-children", str(jobs), *patterns],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    tail = done.stdout.strip().splitlines()[-3:]
    print("\n".join(line.rsplit("\r", 1)[-1] for line in tail), file=sys.stderr)
    if done.returncode != 0:
        (workdir / "mutmut-run.log").write_text(done.stdout)
        sys.exit(f"mutmut run failed ({done.returncode}); its output is in {workdir / 'mutmut-run.log'}")
    return time.monotonic() - started


_RESULT = re.compile(r"^\s*(?P<name>\S+): (?P<status>.+)$")


def statuses(workdir: Path) -> dict[str, str]:
    """Every checked mutant's status in a run's folder."""
    done = subprocess.run(
        [mutmut(), "results", "--all", "true"], cwd=workdir, capture_output=True, text=True, check=True
    )
    found = (_RESULT.match(line) for line in done.stdout.splitlines())
    return {m["name"]: m["status"].strip() for m in found if m and m["status"].strip() != "not checked"}


def collect(results: dict[str, str]) -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for name, status in results.items():
        module_name = name.split(".x_")[0].split(".xǁ")[0]
        module = modules.setdefault(module_name, Module(module_name))
        module.statuses[status] += 1
        if status in ("survived", "no tests"):
            if name in EQUIVALENT:
                module.equivalent.append(name)
            else:
                module.survivors.append(name)
    return modules


def diff(workdir: Path, name: str) -> str:
    done = subprocess.run([mutmut(), "show", name], cwd=workdir, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def report(modules: dict[str, Module], workdir: Path, listing: bool, seconds: float) -> None:
    print(f"mutation run: {seconds:.0f} s\n")
    print(
        "| module | mutants | killed | survived | of which equivalent | no tests | timeout | other | share killed |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    total = Module("all")
    for module in sorted(modules.values(), key=lambda m: m.name):
        other = module.total - module.killed - module.statuses["survived"] - module.statuses["no tests"]
        print(
            f"| `{module.name}` | {module.total} | {module.statuses['killed']} | {module.statuses['survived']} "
            f"| {len(module.equivalent)} | {module.statuses['no tests']} | {module.statuses['timeout']} | {other} "
            f"| {module.share:.1%} |"
        )
        total.statuses.update(module.statuses)
        total.equivalent += module.equivalent
        total.survivors += module.survivors
    other = total.total - total.killed - total.statuses["survived"] - total.statuses["no tests"]
    print(
        f"| **all** | {total.total} | {total.statuses['killed']} | {total.statuses['survived']} "
        f"| {len(total.equivalent)} | {total.statuses['no tests']} | {total.statuses['timeout']} | {other} "
        f"| **{total.share:.1%}** |"
    )
    seen = {name for module in modules.values() for name in module.equivalent}
    stale = sorted(name for name in EQUIVALENT if name not in seen and name.split(".x")[0] in modules)
    if stale:
        print("\nEquivalent mutants that no longer survive or exist (judge again):")
        for name in stale:
            print(f"  {name}")
    print(f"\nSurvivors (and mutants no test reaches) not judged equivalent: {len(total.survivors)}")
    for name in total.survivors:
        print(f"  {name}")
        if listing:
            print("    " + diff(workdir, name).replace("\n", "\n    "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("patterns", nargs="*", help="mutant name patterns (default: every mutant)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--workdir", type=Path, help="where to run (kept; a second run resumes)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--list", action="store_true", help="print each survivor's diff")
    parser.add_argument("--without", action="append", default=[], help="leave out tests whose path starts so")
    parser.add_argument("--recheck", type=Path, help="an earlier run's folder: run only its survivors")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="viza-mutation-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        prepare(workdir, args.without)
        earlier = statuses(args.recheck) if args.recheck else {}
        patterns = args.patterns
        if earlier:  # the earlier run's survivors, those matching PATTERN when given
            patterns = [
                name
                for name, status in earlier.items()
                if status == "survived"
                and (not args.patterns or any(fnmatch(name, p) for p in args.patterns))
            ]
        seconds = run(workdir, args.jobs, patterns) if patterns or not earlier else 0.0
        results = {**earlier, **statuses(workdir)} if earlier else statuses(workdir)
        report(collect(results), workdir, args.list, seconds)
    finally:
        if args.workdir is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        elif args.workdir is None:
            print(f"\nkept in {workdir}", file=sys.stderr)


if __name__ == "__main__":
    main()
