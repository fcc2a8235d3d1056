"""Seeding the demo app: a fixed public key (it is public anyway), the guides in ``guides/``, its pages and
features in ``guides/analytics/``, and on request synthetic usage."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from itertools import islice
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from waymark.analytics.bulk import bulk_load_sqlite
from waymark.analytics.definitions import validate_definition_paths
from waymark.analytics.push import push_definitions
from waymark.apps.keys import hash_secret, new_secret_key
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import App, SecretKey
from waymark.events.services import write_events
from waymark.guides.loader import validate_paths
from waymark.guides.publishing import items_from_loaded
from waymark.guides.services import publish
from waymark.settings import Settings
from waymark.wiring import publish_hooks, registered_projections
from waymark_demo.budget import apply_demo_budget
from waymark_demo.synthetic import demo_events, to_event

__all__ = ["DEMO_APP_ID", "DEMO_PUBLIC_KEY", "DEMO_SECRET_KEY", "seed_demo", "seed_demo_events"]

DEMO_APP_ID = "demo"
DEMO_PUBLIC_KEY = "pk_demo_ledgerly"
DEMO_SECRET_KEY = "sk_demo_ledgerly_local_only"
"""Fixed and printed at every start, so the README's API examples work against the demo at once.
It opens only the demo app, which holds made-up data; real apps get random keys (``waymark apps create``)."""


async def seed_demo(settings: Settings, guides_dir: Path) -> str:
    """Create the demo app if missing and publish ``guides_dir``; returns a summary for people."""
    loaded, errors = validate_paths([str(guides_dir)])
    if errors:
        raise ValueError("demo guides are invalid:\n" + "\n".join(str(e) for e in errors))
    analytics_dir = guides_dir / "analytics"
    definitions, errors = validate_definition_paths([analytics_dir]) if analytics_dir.is_dir() else (None, [])
    if errors:
        raise ValueError("demo pages and features are invalid:\n" + "\n".join(str(e) for e in errors))
    engine = create_engine(settings.database_url)
    lines: list[str] = []
    try:
        async with make_sessionmaker(engine)() as session:
            app = await session.scalar(select(App).where(App.id == DEMO_APP_ID))
            if app is None:
                session.add(App(id=DEMO_APP_ID, name="Ledgerly (demo)", public_key=DEMO_PUBLIC_KEY,
                                guides_version=0, throttle_seconds=86400))
                await session.flush()
                lines.append("created the demo app")
            digest = hash_secret(DEMO_SECRET_KEY)
            if await session.scalar(select(SecretKey.id).where(SecretKey.key_hash == digest)) is None:
                session.add(SecretKey(app_id=DEMO_APP_ID, prefix=DEMO_SECRET_KEY[:10], key_hash=digest))
            results = await publish(session, DEMO_APP_ID, items_from_loaded(loaded), publish_hooks())
            budget = await apply_demo_budget(session, DEMO_APP_ID)
            defined = await push_definitions(session, DEMO_APP_ID, definitions, prune=False) if definitions else []
            await session.commit()
    finally:
        await engine.dispose()
    for r in results:
        lines.append(f"  {r.id}: v{r.version}{'' if r.changed else ' (unchanged)'}")
    if defined:
        lines += ["demo pages and features:", *(f"  {line}" for line in defined)]
    lines.append("policies: ?visitor=pat accepts the app's terms of use, then Umbrella's own data rules")
    lines.append("surveys: ?visitor=nina gets an NPS survey on /demo/invoices, then polls in a walkthrough on "
                 "/demo/settings (reports: /api/v1/reports/nps?guide=nps-survey, …/polls?guide=settings-poll)")
    lines.append(budget)
    lines.append(f"demo app public key: {DEMO_PUBLIC_KEY}")
    lines.append(f"demo app secret key: {DEMO_SECRET_KEY}")
    return "\n".join(["demo guides published:", *lines])


async def seed_demo_events(settings: Settings, count: int, on_progress: Callable[[int], None], days: int = 90) -> str:
    """Add ``count`` synthetic events of the demo's tenants over the last ``days`` days, roll-ups included.

    SQLite: the bulk path (``executemany`` in large transactions, same roll-up code as ingestion), its
    events generated in a second process, so memory stays flat whatever ``count`` is.
    PostgreSQL: the real write path, a thousand events per transaction.
    """
    make = functools.partial(demo_events, count, days=days, id_prefix=f"demo-{new_secret_key()[3:15]}")
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        # a second process generates and counts the next batch while this one writes it
        stored = await asyncio.to_thread(bulk_load_sqlite, url.database, DEMO_APP_ID, make, batch=50_000,
                                         on_batch=on_progress, parallel=True)
        return f"{stored} synthetic events stored (bulk path)"
    events = make()
    engine = create_engine(settings.database_url)
    stored = 0
    try:
        maker = make_sessionmaker(engine)
        while batch := [to_event(e) for e in islice(events, 1000)]:
            async with maker() as session:
                written, _ = await write_events(session, DEMO_APP_ID, batch, throttled=lambda _: True,
                                                snooze_days=lambda _: 1, projections=registered_projections())
                await session.commit()
            stored += written
            on_progress(len(batch))
    finally:
        await engine.dispose()
    return f"{stored} synthetic events stored"
