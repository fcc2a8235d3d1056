"""Which guides to send one visitor on one page, and which of them start by themselves (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import cache

import msgspec

from waymark.delivery.snapshot import Snapshot
from waymark.guides.compiler import CompiledGuide
from waymark.guides.frequency import GuideState, may_auto_show, throttle_allows
from waymark.guides.targeting import schedule_allows

__all__ = ["VisitorContext", "render_delivery"]

_NEW = GuideState()


class VisitorContext(msgspec.Struct):
    """Who is asking: what segments admit them, tenant, locale, and their stored guide state."""

    audience: frozenset[str]
    """The guides whose locale and segment rules admit this visitor (see ``Snapshot.audience``)."""
    tenant_id: str | None
    locale: str | None
    states: Mapping[str, GuideState]
    last_auto_at: datetime | None


def _resumable(guide: CompiledGuide, state: GuideState) -> bool:
    """A walkthrough shown and neither closed nor completed picks up where the visitor was."""
    if state.status == "in_progress":
        return True
    return state.status == "seen" and guide.kind == "walkthrough" and len(guide.definition.steps) > 1


_BOOL = {True: b"true", False: b"false"}


@cache
def _tail(auto: bool, status: str, step: int) -> bytes:
    """The per-visitor end of a guide's JSON; few distinct values, so built once each."""
    return b',"auto":%s,"state":{"status":"%s","step":%d}}' % (b"true" if auto else b"false", status.encode(), step)


def render_delivery(snapshot: Snapshot, ctx: VisitorContext, url: str, now: datetime) -> bytes:
    """The delivery answer as JSON bytes (see docs/CONTRACT.md).

    Listed: every guide this visitor may see on this page (segment, schedule,
    locale, page), guides started from the JS API whatever the page, and
    walkthroughs to resume, so that click and API activation work; ``auto`` marks
    those that start now. The throttle lets one automatic guide a visitor per
    interval, not counting guides that ignore it; a walkthrough being resumed takes
    the slot and is never throttled itself.

    Built by joining pre-encoded pieces once: this runs for every page view.
    """
    states, locale = ctx.states, ctx.locale
    eligible: list[tuple[CompiledGuide, GuideState, bool]] = []
    resuming = False
    # Only what this page can show (the widget asks again on every route change), and
    # walkthroughs to resume wherever the visitor is.
    candidates = snapshot.on_page(url)  # already in priority order
    elsewhere = [
        g for gid, st in states.items() if (g := snapshot.by_id.get(gid)) is not None and _resumable(g, st)
    ]
    if elsewhere:
        order = snapshot.order
        merged = {g.id: g for g in candidates}
        merged.update((g.id, g) for g in elsewhere)
        candidates = sorted(merged.values(), key=lambda g: order[g.id])
    audience = ctx.audience
    for guide in candidates:
        if guide.id not in audience:
            continue
        if (guide.schedule_start or guide.schedule_end) and not schedule_allows(
            guide.schedule_start, guide.schedule_end, now
        ):
            continue
        state = states.get(guide.id, _NEW)
        resumable = state is not _NEW and _resumable(guide, state)
        eligible.append((guide, state, resumable))
        resuming = resuming or resumable

    slot_free = not resuming and throttle_allows(
        ctx.last_auto_at, now, timedelta(seconds=snapshot.throttle_seconds)
    )
    opted_out = ctx.tenant_id in snapshot.opted_out_tenants
    out = [
        b'{"app_version":%d,"throttle_ms":%d,"privacy":{"opted_out":%s,"honor_dnt":%s},"guides":['
        % (snapshot.version, snapshot.throttle_seconds * 1000, _BOOL[opted_out], _BOOL[snapshot.honor_dnt])
    ]
    for guide, state, resumable in eligible:
        auto = False
        status = state.status
        if resumable:
            auto, status = True, "in_progress"
        elif guide.mode == "automatic" and may_auto_show(guide.frequency_mode, guide.frequency_days, state, now):
            if guide.ignore_throttle:
                auto = True
            elif slot_free:
                auto, slot_free = True, False
        if len(out) > 1:
            out.append(b",")
        out.append(guide.encoded(locale))
        out.append(_tail(auto, status, state.step))
    out.append(b"]}")
    return b"".join(out)
