"""The fill of bench/growth.py's big database, in SQL (`INSERT … SELECT` over a recursive CTE on SQLite,
`generate_series` on PostgreSQL) with the indexes in place as they grow in service: the citizens, their dialog
states and the message log as the steady state of the retentions leaves them (see bench/growth.py)."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import text

from bot.settings import Settings
from storage.db import make_engine

DAY = 86_400.0
HOUR = 3_600.0
MULT = 2_654_435_761  # odd and not a multiple of 5: a permutation modulo powers of 2 and 10
LINE_JITTER = 2_000  # a line belongs to one of the this many citizens last seen right after it
FILL_CHUNK = 1_000_000  # message-log lines per statement (and, on SQLite, per transaction)


# --- the fill -------------------------------------------------------------------------------------------------


class Shape:
    """Where the fill puts things in time (epoch seconds), shared by both dialects."""

    def __init__(self, settings: Settings, citizens: int, lines: int, now: float) -> None:
        self.citizens, self.lines, self.now = citizens, lines, now
        self.seen_span = settings.citizen_retention.total_seconds() + DAY
        self.seen_from = now - self.seen_span
        self.log_span = settings.message_retention.total_seconds() + HOUR
        self.log_from = now - self.log_span
        # citizens last seen within the web retention plus a day may be web sessions
        web_span = settings.web_session_retention.total_seconds() + DAY
        self.web_from_id = int(citizens * (1 - web_span / self.seen_span)) + 1

    def params(self) -> dict[str, Any]:
        return {
            "n": self.citizens,
            "l": self.lines,
            "seen_from": self.seen_from,
            "seen_step": self.seen_span / self.citizens,
            "log_from": self.log_from,
            "log_step": self.log_span / max(1, self.lines),
            "web_from": self.web_from_id,
            "mult": MULT,
            "jitter": LINE_JITTER,
            "k_per_s": self.citizens / self.seen_span,
        }


# Expressions over k (citizen id) and i (line number), the same on both dialects.
CHANNEL = (
    "CASE WHEN k % 20 >= 17 AND k >= :web_from THEN 'web' WHEN k % 20 >= 12 THEN 'viber' ELSE 'telegram' END"
)
# A line at time t belongs to a citizen last seen a little after t (within LINE_JITTER citizens).
LINE_USER = "MIN(:n, CAST((:log_from + i * :log_step - :seen_from) * :k_per_s AS INTEGER) + 1 + (i * :mult) % :jitter)"


def fill_sqlite(
    path: str, shape: Shape, template: list[tuple[str, str, str | None]], state: tuple[Any, ...]
) -> None:
    """Fill the (migrated, empty) SQLite database at `path` with one connection, in SQL."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")  # a benchmark's fill: no rollback journal, no WAL; WAL again after
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-1000000")  # 1 GB while filling; the bot runs with the default
    con.execute("PRAGMA temp_store=MEMORY")
    p = shape.params()
    fmt = "strftime('%Y-%m-%d %H:%M:%S', {t}, 'unixepoch') || printf('.%06d', CAST(({t}) * 1000000 AS INTEGER) % 1000000)"
    seen = fmt.format(t=":seen_from + k * :seen_step")
    external = (
        "CASE WHEN k % 20 >= 17 AND k >= :web_from THEN printf('%032x', (k * :mult) % 4000000000000) "
        "WHEN k % 20 >= 12 THEN printf('%022X==', (k * :mult) % 4000000000) "
        "ELSE CAST((k * :mult) % 4000000000 + 100000000 AS TEXT) END"
    )
    con.execute("BEGIN")
    con.execute(
        f"""WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < :n)
        INSERT INTO users (id, channel, external_id, language, created_at, last_seen_at, active, veteran,
                           consent_at)
        SELECT k, {CHANNEL}, {external}, 'uk', {fmt.format(t=":seen_from + k * :seen_step - (k % 40) * 86400")},
               {seen}, 1, NULL, NULL FROM c""",
        {key: p[key] for key in ("n", "seen_from", "seen_step", "web_from", "mult")},
    )
    scenario, step, answers, history, misses = state
    con.execute(
        """INSERT INTO dialog_states (user_id, scenario, step, answers, history, misses, updated_at)
        SELECT id, CASE WHEN id % 3 = 0 THEN NULL ELSE :scenario END, CASE WHEN id % 3 = 0 THEN NULL ELSE :step END,
               CASE WHEN id % 3 = 0 THEN '{}' ELSE :answers END, CASE WHEN id % 3 = 0 THEN '[]' ELSE :history END,
               :misses, last_seen_at FROM users ORDER BY id""",
        {"scenario": scenario, "step": step, "answers": answers, "history": history, "misses": misses},
    )
    con.execute("COMMIT")
    con.execute("CREATE TEMP TABLE tpl (k INTEGER PRIMARY KEY, direction TEXT, text TEXT, buttons TEXT)")
    con.executemany("INSERT INTO tpl VALUES (?, ?, ?, ?)", [(n, *row) for n, row in enumerate(template)])
    chunk = FILL_CHUNK
    for first in range(0, shape.lines, chunk):
        last = min(shape.lines, first + chunk) - 1
        con.execute("BEGIN")
        con.execute(
            f"""WITH RECURSIVE c(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM c WHERE i < :last)
            INSERT INTO message_log (id, user_id, direction, text, buttons, created_at)
            SELECT i + 1, {LINE_USER}, t.direction, t.text, t.buttons, {fmt.format(t=":log_from + i * :log_step")}
            FROM c CROSS JOIN tpl AS t WHERE t.k = i % :templates""",
            {
                **{
                    key: p[key]
                    for key in ("n", "log_from", "log_step", "seen_from", "k_per_s", "mult", "jitter")
                },
                "first": first,
                "last": last,
                "templates": len(template),
            },
        )
        con.execute("COMMIT")
    con.execute("ANALYZE")  # as a maintained database would have; also lets the planner see the sizes
    con.execute("PRAGMA journal_mode=WAL")
    con.close()


