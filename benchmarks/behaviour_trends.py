"""Trends and retention over a 30-day range on a seeded SQLite store, beside a plain ``count(*)`` of the same rows.

The store is the reports benchmark's (:func:`benchmarks.reports.seed`: the demo's synthetic usage through the
bulk loader, roll-ups included), kept in ``--dir`` so a rerun skips seeding. Each analysis is run in-process
through the same functions the API calls, under the app's scope; the table gives the median of ``--runs``
runs after one warm-up, and the baseline is ``SELECT count(*)`` over the range's events of the app, timed in
the same run, so the ratio can be compared across machines.

Run: ``.venv/bin/python -m benchmarks.behaviour_trends [--sizes 1000000 10000000] [--runs 5] [--dir var/bench]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from benchmarks.reports import END, ROOT, seed
from waymark.behaviour.retention import RetentionQuery, retention_query, retention_report
from waymark.behaviour.trends import TrendsQuery, trends_query, trends_report
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.scope import Scope, scoped_session

START = END - timedelta(days=29)
TRENDS: list[tuple[str, TrendsQuery]] = [
    ("trends: 2 events, total per day",
     trends_query("page:invoices-list,event:invoice_sent", "total", "visitors", "day", None, None)),
    ("trends: unique visitors per week, B / A",
     trends_query("page:invoices-list,event:invoice_sent", "unique", "visitors", "week", None, "B / A")),
    ("trends: unique tenants per month",
     trends_query("feature:send-invoice", "unique", "tenants", "month", None, None)),
    ("trends: breakdown by browser", trends_query("page:invoices-list", "unique", "visitors", "week", "browser", None)),
    ("trends: breakdown by tenant.plan",
     trends_query("page:settings", "total", "visitors", "day", "tenant.plan", None)),
    ("trends: property filter (stored events)",
     trends_query("event:invoice_sent[plan=pro]", "total", "visitors", "day", None, None)),
]
RETENTION: list[tuple[str, RetentionQuery]] = [
    ("retention: first seen, any, weekly", retention_query("first_seen", "any", "week", "on", 8, "visitors")),
    ("retention: event to page, daily", retention_query("event:invoice_sent", "page:settings", "day", "on", 8,
                                                        "visitors")),
    ("retention: tenants, any, on or after", retention_query("first_seen", "any", "week", "on_or_after", 8, "tenants")),
]


async def _timed(run: Callable[[], Awaitable[object]], runs: int) -> float:
    await run()  # warm-up: statement compilation, the page cache
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        await run()
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took)


async def measure(path: Path, app_id: str, runs: int) -> list[tuple[str, float]]:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    maker = make_sessionmaker(engine)
    scope = Scope(app_id)
    out: list[tuple[str, float]] = []
    try:
        async def baseline() -> object:
            async with scoped_session(maker, scope) as session:
                return await session.scalar(text(
                    "SELECT count(*) FROM events WHERE app_id = :app_id AND ts >= :since AND ts < :until"), {
                    "since": datetime.combine(START, datetime.min.time(), tzinfo=UTC),
                    "until": datetime.combine(END + timedelta(days=1), datetime.min.time(), tzinfo=UTC)})

        out.append(("count(*) of the range's events (baseline)", await _timed(baseline, runs)))
        for name, query in TRENDS:
            async def trend(query: TrendsQuery = query) -> object:
                async with scoped_session(maker, scope) as session:
                    return await trends_report(session, scope, query, START, END)

            out.append((name, await _timed(trend, runs)))
        for name, asked in RETENTION:
            async def retain(asked: RetentionQuery = asked) -> object:
                async with scoped_session(maker, scope) as session:
                    return await retention_report(session, scope, asked, START, END)

            out.append((name, await _timed(retain, runs)))
    finally:
        await engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000_000], help="store sizes (events)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per analysis (median)")
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "bench", help="where the databases are kept")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    results = {size: asyncio.run(measure(*seed(args.dir, size), args.runs)) for size in args.sizes}
    print(f"\ntrends and retention, SQLite, {START} to {END} (30 days), median of {args.runs}")
    print("| analysis | " + " | ".join(f"{s:,} events" for s in args.sizes) + " |")
    print("|---|" + "---|" * len(args.sizes))
    names = [name for name, _ in results[args.sizes[0]]]
    for at, name in enumerate(names):
        cells = []
        for size in args.sizes:
            ms = results[size][at][1]
            base = results[size][0][1]
            cells.append(f"{ms:,.1f} ms" + ("" if at == 0 else f" ({ms / base:.1f}× count)"))
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
