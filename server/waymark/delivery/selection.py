"""Which guides to send one visitor on one page, and which of them start by themselves (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import msgspec

from waymark.delivery.snapshot import Snapshot
from waymark.guides.compiler import CompiledGuide
from waymark.guides.frequency import GuideState, may_auto_show, throttle_allows
from waymark.guides.targeting import UrlParts, schedule_allows

__all__ = ["VisitorContext", "render_delivery"]

_NEW = GuideState()


class VisitorContext(msgspec.Struct):
    """Who is asking: ids, metadata for segments, locale, and their stored guide state."""

    visitor: Mapping[str, Any]
    tenant: Mapping[str, Any]
    locale: str | None
    states: Mapping[str, GuideState]
    last_auto_at: datetime | None


def _resumable(guide: CompiledGuide, state: GuideState) -> bool:
    """A walkthrough shown and neither closed nor completed picks up where the visitor was."""
    if state.status == "in_progress":
        return True
    return state.status == "seen" and guide.kind == "walkthrough" and len(guide.definition.steps) > 1


def render_delivery(snapshot: Snapshot, ctx: VisitorContext, url: UrlParts, now: datetime) -> bytes:
    """The delivery answer as JSON bytes (see docs/CONTRACT.md).

    Listed: every guide this visitor may see on this page (segment, schedule,
    locale, page), guides started from the JS API whatever the page, and walkthroughs
    to resume, so that click and API activation work; ``auto`` marks those that
    start now. The
    throttle lets one automatic guide a visitor per interval, not counting guides
    that ignore it; a walkthrough being resumed takes the slot and is never
    throttled itself.
    """
    interval = timedelta(seconds=snapshot.throttle_seconds)
    eligible: list[tuple[CompiledGuide, GuideState]] = []
    for guide in snapshot.guides:
        state = ctx.states.get(guide.id, _NEW)
        resumable = _resumable(guide, state)
        # Only what this page can show: the widget asks again on every route change.
        if not resumable and guide.mode != "api" and not guide.on_start_page(url):
            continue
        if not guide.allows_locale(ctx.locale):
            continue
        if (guide.schedule_start or guide.schedule_end) and not schedule_allows(
            guide.schedule_start, guide.schedule_end, now
        ):
            continue
        if guide.segment is not None and not guide.segment(ctx.visitor, ctx.tenant):
            continue
        eligible.append((guide, state))

    resuming = any(_resumable(g, s) for g, s in eligible)
    slot_free = not resuming and throttle_allows(ctx.last_auto_at, now, interval)
    parts: list[bytes] = []
    for guide, state in eligible:
        auto = False
        status, step = state.status, state.step
        if _resumable(guide, state):
            auto, status = True, "in_progress"
        elif guide.mode == "automatic" and may_auto_show(
            guide.frequency_mode, guide.frequency_days, state, now
        ):
            if guide.ignore_throttle:
                auto = True
            elif slot_free:
                auto, slot_free = True, False
        parts.append(
            guide.encoded(ctx.locale)
            + b',"auto":' + (b"true" if auto else b"false")
            + b',"state":{"status":"' + status.encode() + b'","step":' + str(step).encode() + b"}}"
        )
    return (
        b'{"app_version":' + str(snapshot.version).encode()
        + b',"throttle_ms":' + str(snapshot.throttle_seconds * 1000).encode()
        + b',"guides":[' + b",".join(parts) + b"]}"
    )
