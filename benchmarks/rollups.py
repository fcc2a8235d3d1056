"""The monthly usage report of one tenant at 100 thousand and at 10 million stored events (SQLite).

Each size gets its own database, seeded through the bulk path (events and their roll-ups
written with ``executemany`` in 100k-event transactions, a second process generating and
counting the next batch) with the demo's pages and features defined. More events means more
tenants with the same habits over the same 120 days, so tenant ``acme``'s October is the same
at every size: only what is stored around it grows. The report (JSON) is then timed for that
tenant and month, interleaved between sizes so that machine load hits them alike, and the
medians compared (target: within 2× of each other).

Run: ``.venv/bin/python -m benchmarks.rollups [SIZE ...] [--runs 21] [--dir DIR] [--reuse]``
(default sizes 100000 10000000; ``--dir`` keeps the databases, ``--reuse`` skips seeding a
database that already holds its events).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sqlite3
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import click
import msgspec
from sqlalchemy import select, text

from waymark.analytics.bulk import bulk_load_sqlite
from waymark.analytics.definitions import validate_definition_paths
from waymark.analytics.push import push_definitions
from waymark.analytics.reports import usage_report
from waymark.analytics.rollups import rebuild_rule
from waymark.apps.services import create_app_with_keys
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import App, DailyUsage
from waymark.db.scope import app_session
from waymark.upgrade.run import upgrade
from waymark_demo.synthetic import demo_events

END = date(2026, 10, 31)
DAYS = 120
MONTH = (date(2026, 10, 1), date(2026, 10, 31))
TENANT = "acme"
DEFINITIONS = Path(__file__).resolve().parent.parent / "guides" / "analytics"


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _create_app(path: Path) -> str:
    files, errors = validate_definition_paths([DEFINITIONS])
    assert not errors, errors
    engine = create_engine(_url(path))
    try:
        async with make_sessionmaker(engine)() as session:
            app = await create_app_with_keys(session, "rollups benchmark")
            await push_definitions(session, app.id, files, prune=False)
            await session.commit()
            return app.id
    finally:
        await engine.dispose()


def seed(path: Path, size: int, reuse: bool) -> str:
    """A database holding ``size`` events of one app; returns the app id."""
    if reuse and path.exists():
        conn = sqlite3.connect(path)
        try:
            app_id, stored = conn.execute("SELECT app_id, count(*) FROM events GROUP BY app_id").fetchone()
        finally:
            conn.close()
        if stored == size:
            print(f"{size:>12,} events: reusing {path}")
            return str(app_id)
        path.unlink()
    path.unlink(missing_ok=True)
    upgrade(_url(path))
    app_id = asyncio.run(_create_app(path))
    make = functools.partial(demo_events, size, days=DAYS, end=END, id_prefix="b")
    started = time.perf_counter()
    with click.progressbar(length=size, label=f"seeding {size:,} events", show_pos=True, width=30) as bar:
        stored = bulk_load_sqlite(str(path), app_id, make, batch=100_000, on_batch=bar.update, parallel=True)
    took = time.perf_counter() - started
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT count(*) FROM daily_usage").fetchone()[0]
        conn.execute("ANALYZE")  # what an operator's periodic `PRAGMA optimize` would leave behind
    finally:
        conn.close()
    print(f"{stored:>12,} events seeded in {took:,.0f} s ({stored / took:,.0f} events/s); "
          f"{rows:,} daily_usage rows; {path.stat().st_size / 1e9:.2f} GB")
    return app_id


async def _time_reports(targets: list[tuple[int, Path, str]], runs: int) -> dict[int, list[float]]:
    """Median-ready timings of the tenant-month report (query + JSON), interleaved across sizes."""
    engines = {size: create_engine(_url(path)) for size, path, _ in targets}
    makers = {size: make_sessionmaker(engine) for size, engine in engines.items()}
    times: dict[int, list[float]] = {size: [] for size, _, _ in targets}
    encode = msgspec.json.Encoder().encode
    try:
        for round_ in range(runs + 1):
            for size, _, app_id in targets:
                async with app_session(makers[size], app_id) as session:
                    started = time.perf_counter()
                    body = encode(await usage_report(session, app_id, TENANT, *MONTH))
                    took = time.perf_counter() - started
                if round_:  # the first round warms caches
                    times[size].append(took)
                assert body
    finally:
        for engine in engines.values():
            await engine.dispose()
    return times


async def _details(size: int, path: Path, app_id: str) -> tuple[int, str, float, float]:
    """Rows the tenant-month report reads, its query plan, the app-wide month and a feature rebuild."""
    engine = create_engine(_url(path))
    try:
        async with app_session(make_sessionmaker(engine), app_id) as session:
            days = [date(2026, 10, d) for d in range(1, 32)]
            rows = await session.scalar(
                select(text("count(*)")).select_from(DailyUsage).where(
                    DailyUsage.app_id == app_id, DailyUsage.day.in_(days), DailyUsage.tenant_id == TENANT
                )
            )
            plan_rows = (await session.execute(text(
                "EXPLAIN QUERY PLAN SELECT kind, key, sum(count) FROM daily_usage WHERE app_id = :a "
                "AND day IN ('2026-10-01', '2026-10-02') AND tenant_id = :t GROUP BY kind, key"
            ), {"a": app_id, "t": TENANT})).all()
            started = time.perf_counter()
            await usage_report(session, app_id, None, *MONTH)
            all_tenants = time.perf_counter() - started
            started = time.perf_counter()
            await rebuild_rule(session, app_id, "feature", "export-csv")
            rebuild = time.perf_counter() - started
            await session.rollback()
            assert await session.scalar(select(App.id).where(App.id == app_id))
    finally:
        await engine.dispose()
    return int(rows or 0), " / ".join(str(r[-1]) for r in plan_rows), all_tenants, rebuild


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=21, help="timed report runs per size (median)")
    parser.add_argument("--dir", type=Path, default=None, help="keep the databases here")
    parser.add_argument("--reuse", action="store_true", help="reuse a database that already holds its events")
    args = parser.parse_args()
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        folder = args.dir or Path(scratch)
        targets = []
        for size in args.sizes:
            path = folder / f"rollups-{size}.db"
            targets.append((size, path, seed(path, size, args.reuse)))
        times = asyncio.run(_time_reports(targets, args.runs))
        details = {size: asyncio.run(_details(size, path, app_id)) for size, path, app_id in targets}
    print(f"\nusage report of tenant {TENANT!r} for {MONTH[0]:%B %Y} (JSON; pages, features, events, guides, "
          f"days active), SQLite, median of {args.runs}, interleaved:")
    medians = {size: statistics.median(t) * 1000 for size, t in times.items()}
    for size, _, _ in targets:
        rows = details[size][0]
        p10 = statistics.quantiles(times[size], n=10)[0] * 1000
        print(f"  {size:>12,} events: {medians[size]:7.2f} ms  (p10 {p10:.2f} ms; {rows:,} roll-up rows read)")
    print(f"  plan: {details[targets[0][0]][1]}")
    first, last = targets[0][0], targets[-1][0]
    print(f"  ratio {last:,} / {first:,}: {medians[last] / medians[first]:.2f}×")
    print("for comparison (not the target; these grow with what is stored):")
    for size, _, _ in targets:
        _, _, all_tenants, rebuild = details[size]
        print(f"  {size:>12,} events: whole-app month report {all_tenants * 1000:,.0f} ms; "
              f"defining a feature (rebuild from stored clicks) {rebuild:,.1f} s")


if __name__ == "__main__":
    main()
