"""Several bot processes starting together on a fresh PostgreSQL database migrate it once, taking turns."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from storage.db import make_engine
from testkit.servers import throwaway_postgres

ROOT = Path(__file__).resolve().parents[2]


def test_four_processes_migrating_at_once_all_succeed() -> None:
    with throwaway_postgres("viza-pg-migrate-") as url:
        env = {**os.environ, "DATABASE_URL": url}
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "bot", "migrate"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        results = [(*p.communicate(timeout=120), p.returncode) for p in procs]
        assert [code for _, _, code in results] == [0, 0, 0, 0], [err[-500:] for _, err, _ in results]
        assert all("up to date" in out for out, _, _ in results)

        async def head() -> str:
            engine = make_engine(url)
            async with engine.connect() as conn:
                version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
            await engine.dispose()
            return str(version)

        assert asyncio.run(head()).isdigit()
