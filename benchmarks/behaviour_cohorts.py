"""What delivery pays for cohorts on a seeded store: a visitor's guide state read alone, and with their cohort ids
(the same query, one more indexed branch). A cohort's refresh time is in :mod:`benchmarks.behaviour`.

Run: ``.venv/bin/python -m benchmarks.behaviour_cohorts [events] [folder]`` (default 1,000,000 events in
``/work/bench-cohorts``; the store is built once by :func:`benchmarks.reports.seed` and reused).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import sys
import time
from pathlib import Path

from benchmarks.reports import seed
from waymark.delivery.state_reader import SqliteStateReader


async def lookups(path: Path, app_id: str) -> None:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        visitors = [row[0] for row in conn.execute("SELECT id FROM visitors WHERE app_id = ?", (app_id,))]
    rng = random.Random(3)
    sample = [rng.choice(visitors) for _ in range(20_000)]
    reader = SqliteStateReader(str(path))
    best: dict[str, float] = {}
    for _ in range(5):  # alternated, best round kept: the machine's other load only ever adds time
        for label, read in (("state only", reader.read), ("state and cohorts", reader.read_with_cohorts)):
            started = time.perf_counter()
            for visitor in sample:
                await read(app_id, visitor)
            each = (time.perf_counter() - started) / len(sample) * 1e6
            best[label] = min(best.get(label, each), each)
    for label, each in best.items():
        print(f"  delivery read, {label:<24}: {each:8.1f} µs per visitor, best of 5 ({len(visitors):,} visitors)")


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/work/bench-cohorts")
    folder.mkdir(parents=True, exist_ok=True)
    path, app_id = seed(folder, size)
    print(f"delivery reads, {size:,} events, SQLite")
    asyncio.run(lookups(path, app_id))


if __name__ == "__main__":
    main()
