"""Recounting the guide figures of an app from its stored events (after a bulk load, or as a repair)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.db.models import Event
from waymark.guidestats.fold import COUNTED, GuideFold
from waymark.guidestats.models import GuideDailyStat, GuideRun
from waymark.guidestats.sketch_store import rebuild_sketches
from waymark.guidestats.store import add_rows, save_runs

__all__ = ["rebuild_guide_stats"]

_CHUNK = 5000
_FLUSH_ROWS = 20_000


async def rebuild_guide_stats(session: AsyncSession, app_id: str) -> int:
    """Delete the app's figures and fold every stored guide event again, in time order; returns events read.

    Runs in the caller's transaction; call it while nothing else ingests for the app (the bulk
    loader's case), or ingests in between are counted twice.
    """
    for model in (GuideDailyStat, GuideRun):
        await session.execute(delete(model).where(model.app_id == app_id))
    query = (
        select(Event.id, Event.type, Event.guide_id, Event.visitor_id, Event.tenant_id, Event.step, Event.ts)
        .where(Event.app_id == app_id, Event.type.in_(sorted(COUNTED)), Event.guide_id.is_not(None))
        .order_by(Event.ts, Event.id).limit(_CHUNK)
    )
    fold = GuideFold()
    read = 0
    after: tuple[datetime, int] | None = None
    while True:
        page = query if after is None else query.where(tuple_(Event.ts, Event.id) > tuple_(*after))
        rows = (await session.execute(page)).all()
        if not rows:
            break
        for row in rows:
            moment = as_utc(row.ts)
            fold.event(row.type, row.guide_id, moment.date(), row.tenant_id, row.visitor_id, row.step, moment)
        read += len(rows)
        after = (rows[-1].ts, rows[-1].id)
        if len(fold.rows) >= _FLUSH_ROWS:
            await add_rows(session, app_id, fold.rows)
            fold.rows.clear()
    await add_rows(session, app_id, fold.rows)
    await save_runs(session, app_id, fold, {})
    await rebuild_sketches(session, app_id)
    return read
