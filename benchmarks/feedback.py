"""The NPS, poll, policy and evidence pages' server time at 100 thousand and at 10 million events (SQLite).

Each size starts from the reports benchmark's store (:mod:`benchmarks.reports`: the demo's usage,
guides and an owner) copied to ``feedback-<size>.db`` and given feedback in proportion to its
visitors: half of them shown the NPS survey over the 120 days and half of those answering (a
fifth with a comment), a fifth answering the settings poll, and the terms of use published 100
days before the end and decided by most visitors, on a hash chain built as the ledger builds it.
The pages are then timed as the reports benchmark times its own (HTML, signed in as the owner,
interleaved between sizes, medians). A page's first view also checks the evidence chain; that
cold check, in a new process with :data:`APPENDED` records added since the last check, is timed on its
own (``chain check (cold, …)``), and so is the full check of the whole chain that runs in the background
every few minutes or when asked (``chain check (whole chain)``).

Run: ``.venv/bin/python -m benchmarks.feedback [--large] [--runs 15] [--dir var/bench] [--only NAME] [--sizes N ...]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks.reports import END, RANGE, ROOT, TENANT, report, seed, time_pages
from waymark.clock import utcnow
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.guidestats.sketch_store import rebuild_sketches
from waymark.policies.chain import GENESIS, ChainRecord, record_hash
from waymark.policies.chain_status import chain_status
from waymark.policies.decision_days import rebuild_decision_days
from waymark.surveys.tally_store import rebuild_tallies

PAGES: list[tuple[str, str]] = [
    ("nps", "/admin/apps/{app}/nps?" + RANGE),
    ("tenant nps", "/admin/apps/{app}/tenants/{tenant}/nps?" + RANGE),
    ("polls", "/admin/apps/{app}/polls?" + RANGE),
    ("policies", "/admin/apps/{app}/policies?" + RANGE),
    ("tenant policies", "/admin/apps/{app}/tenants/{tenant}/policies?" + RANGE),
    ("tenant evidence", "/admin/apps/{app}/tenants/{tenant}/evidence"),
    ("evidence", "/admin/apps/{app}/evidence"),
]
"""(name, URL template) of every feedback page timed."""

NPS, POLL, POLICY = "nps-survey", "settings-poll", "terms-of-use"
_DAYS = 120
_PUBLISHED = datetime(END.year, END.month, END.day) - timedelta(days=100)
APPENDED = 100
"""Records appended since the last check when a first view's check is timed."""
_COMMENTS = ("Fast invoices", "The export is slow", "Love the new reports", "Hard to find settings", "Fine")


def _moment(day_offset: int, rng: random.Random) -> datetime:
    first = datetime(END.year, END.month, END.day) - timedelta(days=_DAYS - 1)
    return first + timedelta(days=day_offset, seconds=rng.randint(6 * 3600, 18 * 3600),
                             microseconds=rng.randint(0, 999_999))


def _stat(app_id: str, guide: str, moment: datetime, tenant: str, visitor: str) -> tuple[object, ...]:
    return (app_id, guide, moment.date().isoformat(), tenant, visitor, 1, 0, 0, 0, 0, 0, 0, 0)


def add_feedback(path: Path, app_id: str) -> None:
    """Answers, showings and decisions for the store's visitors (deterministic per visitor)."""
    conn = sqlite3.connect(path)
    try:
        visitors = conn.execute("SELECT id, tenant_id FROM visitors WHERE app_id = ? ORDER BY id", (app_id,)).fetchall()
        hashes = json.loads(conn.execute("SELECT hashes FROM policy_versions WHERE app_id = ? AND policy_id = ? "
                                         "AND version = 1", (app_id, POLICY)).fetchone()[0])
        answers: list[tuple[object, ...]] = []
        stats: list[tuple[object, ...]] = []
        decisions: list[tuple[datetime, str, str, str]] = []
        for visitor, tenant in visitors:
            rng = random.Random(f"feedback:{visitor}")
            tenant = tenant or ""
            if rng.random() < 0.5:
                shown = _moment(rng.randrange(_DAYS), rng)
                stats.append(_stat(app_id, NPS, shown, tenant, visitor))
                if rng.random() < 0.5:
                    score = rng.choices(range(11), (2, 1, 1, 2, 2, 4, 6, 10, 14, 16, 12))[0]
                    comment = rng.choice(_COMMENTS) if rng.random() < 0.2 else None
                    answers.append((app_id, f"nps-{visitor}", "nps", NPS, "", visitor, tenant,
                                    str(shown + timedelta(seconds=20)), score, None, comment))
            if rng.random() < 0.2:
                shown = _moment(rng.randrange(_DAYS), rng)
                stats.append(_stat(app_id, POLL, shown, tenant, visitor))
                answers.append((app_id, f"poll-a-{visitor}", "poll", POLL, "next-setting", visitor, tenant,
                                str(shown + timedelta(seconds=10)), None, json.dumps([rng.choice(("a", "b"))]), None))
                answers.append((app_id, f"poll-b-{visitor}", "poll", POLL, "ease", visitor, tenant,
                                str(shown + timedelta(seconds=20)), rng.randint(1, 5), None, None))
            roll = rng.random()
            if roll < 0.85:
                when = _moment(_DAYS - 100 + rng.randrange(100), rng)
                decisions.append((when, visitor, tenant, "accepted" if roll < 0.8 else "declined"))
                if roll < 0.02:
                    decisions.append((when + timedelta(days=3), visitor, tenant, "withdrawn"))
        conn.executemany("INSERT INTO survey_answers (app_id, event_id, kind, guide_id, question, visitor_id, "
                         "tenant_id, ts, score, choices, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", answers)
        conn.executemany("INSERT OR IGNORE INTO guide_daily_stats (app_id, guide_id, day, tenant_id, visitor_id, seen, "
                         "top_step, completed, dismissed, snoozed, anchor_missing, timed, timed_ms) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", stats)
        conn.execute("UPDATE policy_versions SET published_at = ? WHERE app_id = ? AND policy_id = ?",
                     (str(_PUBLISHED), app_id, POLICY))
        prev, rows = GENESIS, []
        for seq, (when, visitor, tenant, decision) in enumerate(sorted(decisions), start=1):
            record = ChainRecord(id=0, seq=seq, request_id=f"bench-{seq}", app_id=app_id, tenant=tenant or None,
                                 visitor=visitor, policy=POLICY, version=1, locale="en", text_hash=hashes["en"],
                                 decision=decision, method="widget", recorded_at=when, user_agent="benchmark",
                                 prev_hash=prev)
            prev = record_hash(record)
            rows.append((app_id, seq, record.request_id, record.tenant, visitor, POLICY, 1, "en", hashes["en"],
                         decision, "widget", str(when), "benchmark", record.prev_hash, prev))
        conn.executemany("INSERT INTO policy_evidence (app_id, seq, request_id, tenant_id, visitor_id, policy_id, "
                         "policy_version, locale, text_hash, decision, method, recorded_at, user_agent, prev_hash, "
                         "row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("INSERT OR REPLACE INTO policy_chain_heads (app_id, seq, last_hash) VALUES (?, ?, ?)",
                     (app_id, len(rows), prev))
        conn.commit()
        asyncio.run(_recount(path, app_id))
        conn.execute("ANALYZE")
        print(f"  {len(answers):,} answers, {len(stats):,} showings, {len(rows):,} evidence records")
    finally:
        conn.close()


