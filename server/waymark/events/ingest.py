"""The pipeline end to end for one batch, shared by the widget endpoint and the Segment API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec
from litestar.datastructures import State

from waymark.events.blocking import drop_blocked
from waymark.events.group_commit import GroupCommitter, Job
from waymark.events.pipeline import correct_clock, judge
from waymark.events.schemas import MAX_BATCH_EVENTS, AnyEvent, IngestResult, PageEvent, Rejected
from waymark.identity.verify import IdentityRefused, verify_identity
from waymark.runtime.profile import ProfileSource, RuntimeProfile

__all__ = ["ingest", "ingest_events"]


async def ingest(
    state: State, app_id: str, raws: Sequence[tuple[int, msgspec.Raw | bytes]], sent_at: datetime | None,
    received_at: datetime, identity: str | None = None, do_not_track: bool = False,
    client: tuple[str | None, str | None] = (None, None),
) -> IngestResult:
    """Judge raw events one by one, then check identity, enrich, filter and write the good ones.

    ``client`` (browser, language) of the request fills the page views that do not say theirs.
    """
    judged = [(i, _with_client(judge(i, raw), client)) for i, raw in raws]
    profiles: ProfileSource = state.profiles
    profile = await profiles.profile(app_id)
    if do_not_track and profile.honor_dnt:
        return IngestResult(accepted=0, duplicates=0, rejected=[
            Rejected(index=i, id=None if isinstance(ev, Rejected) else ev.id,
                     reason="the browser asks not to be tracked (Do Not Track) and this app honours it")
            for i, ev in judged
        ])
    if profile.require_identity:
        judged = [(i, _verified(i, ev, identity, profile.identity_secrets)) for i, ev in judged]
    return await ingest_events(state, profile, judged, sent_at, received_at)


def _with_client(ev: AnyEvent | Rejected, client: tuple[str | None, str | None]) -> AnyEvent | Rejected:
    if not isinstance(ev, PageEvent) or ((ev.browser or not client[0]) and (ev.language or not client[1])):
        return ev
    return msgspec.structs.replace(ev, browser=ev.browser or client[0], language=ev.language or client[1])


def _verified(index: int, ev: AnyEvent | Rejected, token: str | None, secrets: tuple[str, ...]) -> AnyEvent | Rejected:
    if isinstance(ev, Rejected):
        return ev
    try:
        verify_identity(token, secrets, ev.visitor, ev.tenant)
    except IdentityRefused as exc:
        return Rejected(index=index, id=ev.id, reason=str(exc))
    return ev


async def ingest_events(
    state: State, profile: RuntimeProfile, judged: Sequence[tuple[int, AnyEvent | Rejected]], sent_at: datetime | None,
    received_at: datetime,
) -> IngestResult:
    """Correct each event's clock, enforce the batch limit, drop blocked event names, and hand the batch to the
    group committer."""
    ready: list[tuple[int, AnyEvent | Rejected]] = []
    kept = 0
    for index, ev in judged:
        if isinstance(ev, Rejected):
            ready.append((index, ev))
        elif kept >= MAX_BATCH_EVENTS:
            ready.append((index, Rejected(index=index, id=ev.id,
                                          reason=f"more than {MAX_BATCH_EVENTS} events in one batch")))
        else:
            kept += 1
            ready.append((index, msgspec.structs.replace(ev, ts=correct_clock(ev.ts, sent_at, received_at))))
    ready, blocked = drop_blocked(ready, profile.blocked_events)
    committer: GroupCommitter = state.group_committer
    return await committer.submit(Job(app_id=profile.app_id, judged=ready, throttled=profile.counts_for_throttle,
                                      snooze_days=profile.snooze_days, blocked=blocked))
