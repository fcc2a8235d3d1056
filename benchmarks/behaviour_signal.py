"""Signal and impact over a 30-day range on a seeded SQLite store, beside a plain ``count(*)`` of the same rows.

The store is the one :func:`benchmarks.reports.seed` builds (the demo's synthetic usage, 120 days ending
2026-10-31, seeded once and reused). Signal reads the visitors first seen in its first 30 days (nearly all of
the demo's visitors are: the worst case for its population) with their window and goal days; impact reads a
feature's adoption in the last 30 days with the metric over ±14 days. Each analysis runs in-process, through
the same scoped session and code as the API, ``--runs`` times; the table gives the median and the fastest wall
time and the median CPU time.

Run: ``.venv/bin/python -m benchmarks.behaviour_signal [--size 1000000] [--dir /work/bench-signal] [--runs 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks.reports import END, seed
from waymark.admin.filters import ReportFilters
from waymark.behaviour.impact_report import impact_report, parse_impact_options
from waymark.behaviour.signal_report import parse_signal_options, signal_report
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.scope import Scope, scoped_session

SIGNAL_START = END - timedelta(days=119)
"""The store's first day: the demo's visitors are first seen in its first fortnight."""
SIGNAL_RANGE = ReportFilters(SIGNAL_START, SIGNAL_START + timedelta(days=29))
IMPACT_RANGE = ReportFilters(END - timedelta(days=29), END)
FEATURE = "export-csv"


async def _timed(runs: int, call: Callable[[], Awaitable[Any]]) -> tuple[list[tuple[float, float]], Any]:
    """Each run's (wall, CPU) milliseconds: CPU time (this process, SQLite's thread included) tells a busy shared
    machine's waiting apart from the work."""
    took: list[tuple[float, float]] = []
    result: Any = None
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        result = await call()
        took.append(((time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000))
    return took, result


async def measure(path: Path, app_id: str, runs: int) -> list[tuple[str, list[tuple[float, float]], str]]:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    sessionmaker = make_sessionmaker(engine)
    scope = Scope(app_id)
    today = datetime.now(UTC).date()
    out: list[tuple[str, list[tuple[float, float]], str]] = []

    async def count(start: date, end: date) -> int:
        async with scoped_session(sessionmaker, scope) as session:
            found = await session.scalar(text(
                "SELECT count(*) FROM daily_usage WHERE app_id = :app_id AND day >= :start AND day <= :end"),
                {"start": start, "end": end})
            return int(found or 0)

    try:
        for unit in ("visitors", "tenants"):
            options = parse_signal_options({"count": unit})

            async def run_signal(options: Any = options) -> Any:
                async with scoped_session(sessionmaker, scope) as session:
                    return await signal_report(session, scope, SIGNAL_RANGE, options, None, today)

            took, report = await _timed(runs, run_signal)
            out.append((f"signal, {unit}", took,
                        f"population {report.population}, reached {report.reached}, {len(report.items)} items"))
        last = SIGNAL_RANGE.end + timedelta(days=27)
        took, rows = await _timed(runs, lambda: count(SIGNAL_RANGE.start, last))
        out.append((f"count(*) daily_usage {SIGNAL_RANGE.start}..{last}", took, f"{rows:,} rows"))
        for unit in ("visitors", "tenants"):
            impact_options = parse_impact_options({"adoption": f"feature:{FEATURE}", "count": unit})

            async def run_impact(options: Any = impact_options) -> Any:
                async with scoped_session(sessionmaker, scope) as session:
                    return await impact_report(session, scope, IMPACT_RANGE, options, None, today)

            took, result = await _timed(runs, run_impact)
            out.append((f"impact, {unit}", took, f"adopters {result.adopters.units}, non-adopters "
                                                 f"{result.non_adopters.units}"))
        first, last = IMPACT_RANGE.start - timedelta(days=14), IMPACT_RANGE.end + timedelta(days=14)
        took, rows = await _timed(runs, lambda: count(first, last))
        out.append((f"count(*) daily_usage {first}..{last}", took, f"{rows:,} rows"))
    finally:
        await engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path, app_id = seed(args.dir, args.size)
    print(f"{args.size:,} events; {args.runs} runs each; milliseconds")
    print(f"{'analysis':<48} {'median':>8} {'fastest':>8} {'CPU med':>8}  what")
    for name, took, what in asyncio.run(measure(path, app_id, args.runs)):
        wall, cpu = [w for w, _ in took], [c for _, c in took]
        print(f"{name:<48} {statistics.median(wall):>8.0f} {min(wall):>8.0f} {statistics.median(cpu):>8.0f}  {what}")


if __name__ == "__main__":
    main()
