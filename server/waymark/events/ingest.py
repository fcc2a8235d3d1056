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
from waymark.identity.verify import IdentityRefused, verify_identity

__all__ = ["ingest", "ingest_events"]


async def ingest(
    state: State, app_id: str, raws: Sequence[tuple[int, msgspec.Raw | bytes]], sent_at: datetime | None,
    received_at: datetime, identity: str | None = None, do_not_track: bool = False,
) -> IngestResult:
    """Judge raw events one by one, then check identity, enrich, filter and write the good ones."""
    judged = [(i, judge(i, raw)) for i, raw in raws]
    snapshots: SnapshotStore = state.snapshots
    snapshot = await snapshots.get(app_id)
    if do_not_track and snapshot.honor_dnt:
        return IngestResult(accepted=0, duplicates=0, rejected=[
            Rejected(index=i, id=None if isinstance(ev, Rejected) else ev.id,
                     reason="the browser asks not to be tracked (Do Not Track) and this app honours it")
            for i, ev in judged
        ])
    if snapshot.require_identity:
        judged = [(i, _verified(i, ev, identity, snapshot.identity_secrets)) for i, ev in judged]
    return await ingest_events(state, app_id, judged, sent_at, received_at)


def _verified(index: int, ev: AnyEvent | Rejected, token: str | None, secrets: tuple[str, ...]) -> AnyEvent | Rejected:
    if isinstance(ev, Rejected):
        return ev
    try:
        verify_identity(token, secrets, ev.visitor, ev.tenant)
    except IdentityRefused as exc:
        return Rejected(index=index, id=ev.id, reason=str(exc))
    return ev


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
