"""The pipeline end to end for one batch, shared by the widget endpoint and the Segment API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec
from litestar.datastructures import State

from waymark.delivery.snapshot import SnapshotStore
from waymark.events.pipeline import judge, prepare
from waymark.events.schemas import AnyEvent, IngestResult, Rejected
from waymark.events.services import write_events

__all__ = ["ingest", "ingest_events"]


async def ingest(
    state: State, app_id: str, raws: Sequence[tuple[int, msgspec.Raw | bytes]], sent_at: datetime | None,
    received_at: datetime,
) -> IngestResult:
    """Judge raw events one by one, then enrich, filter and write the good ones."""
    return await ingest_events(state, app_id, [(i, judge(i, raw)) for i, raw in raws], sent_at, received_at)


async def ingest_events(
    state: State, app_id: str, judged: Sequence[tuple[int, AnyEvent | Rejected]], sent_at: datetime | None,
    received_at: datetime,
) -> IngestResult:
    snapshots: SnapshotStore = state.snapshots
    snapshot = await snapshots.get(app_id)
    async with state.sessionmaker() as session:
        prepared = await prepare(session, app_id, judged, sent_at, received_at)
        stored, duplicates = await write_events(
            session, app_id, prepared.events, throttled=snapshot.counts_for_throttle,
            snooze_days=snapshot.snooze_days,
        )
        await session.commit()
    rejected = sorted(prepared.rejected, key=lambda r: r.index)
    return IngestResult(accepted=stored, duplicates=duplicates, rejected=rejected)
