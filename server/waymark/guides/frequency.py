"""Pure per-visitor guide state: frequency, snooze and throttle decisions, event folding."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import msgspec
from msgspec import Struct

from waymark.clock import as_utc

__all__ = [
    "GUIDE_EVENT_TYPES",
    "FrequencyMode",
    "GuideState",
    "Status",
    "apply_event",
    "may_auto_show",
    "throttle_allows",
]

Status = Literal["new", "in_progress", "seen", "completed", "dismissed", "snoozed"]
FrequencyMode = Literal["once", "until_completed", "every"]

GUIDE_EVENT_TYPES = frozenset(
    {
        "guide_seen",
        "guide_step_advanced",
        "guide_dismissed",
        "guide_completed",
        "guide_snoozed",
        "guide_anchor_missing",
    }
)


class GuideState(Struct, kw_only=True):
    """What one visitor has done with one guide."""

    status: Status = "new"
    step: int = 0
    """The 0-based step to resume at."""
    last_seen_at: datetime | None = None
    snoozed_until: datetime | None = None
    completed_at: datetime | None = None


def may_auto_show(frequency_mode: str, days: int | None, state: GuideState, now: datetime) -> bool:
    """May this guide start by itself for this visitor now (ignoring page, segment and throttle)?

    A snooze that has not run out blocks; an `in_progress` guide always resumes.
    Otherwise, by frequency mode: `once` shows while the guide is new (or its
    snooze has run out); `until_completed` until it is completed; `every` when
    it is new or was last seen at least `days` days ago.
    """
    now = as_utc(now)
    if state.snoozed_until is not None and as_utc(state.snoozed_until) > now:
        return False
    status = state.status
    if status == "in_progress":
        return True
    if frequency_mode == "once":
        return status in ("new", "snoozed")
    if frequency_mode == "until_completed":
        return status != "completed" and state.completed_at is None
    if frequency_mode == "every":
        if status in ("new", "snoozed") or state.last_seen_at is None:
            return True
        return as_utc(state.last_seen_at) + timedelta(days=max(days or 1, 1)) <= now
    raise ValueError(f"unknown frequency mode {frequency_mode!r}")


def throttle_allows(last_auto_at: datetime | None, now: datetime, interval: timedelta) -> bool:
    """True when no guide started by itself within `interval` before `now`."""
    return last_auto_at is None or as_utc(now) - as_utc(last_auto_at) >= interval


def apply_event(
    state: GuideState, event_type: str, step: int, now: datetime, snooze_days: int | None = None
) -> GuideState:
    """The state after a guide event (a new object; `state` is not changed).

    - `guide_seen`: `seen` (an `in_progress` guide that resumes stays so); step = first shown step.
    - `guide_step_advanced`: `in_progress` at the new step.
    - `guide_dismissed` / `guide_completed`: closed at `step`; completed records `completed_at`.
    - `guide_snoozed`: `snoozed` until `now + snooze_days` (1 day if not given), resumes at `step`.
    - `guide_anchor_missing` and any other type: unchanged (skipped for now).

    Showing, advancing, closing or completing a guide ends any snooze.
    """
    now = as_utc(now)
    if event_type == "guide_seen":
        status: Status = "in_progress" if state.status == "in_progress" else "seen"
        return msgspec.structs.replace(state, status=status, step=step, last_seen_at=now, snoozed_until=None)
    if event_type == "guide_step_advanced":
        return msgspec.structs.replace(state, status="in_progress", step=step, last_seen_at=now, snoozed_until=None)
    if event_type == "guide_dismissed":
        return msgspec.structs.replace(state, status="dismissed", step=step, last_seen_at=now, snoozed_until=None)
    if event_type == "guide_completed":
        return msgspec.structs.replace(
            state, status="completed", step=step, last_seen_at=now, snoozed_until=None, completed_at=now
        )
    if event_type == "guide_snoozed":
        until = now + timedelta(days=max(snooze_days or 1, 1))
        return msgspec.structs.replace(state, status="snoozed", step=step, last_seen_at=now, snoozed_until=until)
    return state
