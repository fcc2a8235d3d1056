"""What judging alert rules costs on a seeded store: each metric over a day, a week and 30 days, one whole evaluation
of six rules, and beside them a plain ``count(*)`` of the 30 days' events as the machine's baseline.

Run: ``.venv/bin/python -m benchmarks.behaviour_alerts [--dir /work/bench-alerts] [--size 1000000] [--runs 7]``
(the store is seeded by :func:`benchmarks.reports.seed` once and reused).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path

from sqlalchemy import delete, text

from benchmarks.reports import END, seed
from waymark.alerts.evaluate import evaluate
from waymark.alerts.metrics import metric_value
from waymark.alerts.models import AlertFiring, AlertRule
from waymark.alerts.rules import Period, check_rule
from waymark.alerts.services import save_rule
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.scope import app_session

METRICS = (("active_visitors", ""), ("event_count", "event:invoice_sent"), ("event_count", "page:invoices-list"),
           ("nps", "nps"), ("policy_coverage", "terms-of-use"))
PERIODS = {"day": Period(END, END), "week": Period(END - timedelta(days=6), END),
           "30 days": Period(END - timedelta(days=29), END)}


async def _median_ms(runs: int, work: Callable[[], Awaitable[object]]) -> float:
    await work()  # warm the caches once
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took)


async def measure(path: Path, app_id: str, runs: int) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    sessionmaker = make_sessionmaker(engine)
    try:
        since = datetime.combine(PERIODS["30 days"].start, day_time(), UTC)
        until = datetime.combine(END + timedelta(days=1), day_time(), UTC)

        async def baseline() -> object:
            async with app_session(sessionmaker, app_id) as session:
                return await session.scalar(text(
                    "SELECT count(*) FROM events WHERE app_id = :app_id AND ts >= :since AND ts < :until"),
                    {"since": since, "until": until})

        print(f"{'count(*) of the 30 days events (baseline)':<52} {await _median_ms(runs, baseline):>9.1f} ms")
        for metric, target in METRICS:
            for name, period in PERIODS.items():
                async def one(metric: str = metric, target: str = target, period: Period = period) -> object:
                    async with app_session(sessionmaker, app_id) as session:
                        return await metric_value(session, app_id, metric, target, period)

                label = f"{metric} {target}".strip() + f" over {name}"
                print(f"{label:<52} {await _median_ms(runs, one):>9.1f} ms")
        async with app_session(sessionmaker, app_id) as session:
            for n, (metric, target) in enumerate(METRICS):
                await save_rule(session, app_id, check_rule(f"bench {n}", metric, target, "week", "falls_by", 20))
            await save_rule(session, app_id, check_rule("bench day", "active_visitors", "", "day", "below", 1))
            await session.commit()
        try:
            now = datetime.combine(END + timedelta(days=1), day_time(1), UTC)
            print(f"{'one evaluation of 6 rules (lock, judge, commit)':<52} "
                  f"{await _median_ms(runs, lambda: evaluate(sessionmaker, now)):>9.1f} ms")
        finally:
            async with app_session(sessionmaker, app_id) as session:
                await session.execute(delete(AlertFiring).where(AlertFiring.app_id == app_id))
                await session.execute(delete(AlertRule).where(AlertRule.app_id == app_id))
                await session.commit()
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path, app_id = seed(args.dir, args.size)
    print(f"median of {args.runs} runs, {args.size:,} events, SQLite")
    asyncio.run(measure(path, app_id, args.runs))


if __name__ == "__main__":
    main()