async def _recount(path: Path, app_id: str) -> None:
    """The whole app's day sketches, tallies and decision days of what was just written around ingestion."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with make_sessionmaker(engine)() as session:
            await rebuild_sketches(session, app_id)
            await rebuild_tallies(session, app_id)
            await rebuild_decision_days(session, app_id)
            await session.commit()
    finally:
        await engine.dispose()


def prepare(folder: Path, size: int) -> tuple[Path, str]:
    """The reports store of ``size`` events, copied once and given feedback."""
    source, app_id = seed(folder, size)
    path = folder / f"feedback-{size}.db"
    if path.exists():
        conn = sqlite3.connect(path)
        try:
            ready = conn.execute("SELECT count(*) FROM policy_evidence WHERE app_id = ?", (app_id,)).fetchone()[0]
        finally:
            conn.close()
        if ready:
            print(f"{size:>12,} events: reusing {path}")
            return path, app_id
    shutil.copyfile(source, path)
    print(f"{size:>12,} events: adding feedback to {path}")
    add_feedback(path, app_id)
    return path, app_id


def _checkpoint_behind(path: Path, app_id: str, appended: int) -> None:
    """Leave the app's chain checked up to ``appended`` records before its head, as if they came since."""
    now = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy keeps a moment in SQLite
    conn = sqlite3.connect(path)
    try:
        seq, row_hash = conn.execute("SELECT seq, row_hash FROM policy_evidence WHERE app_id = ? AND seq = "
                                     "(SELECT seq - ? FROM policy_chain_heads WHERE app_id = ?)",
                                     (app_id, appended, app_id)).fetchone()
        conn.execute("INSERT OR REPLACE INTO policy_chain_checks (app_id, seq, last_hash, checked_at, full_checked_at) "
                     "VALUES (?, ?, ?, ?, ?)", (app_id, seq, row_hash, now, now))
        conn.commit()
    finally:
        conn.close()


async def _cold_check(path: Path, app_id: str, full: bool) -> float:
    """A first view's check in a new process (``full``: the whole chain's, as "check the whole chain now")."""
    if not full:
        _checkpoint_behind(path, app_id, APPENDED)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        started = time.perf_counter()
        status = await chain_status(make_sessionmaker(engine), app_id, check=full)
        took = (time.perf_counter() - started) * 1000
        assert status.intact, status
        return took
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also the 10 million events store")
    parser.add_argument("--runs", type=int, default=15, help="timed requests per page and size (median)")
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "bench", help="where the databases are kept")
    parser.add_argument("--only", action="append", default=[], help="time only the pages of this name")
    parser.add_argument("--sizes", type=int, nargs="*", default=None, help="store sizes (default 100000 [10000000])")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    sizes = args.sizes or ([100_000, 10_000_000] if args.large else [100_000])
    stores = {size: prepare(args.dir, size) for size in sizes}
    pages = [(n, u) for n, u in PAGES if not args.only or n in args.only]
    timings = asyncio.run(time_pages(stores, pages, args.runs))
    timings[f"chain check (cold, {APPENDED} new records)"] = {
        size: [asyncio.run(_cold_check(path, app_id, False)) for _ in range(args.runs)]
        for size, (path, app_id) in stores.items()}
    timings["chain check (whole chain)"] = {
        size: [asyncio.run(_cold_check(path, app_id, True)) for _ in range(3)]
        for size, (path, app_id) in stores.items()}
    print(f"feedback pages, SQLite, in-process client signed in as an owner, tenant {TENANT}, median of {args.runs}")
    report(timings, sizes)


if __name__ == "__main__":
    main()
