"""What keeping cohorts and milestones current costs ingestion: HTTP ingestion throughput with their upkeep off
and on, in alternating rounds on the same store, beside each other (target: under 10 % lost).

Cohort membership and milestone flags are refreshed by each worker's periodic jobs (every 60 s and 300 s by
default), never inside an ingest request; what they can take from ingestion is the database and the CPU while
they run. To make that visible, the "on" rounds refresh both every ``--interval`` seconds (default 5 s: twelve
times as often as the default for cohorts, sixty for milestones) on a copy of the 1 M-event store of
``benchmarks.reports`` with three cohorts and two milestones defined.

Run: ``.venv/bin/python -m benchmarks.ingestion_upkeep [--dir /work/bench] [--rounds 3] [--interval 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import statistics
import tempfile
from pathlib import Path

import httpx

from benchmarks._server import Server, wrk
from benchmarks.ingestion import BATCH, lua_script
from benchmarks.reports import seed
from waymark.apps.secret_keys import create_secret_key
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.upgrade.run import upgrade

COHORTS = {
    "invoice-regulars": {"did": "page:invoices-list", "at_least": 3, "days": 30},
    "never-created": {"not_did": "feature:new-invoice", "days": 30},
    "newcomers": {"first_seen_within": 14},
}
MILESTONES = {
    "exporters": {"kind": "visitors_did", "name": "Exporters", "ref": "feature:export-csv", "at_least": 3,
                  "within_days": 7},
    "settled": {"kind": "visitors_did", "name": "Settled", "ref": "page:settings", "at_least": 2, "within_days": 30},
}


async def _secret_key(url: str, app_id: str) -> str:
    engine = create_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            made = await create_secret_key(session, app_id)
            await session.commit()
            return made.key
    finally:
        await engine.dispose()


def _define(base: str, key: str) -> None:
    """The cohorts and milestones, through the API a customer would use (each is evaluated once on saving)."""
    auth = {"Authorization": f"Bearer {key}"}
    for cohort_id, rule in COHORTS.items():
        answer = httpx.put(f"{base}/api/v1/cohorts/{cohort_id}", json={"name": cohort_id, "rule": rule},
                           headers=auth, timeout=120)
        assert answer.status_code in (200, 201), answer.text
    for milestone_id, body in MILESTONES.items():
        answer = httpx.put(f"{base}/api/v1/milestones/{milestone_id}", json=body, headers=auth, timeout=120)
        assert answer.status_code in (200, 201), answer.text


def _refreshed(path: Path) -> str:
    """When the cohorts were last refreshed: moves in an "on" round only, which shows the upkeep really ran."""
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("SELECT max(refreshed_at) FROM cohorts").fetchone()[0])
    finally:
        conn.close()


def _round(url: str, script: Path, interval: float) -> float:
    """Events per second over HTTP with the upkeep jobs every ``interval`` seconds (0: off)."""
    every = str(interval)
    server = Server(url, env={"WAYMARK_RATE_LIMIT_PER_MINUTE": "0", "WAYMARK_COHORTS_INTERVAL_SECONDS": every,
                              "WAYMARK_MILESTONES_INTERVAL_SECONDS": every, "WAYMARK_ALERTS_INTERVAL_SECONDS": "0",
                              "WAYMARK_RETENTION_INTERVAL_SECONDS": "0"})
    try:
        wrk(server.url + "/", seconds=2, connections=16, script=script)  # warm up
        result = wrk(server.url + "/", seconds=20, connections=16, script=script)
        assert result.errors == 0, "the server refused batches"
        return result.rps * BATCH
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--interval", type=float, default=5.0)
    args = parser.parse_args()
    source, app_id = seed(args.dir, 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upkeep.db"
        shutil.copyfile(source, path)
        url = f"sqlite+aiosqlite:///{path}"
        upgrade(url)
        key = asyncio.run(_secret_key(url, app_id))
        conn = sqlite3.connect(path)
        public_key = conn.execute("SELECT public_key FROM apps WHERE id = ?", (app_id,)).fetchone()[0]
        conn.close()
        server = Server(url, env={"WAYMARK_RATE_LIMIT_PER_MINUTE": "0"})
        try:
            _define(server.url, key)
        finally:
            server.stop()
        script = lua_script(Path(tmp) / "ingest.lua", public_key)
        off: list[float] = []
        on: list[float] = []
        for number in range(args.rounds):
            before = _refreshed(path)
            off.append(_round(url, script, 0))
            assert _refreshed(path) == before, "a cohort was refreshed with the upkeep off"
            on.append(_round(url, script, args.interval))
            assert _refreshed(path) != before, "no cohort was refreshed with the upkeep on"
            print(f"round {number + 1}/{args.rounds}: off {off[-1]:,.0f} events/s, on {on[-1]:,.0f} events/s",
                  flush=True)
    quiet, busy = statistics.median(off), statistics.median(on)
    print(f"ingestion into a 1 M-event SQLite store, {len(COHORTS)} cohorts and {len(MILESTONES)} milestones, "
          f"wrk -c16 20 s, median of {args.rounds}")
    every = f"upkeep every {args.interval:g} s"
    print(f"  {'upkeep off':<20}: {quiet:>9,.0f} events/s")
    print(f"  {every:<20}: {busy:>9,.0f} events/s")
    print(f"  {'cost':<20}: {1 - busy / quiet:.1%} (target < 10 %)")


if __name__ == "__main__":
    main()
