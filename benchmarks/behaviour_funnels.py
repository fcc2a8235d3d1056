"""Funnels and paths over 30 days of the seeded store (``benchmarks.reports.seed``), beside a plain ``count(*)``
of the same rows in the same run, so the ratio can be compared across machines (target: each under 2 s); each
figure is the median wall time and, in brackets, the least CPU time of the runs (steadier on a loaded machine).

Run: ``.venv/bin/python -m benchmarks.behaviour_funnels [--size 1000000] [--dir /work/bench-funnels] [--runs 5]
[--pg postgresql+asyncpg://…]`` (``--pg``: copy the store's events and steps into that PostgreSQL database first,
once).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from benchmarks.reports import END, seed
from waymark.behaviour.funnels import FunnelQuery, funnel_query, funnel_report
from waymark.behaviour.paths import paths_query, paths_report
from waymark.behaviour.step_source import range_bounds
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.migrate import upgrade
from waymark.db.models import Base, Event
from waymark.db.scope import Scope, scoped_session

START = END - timedelta(days=29)
FUNNELS = {
    "funnel pages (3 steps, visitors)": "steps=page:invoices-list,page:invoice-detail,page:settings",
    "funnel mixed (4 steps, tenants)": ("steps=page:invoices-list,feature:new-invoice,event:invoice_sent,"
                                        "event:settings_saved&count=tenants"),
    "funnel tracks + exclusion": "steps=event:invoice_sent,event:settings_saved&exclude=feature:help",
    "funnel compared with the month before": ("steps=page:invoices-list,event:invoice_sent&compare_from="
                                              f"{START - timedelta(days=30)}&compare_to={START - timedelta(days=1)}"),
}
PATHS = {
    "paths from page:invoices-list": "from_step=page:invoices-list&length=4",
    "paths to exit": "to_step=exit&length=4",
}


def _params(query: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in query.split("&"))


async def _timed(runs: int, call: Callable[[], Awaitable[Any]]) -> str:
    """The median wall time and the least CPU time (of this process and its threads: the driver's too) of
    ``runs`` calls; on a loaded machine the CPU time is the steadier of the two."""
    took, cpu = [], []
    for _ in range(runs):
        started, used = time.perf_counter(), time.process_time()
        await call()
        took.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    return f"{statistics.median(took) * 1000:8.0f} ms (CPU {min(cpu) * 1000:5.0f} ms)"


async def run(url: str, app_id: str, runs: int) -> None:
    engine = create_engine(url)
    maker = make_sessionmaker(engine)
    scope = Scope(app_id)
    since, until = range_bounds(START, END)

    async def count_rows() -> int:
        async with scoped_session(maker, scope) as session:
            return int(await session.scalar(select(func.count()).select_from(Event).where(
                Event.app_id == app_id, Event.ts >= since, Event.ts < until)) or 0)

    print(f"{url.split('://')[0]}: {await count_rows():,} events in {START} … {END}")
    print(f"  {'count(*) of the range (baseline)':<42} {await _timed(runs, count_rows)}")

    for name, raw in FUNNELS.items():
        query: FunnelQuery = funnel_query(_params(raw))

        async def funnel(query: FunnelQuery = query) -> Any:
            async with scoped_session(maker, scope) as session:
                return await funnel_report(session, scope, query, START, END, None)

        report = await funnel()
        print(f"  {name:<42} {await _timed(runs, funnel)}   "
              + " → ".join(str(s.converted) for s in report.steps))
    for name, raw in PATHS.items():
        paths = paths_query(_params(raw))

        async def path(paths: Any = paths) -> Any:
            async with scoped_session(maker, scope) as session:
                return await paths_report(session, scope, paths, START, END, None)

        found = await path()
        print(f"  {name:<42} {await _timed(runs, path)}   top: "
              + (" → ".join(found.paths[0].steps) + f" ({found.paths[0].visitors})" if found.paths else "none"))
    await engine.dispose()


async def copy_to_postgres(sqlite_url: str, pg_url: str, app_id: str) -> None:
    """The store's app, definitions, events and steps into an empty migrated PostgreSQL database (skipped when
    there), vacuumed so that index-only scans need no visits to the table."""
    source, target = create_engine(sqlite_url), create_engine(pg_url)
    async with target.begin() as conn:
        if await conn.scalar(text("SELECT count(*) FROM events")):
            return
    async with source.connect() as src, target.begin() as dst:
        for name in ("apps", "page_definitions", "feature_definitions", "events", "steps"):
            table = Base.metadata.tables[name]
            result = await src.stream(select(table))
            async for chunk in result.partitions(20_000):
                await dst.execute(table.insert(), [dict(row._mapping) for row in chunk])
    async with target.connect() as conn:
        await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text("VACUUM ANALYZE"))
    await source.dispose()
    await target.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pg", default=None)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path, app_id = seed(args.dir, args.size)
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(run(url, app_id, args.runs))
    if args.pg:
        upgrade(args.pg)
        asyncio.run(copy_to_postgres(url, args.pg, app_id))
        asyncio.run(run(args.pg, app_id, args.runs))


if __name__ == "__main__":
    main()
