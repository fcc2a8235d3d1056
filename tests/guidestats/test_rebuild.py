"""Guide figures from the other two paths: a recount from stored events, and the bulk loader, match ingestion's."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from litestar.testing import AsyncTestClient

from tests.guidestats.helpers import TOUR, report, send
from tests.guidestats.test_projection import _story
from tests.support import make_app, push
from waymark.analytics.bulk import bulk_load_sqlite
from waymark.analytics.bulk_event import BulkEvent
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.guidestats.rebuild import rebuild_guide_stats
from waymark.settings import Settings


async def test_a_recount_gives_the_figures_ingestion_kept(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    assert (await push(client, app.secret_key, {"tour.yaml": TOUR})).status_code == 200
    story = _story()
    await send(client, app.public_key, story[:5])  # ana's and ben's first events: showings left open
    await send(client, app.public_key, story[5:])
    kept = await report(settings, app.id)
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            assert await rebuild_guide_stats(session, app.id) == len(story)
            await session.commit()
    finally:
        await engine.dispose()
    assert await report(settings, app.id) == kept


async def test_the_bulk_loader_counts_guide_views(tmp_path: Path, sqlite_template: Path) -> None:
    """SQLite only: the bulk loader writes SQLite files (PostgreSQL loads through ingestion)."""
    path = tmp_path / "bulk.db"
    shutil.copy(sqlite_template, path)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}")
    app = await make_app(settings)
    now = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)

    def seen(n: int, visitor: str, tenant: str) -> BulkEvent:
        return BulkEvent(f"b{n}", "guide_seen", now + timedelta(seconds=n), visitor, tenant, "https://h/",
                         guide="tour")

    events = [seen(1, "ana", "acme"), seen(2, "ana", "acme"), seen(3, "ben", "acme"), seen(4, "cy", "globex"),
              BulkEvent("b5", "page", now, "cy", "globex", "https://h/")]
    assert bulk_load_sqlite(str(path), app.id, events, batch=2) == 5
    found = await report(settings, app.id)
    assert (found.views, found.visitors, found.completed) == (4, 3, 0)
    assert [s.visitors for s in found.steps] == [3]
    assert (await report(settings, app.id, tenant="globex")).visitors == 1
