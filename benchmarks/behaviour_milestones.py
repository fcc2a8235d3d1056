"""Milestone evaluation time on the reports benchmark's synthetic stores (SQLite), beside a plain count(*).

Three milestones are defined (one of each kind) and evaluated for every tenant of the app, as the periodic
job does: the first run sets every flag (and records every change), the next runs find nothing to change,
which is the steady state. The tenants are given a ``seats`` number first (the demo sends none), so the
active-share milestone has something to compare with. Beside each size: ``count(*)`` of the app's
``daily_usage`` rows of the 30 days the rolling milestones read, and of its events in those days.

Run: ``.venv/bin/python -m benchmarks.behaviour_milestones [--dir /work/bench-milestones] [--sizes 1000000]
[--runs 5]`` (a store missing from ``--dir`` is seeded first, which takes minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.reports import END, ROOT, seed
from waymark.behaviour.milestone_store import evaluate_app, save_milestone
from waymark.behaviour.milestones import parse_definition
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.scope import app_session

NOW = datetime.combine(END, datetime.min.time(), tzinfo=UTC) + timedelta(hours=23)
"""The evaluation's moment: the last day of the synthetic data, so the rolling windows hold its last 30 days."""
MILESTONES = {
    "exporters": {"kind": "visitors_did", "name": "Three exporters in the first week", "ref": "feature:export-csv",
                  "at_least": 3, "within_days": 7},
    "seats": {"kind": "active_share", "name": "80 % of seats active", "field": "seats", "percent": 80, "days": 30},
    "invoicing": {"kind": "events_count", "name": "50 invoice-list views a month", "ref": "page:invoices-list",
                  "at_least": 50, "days": 30},
}


def _prepare(path: Path, app_id: str) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("UPDATE tenants SET meta = json_set(meta, '$.seats', 6) WHERE app_id = ?", (app_id,))
        conn.execute("DELETE FROM milestone_flags WHERE app_id = ?", (app_id,))
        conn.execute("DELETE FROM milestone_changes WHERE app_id = ?", (app_id,))
        conn.commit()
    finally:
        conn.close()


def _baseline(path: Path, app_id: str) -> tuple[float, int, float, int]:
    since = (END - timedelta(days=29)).isoformat()
    conn = sqlite3.connect(path)
    try:
        started = time.perf_counter()
        rows = conn.execute("SELECT count(*) FROM daily_usage WHERE app_id = ? AND day >= ? AND day <= ?",
                            (app_id, since, END.isoformat())).fetchone()[0]
        rows_s = time.perf_counter() - started
        started = time.perf_counter()
        events = conn.execute("SELECT count(*) FROM events WHERE app_id = ? AND ts >= ?",
                              (app_id, since)).fetchone()[0]
        return rows_s, int(rows), time.perf_counter() - started, int(events)
    finally:
        conn.close()


async def _time(path: Path, app_id: str, runs: int) -> dict[str, tuple[float, float, int]]:
    """Per milestone: first evaluation (s), median of the next ``runs`` (s), tenants flagged."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    sessionmaker = make_sessionmaker(engine)
    out: dict[str, tuple[float, float, int]] = {}
    try:
        async with app_session(sessionmaker, app_id) as session:
            for milestone_id, raw in MILESTONES.items():
                await save_milestone(session, app_id, milestone_id, parse_definition(raw), NOW)
            await session.commit()
        for milestone_id in MILESTONES:
            timings = []
            flagged = 0
            for _ in range(runs + 1):
                async with app_session(sessionmaker, app_id) as session:
                    started = time.perf_counter()
                    changes = await evaluate_app(session, app_id, NOW, only=milestone_id)
                    await session.commit()
                    timings.append(time.perf_counter() - started)
                    flagged = flagged or len(changes)
            out[milestone_id] = (timings[0], statistics.median(timings[1:]), flagged)
    finally:
        await engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        path, app_id = seed(args.dir, size)
        _prepare(path, app_id)
        conn = sqlite3.connect(path)
        tenants = conn.execute("SELECT count(*) FROM tenants WHERE app_id = ?", (app_id,)).fetchone()[0]
        conn.close()
        rows_s, rows, events_s, events = _baseline(path, app_id)
        timings = asyncio.run(_time(path, app_id, args.runs))
        print(f"\n{size:,} events, {tenants:,} tenants (SQLite); evaluation at {NOW:%Y-%m-%d %H:%M} UTC")
        print(f"  baseline count(*) of the 30 days' daily_usage rows: {rows_s * 1000:8.1f} ms ({rows:,} rows)")
        print(f"  baseline count(*) of the 30 days' events:           {events_s * 1000:8.1f} ms ({events:,} events)")
        for milestone_id, (first, steady, flagged) in timings.items():
            print(f"  {milestone_id:<10} first run {first * 1000:8.1f} ms ({flagged:,} flags set), "
                  f"then median {steady * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
