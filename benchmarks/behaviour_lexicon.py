"""The lexicon's read (every event name with its properties, 30-day volume and blocked counts) on a seeded store.

Seeds (or reuses) ``benchmarks.reports``' SQLite store of N synthetic demo events, then times
:func:`waymark.lexicon.services.lexicon_view` for the 30 days ending on the store's last day, beside a
plain ``count(*)`` over the same 30 days of events in the same run.
Run: ``.venv/bin/python -m benchmarks.behaviour_lexicon [folder] [events ...]``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.reports import END, seed
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import Event
from waymark.db.scope import app_session
from waymark.lexicon.services import WINDOW_DAYS, lexicon_view

ROUNDS = 5


async def _measure(path: Path, app_id: str) -> tuple[float, float, int, int]:
    """(median seconds of the lexicon read, of the count(*), events counted, event names)."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    maker = make_sessionmaker(engine)
    since = END - timedelta(days=WINDOW_DAYS - 1)
    view_times, count_times, counted, names = [], [], 0, 0
    try:
        for _ in range(ROUNDS):
            async with app_session(maker, app_id) as session:
                started = time.perf_counter()
                view = await lexicon_view(session, app_id, END)
                view_times.append(time.perf_counter() - started)
                names = len(view.events)
                started = time.perf_counter()
                counted = int((await session.scalar(
                    select(func.count()).select_from(Event).where(
                        Event.app_id == app_id, Event.ts >= since, Event.ts < END + timedelta(days=1))
                )) or 0)
                count_times.append(time.perf_counter() - started)
    finally:
        await engine.dispose()
    return sorted(view_times)[ROUNDS // 2], sorted(count_times)[ROUNDS // 2], counted, names


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/waymark-bench")
    sizes = [int(s) for s in sys.argv[2:]] or [1_000_000]
    folder.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        path, app_id = seed(folder, size)
        view, count, counted, names = asyncio.run(_measure(path, app_id))
        print(f"{size:>12,} events, SQLite, 30 days ending {END}, median of {ROUNDS}:")
        print(f"  lexicon ({names} names, volume and blocked counts): {view * 1000:>8.1f} ms")
        print(f"  count(*) of the window's {counted:,} events: {count * 1000:>8.1f} ms")


if __name__ == "__main__":
    main()