async def fill_postgres(
    url: str, shape: Shape, template: list[tuple[str, str, str | None]], state: tuple[Any, ...]
) -> None:
    """The same fill on PostgreSQL (migrated, empty), with generate_series."""
    engine = make_engine(url)
    p = shape.params()
    ts = "to_timestamp({t})"
    external = (
        "CASE WHEN k % 20 >= 17 AND k >= :web_from THEN lpad(to_hex((k::bigint * :mult) % 4000000000000), 32, '0') "
        "WHEN k % 20 >= 12 THEN lpad(upper(to_hex((k::bigint * :mult) % 4000000000)), 22, '0') || '==' "
        "ELSE ((k::bigint * :mult) % 4000000000 + 100000000)::text END"
    )
    async with engine.begin() as conn:
        await conn.execute(
            text(
                f"""INSERT INTO users (id, channel, external_id, language, created_at, last_seen_at, active, veteran,
                                       consent_at)
                SELECT k, {CHANNEL}, {external}, 'uk',
                       {ts.format(t="CAST(:seen_from AS float8) + k * CAST(:seen_step AS float8) - (k % 40) * 86400")},
                       {ts.format(t="CAST(:seen_from AS float8) + k * CAST(:seen_step AS float8)")}, true, NULL, NULL
                FROM generate_series(1, CAST(:n AS integer)) AS k"""
            ),
            {key: p[key] for key in ("n", "seen_from", "seen_step", "web_from", "mult")},
        )
        await conn.execute(
            text("SELECT setval(pg_get_serial_sequence('users', 'id'), :n)"), {"n": shape.citizens}
        )
        scenario, step, answers, history, misses = state
        await conn.execute(
            text(
                """INSERT INTO dialog_states (user_id, scenario, step, answers, history, misses, updated_at)
                SELECT id, CASE WHEN id % 3 = 0 THEN NULL ELSE :scenario END,
                       CASE WHEN id % 3 = 0 THEN NULL ELSE :step END,
                       CAST(CASE WHEN id % 3 = 0 THEN '{}' ELSE :answers END AS json),
                       CAST(CASE WHEN id % 3 = 0 THEN '[]' ELSE :history END AS json), :misses, last_seen_at
                FROM users ORDER BY id"""
            ),
            {"scenario": scenario, "step": step, "answers": answers, "history": history, "misses": misses},
        )
        await conn.execute(
            text("CREATE TEMP TABLE tpl (k integer PRIMARY KEY, direction text, text text, buttons json)")
        )
        await conn.execute(
            text("INSERT INTO tpl VALUES (:k, :d, :t, CAST(:b AS json))"),
            [{"k": n, "d": d, "t": t, "b": b} for n, (d, t, b) in enumerate(template)],
        )
        chunk = FILL_CHUNK
        for first in range(0, shape.lines, chunk):
            last = min(shape.lines, first + chunk) - 1
            # asyncpg gives a parameter one type, inferred from its first use: every float is cast to float8
            line_user = LINE_USER.replace("MIN(", "LEAST(").replace("INTEGER", "bigint")
            for name in ("log_from", "log_step", "seen_from", "k_per_s"):
                line_user = line_user.replace(f":{name}", f"CAST(:{name} AS float8)")
            await conn.execute(
                text(
                    f"""INSERT INTO message_log (id, user_id, direction, text, buttons, created_at)
                    SELECT i + 1, {line_user}, t.direction, t.text, t.buttons,
                           {ts.format(t="CAST(:log_from AS float8) + i * CAST(:log_step AS float8)")}
                    FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS i
                    JOIN tpl AS t ON t.k = i % :templates"""
                ).bindparams(),
                {
                    **{
                        key: p[key]
                        for key in ("n", "log_from", "log_step", "seen_from", "k_per_s", "mult", "jitter")
                    },
                    "first": first,
                    "last": last,
                    "templates": len(template),
                },
            )
        await conn.execute(
            text("SELECT setval(pg_get_serial_sequence('message_log', 'id'), :l)"), {"l": shape.lines}
        )
    async with engine.connect() as conn:
        await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text("VACUUM ANALYZE"))
    await engine.dispose()
