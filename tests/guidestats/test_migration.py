"""Migration 0011 fills the guide figures from the guide events an install already stored (and the upgrade's
back-fill their day sketches)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import insert

from tests.guidestats.helpers import report
from waymark.db.engine import create_engine
from waymark.db.migrate import alembic_config
from waymark.db.models import App, Event
from waymark.settings import Settings
from waymark.upgrade.run import upgrade


async def _store_events(url: str) -> None:
    engine = create_engine(url)
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    rows = [("ana", "guide_seen", 0, 0), ("ana", "guide_step_advanced", 1, 5), ("ana", "guide_completed", 1, 9),
            ("ben", "guide_seen", 0, 0), ("ben", "guide_dismissed", 0, 2), ("cy", "guide_anchor_missing", 0, 0),
            ("cy", "page", None, 1)]
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(App), [{"id": "old", "name": "Old", "public_key": "pk_old", "guides_version": 0,
                                              "throttle_seconds": 0, "created_at": now}])
            await conn.execute(insert(Event), [
                {"app_id": "old", "event_id": f"e{i}", "type": kind, "visitor_id": visitor, "tenant_id": "acme",
                 "guide_id": "tour" if kind != "page" else None, "step": step, "url": "https://h/",
                 "ts": now + timedelta(seconds=s), "received_at": now, "props": {}}
                for i, (visitor, kind, step, s) in enumerate(rows)
            ])
    finally:
        await engine.dispose()


async def test_upgrading_counts_the_guide_events_already_stored(settings: Settings) -> None:
    url = settings.database_url
    await asyncio.to_thread(command.downgrade, alembic_config(url), "0010")
    try:
        await _store_events(url)
    finally:
        await asyncio.to_thread(upgrade, url)
    found = await report(settings, "old")
    assert (found.views, found.visitors, found.completed, found.dismissed, found.anchor_missing) == (2, 2, 1, 1, 1)
    assert [s.visitors for s in found.steps] == [2, 1]
    assert found.timed == 0  # a showing's start is not known from before the upgrade
