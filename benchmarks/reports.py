"""Every admin report page's server time on a store of 100 thousand and of 10 million events (SQLite).

Each size gets its own database under ``var/bench/`` (kept, so a rerun skips seeding): the
demo's synthetic usage through the bulk loader (events, roll-ups and the report summaries),
the demo's pages and features, its guides published (the activity trend's marks), and an
owner to sign in as. More events means more tenants with the same habits, so tenant
``acme``'s month is the same at every size: only what is stored around it grows. Each page of
:data:`PAGES` is then requested in-process (HTML, signed in as the owner), interleaved between
sizes so that machine load hits them alike; the table gives the medians and their ratio
(targets: under 300 ms at 10 M, and within 2× of 100 k).

Run: ``.venv/bin/python -m benchmarks.reports [--large] [--runs 15] [--dir var/bench] [--only NAME]``
(without ``--large`` only the 100 k store is seeded and timed; seeding 10 M takes a while once).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import re
import sqlite3
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from waymark.access.models import User
from waymark.access.principal import Grant, Role
from waymark.access.services import create_user
from waymark.analytics.bulk import bulk_load_sqlite
from waymark.analytics.definitions import validate_definition_paths
from waymark.analytics.push import push_definitions
from waymark.app import create_app
from waymark.apps.services import create_app_with_keys
from waymark.behaviour.path_days import build_app_days
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.guides.loader import validate_paths
from waymark.guides.publishing import items_from_loaded
from waymark.guides.services import publish
from waymark.settings import Settings
from waymark.upgrade.run import upgrade
from waymark.wiring import publish_hooks
from waymark_demo.synthetic import demo_events

END = date(2026, 10, 31)
DAYS = 120
RANGE = f"from={(END - timedelta(days=29)).isoformat()}&to={END.isoformat()}"
TENANT = "acme"
VISITOR = "acme-u00"
EMAIL = "bench-owner@example.test"
PASSWORD = "benchmark password"
ROOT = Path(__file__).resolve().parent.parent
GUIDES = ROOT / "guides"

PAGES: list[tuple[str, str]] = [
    ("overview", "/admin/apps/{app}/?" + RANGE),
    ("tenants list", "/admin/apps/{app}/tenants?" + RANGE),
    ("tenant profile", "/admin/apps/{app}/tenants/{tenant}/?" + RANGE),
    ("visitor profile", "/admin/apps/{app}/visitors/{visitor}"),
    ("guides list", "/admin/apps/{app}/guides?" + RANGE),
    ("guide", "/admin/apps/{app}/guides/welcome-tour?" + RANGE),
    ("guide with a goal", "/admin/apps/{app}/guides/send-tip?" + RANGE),
    ("why not shown", "/admin/apps/{app}/guides/welcome-tour/explain?visitor={visitor}"
                      "&url=http%3A%2F%2F127.0.0.1%3A8000%2Fdemo%2Finvoices"),
    ("live (latest 50)", "/admin/apps/{app}/live"),
    ("live (filtered)", "/admin/apps/{app}/live?type=guide_seen&tenant={tenant}"),
    # NPS, polls and policies (benchmarks.feedback times them again with answers and decisions at scale)
    ("nps", "/admin/apps/{app}/nps?" + RANGE),
    ("tenant nps", "/admin/apps/{app}/tenants/{tenant}/nps?" + RANGE),
    ("polls", "/admin/apps/{app}/polls?" + RANGE),
    ("policies", "/admin/apps/{app}/policies?" + RANGE),
    ("tenant policies", "/admin/apps/{app}/tenants/{tenant}/policies?" + RANGE),
    ("tenant evidence", "/admin/apps/{app}/tenants/{tenant}/evidence"),
]
"""(name, URL template) of every page timed: ``{app}``, ``{tenant}`` and ``{visitor}`` are filled in."""

_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _create(path: Path) -> str:
    definitions, errors = validate_definition_paths([GUIDES / "analytics"])
    assert not errors, errors
    loaded, problems = validate_paths([str(GUIDES)])
    assert not problems, problems
    engine = create_engine(_url(path))
    try:
        async with make_sessionmaker(engine)() as session:
            app = await create_app_with_keys(session, "reports benchmark")
            await push_definitions(session, app.id, definitions, prune=False)
            await publish(session, app.id, items_from_loaded(loaded), publish_hooks())
            await create_user(session, EMAIL, PASSWORD, [Grant(app.id, Role.OWNER)])
            await session.commit()
            return app.id
    finally:
        await engine.dispose()


async def _check_user(path: Path) -> None:
    engine = create_engine(_url(path))
    try:
        async with make_sessionmaker(engine)() as session:
            assert await session.scalar(select(User.id).where(User.email == EMAIL)), "no benchmark owner"
    finally:
        await engine.dispose()


async def _build_path_days(path: Path) -> None:
    """What a running server's periodic job does within its first minute: build the days of paths' projection
    that the seeding (or an upgrade) marked."""
    engine = create_engine(_url(path))
    try:
        started = time.perf_counter()
        days = sum((await build_app_days(make_sessionmaker(engine))).values())
        if days:
            print(f"{days:>12,} days of paths' projection built in {time.perf_counter() - started:,.1f} s")
    finally:
        await engine.dispose()


def seed(folder: Path, size: int) -> tuple[Path, str]:
    """A database holding ``size`` events of one app (reused when it already does); returns it and the app id."""
    path = folder / f"reports-{size}.db"
    if path.exists():
        conn = sqlite3.connect(path)
        try:
            found = conn.execute("SELECT app_id, count(*) FROM events GROUP BY app_id").fetchone()
        finally:
            conn.close()
        if found and found[1] == size:
            upgrade(_url(path))  # a newer migration since it was seeded
            asyncio.run(_check_user(path))
            asyncio.run(_build_path_days(path))
            print(f"{size:>12,} events: reusing {path}")
            return path, str(found[0])
        path.unlink()
    upgrade(_url(path))
    app_id = asyncio.run(_create(path))
    make = functools.partial(demo_events, size, days=DAYS, end=END, id_prefix="r")
    started = time.perf_counter()
    with click.progressbar(length=size, label=f"seeding {size:,} events", show_pos=True, width=30) as bar:
        stored = bulk_load_sqlite(str(path), app_id, make, batch=100_000, on_batch=bar.update, parallel=True)
    took = time.perf_counter() - started
    conn = sqlite3.connect(path)
    try:
        conn.execute("ANALYZE")  # what an operator's periodic `PRAGMA optimize` would leave behind
    finally:
        conn.close()
    asyncio.run(_build_path_days(path))
    print(f"{stored:>12,} events seeded and summarised in {took:,.0f} s; {path.stat().st_size / 1e9:.2f} GB")
    return path, app_id


async def _signed_in(client: AsyncTestClient[Any]) -> None:
    page = await client.get("/admin/login")
    token = _TOKEN.search(page.text)
    assert token, "no CSRF token on the login page"
    answer = await client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD, "next": "/admin/",
                                                     "_csrf_token": token.group(1)}, follow_redirects=False)
    assert answer.status_code in (302, 303), f"sign-in failed: {answer.status_code}"


async def time_pages(stores: dict[int, tuple[Path, str]], pages: list[tuple[str, str]], runs: int
                     ) -> dict[str, dict[int, list[float]]]:
    """Per page and size, the server time of each run (ms), requests interleaved across sizes."""
    clients: dict[int, AsyncTestClient[Any]] = {}
    timings: dict[str, dict[int, list[float]]] = {name: {size: [] for size in stores} for name, _ in pages}
    try:
        for size, (path, _) in stores.items():
            settings = Settings(database_url=_url(path), snapshot_check_seconds=0.0, summaries_interval_seconds=0.0,
                                retention_interval_seconds=0.0, rate_limit_per_minute=0)
            client = AsyncTestClient(app=create_app(settings))
            await client.__aenter__()
            clients[size] = client
            await _signed_in(client)
        for round_ in range(runs + 1):
            for name, template in pages:
                for size, (_, app_id) in stores.items():
                    url = template.format(app=app_id, tenant=TENANT, visitor=VISITOR)
                    started = time.perf_counter()
                    answer = await clients[size].get(url)
                    took = (time.perf_counter() - started) * 1000
                    assert answer.status_code == 200, f"{name} at {size:,}: {answer.status_code} {url}"
                    if round_:  # the first round warms caches and compiles templates
                        timings[name][size].append(took)
    finally:
        for client in clients.values():
            await client.__aexit__(None, None, None)
    return timings


def report(timings: dict[str, dict[int, list[float]]], sizes: list[int]) -> None:
    head = " | ".join(f"{s:>12,}" for s in sizes)
    print(f"\n| page | {head} | {'ratio' if len(sizes) > 1 else ''} |")
    print("|---|" + "---|" * len(sizes) + "---|")
    for name, per_size in timings.items():
        medians = [statistics.median(per_size[s]) for s in sizes]
        ratio = f"{medians[-1] / medians[0]:.2f}×" if len(sizes) > 1 else ""
        print(f"| {name} | " + " | ".join(f"{m:>9.1f} ms" for m in medians) + f" | {ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also seed and time the 10 million events store")
    parser.add_argument("--runs", type=int, default=15, help="timed requests per page and size (median)")
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "bench", help="where the databases are kept")
    parser.add_argument("--only", action="append", default=[], help="time only the pages of this name")
    parser.add_argument("--sizes", type=int, nargs="*", default=None, help="store sizes (default 100000 [10000000])")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    args.dir.mkdir(parents=True, exist_ok=True)
    sizes = args.sizes or ([100_000, 10_000_000] if args.large else [100_000])
    stores = {size: seed(args.dir, size) for size in sizes}
    pages = [(n, u) for n, u in PAGES if not args.only or n in args.only]
    timings = asyncio.run(time_pages(stores, pages, args.runs))
    print(f"admin pages, SQLite, in-process client signed in as an owner, median of {args.runs}")
    report(timings, sizes)


if __name__ == "__main__":
    main()
