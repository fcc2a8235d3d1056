"""Which guides to send one visitor on one page, which start by themselves, and why the others do not (no I/O).

Delivery and the explainer (:mod:`waymark.delivery.explain`) both call :func:`select_guides`:
the explainer passes a :class:`Trace`, which records the outcome of every guide considered.
Without one (delivery) nothing is recorded and no explanation is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import NamedTuple

import msgspec

from waymark.clock import as_utc
from waymark.delivery.snapshot import Snapshot
from waymark.delivery.state_reader import NO_HISTORY, AutoHistory
from waymark.delivery.strings import strings_json
from waymark.guides.compiler import CompiledGuide
from waymark.guides.frequency import GuideState, may_auto_show, throttle_allows
from waymark.guides.sampling import in_sample
from waymark.guides.targeting import schedule_allows

__all__ = [
    "Offer",
    "Outcome",
    "Selection",
    "Trace",
    "VisitorContext",
    "holdout_unit",
    "render_delivery",
    "select_guides",
]

_NEW = GuideState()
_SHOWN_WHEN_OPTED_OUT = frozenset({"policy"})
"""Consent is not analytics: a policy prompt reaches tenants that stopped collection."""


class VisitorContext(msgspec.Struct):
    """Who is asking: what segments admit them, tenant, locale, and their stored guide state."""

    audience: frozenset[str]
    """The guides whose locale and segment rules admit this visitor (see ``Snapshot.audience``)."""
    tenant_id: str | None
    locale: str | None
    states: Mapping[str, GuideState]
    history: AutoHistory = NO_HISTORY
    visitor_id: str = ""


Offer = tuple[CompiledGuide, bool, str, int]
"""One guide of the answer: the guide, whether it starts now, and the status and step the widget resumes from."""


class Outcome(NamedTuple):
    """What selection decided for one guide, in the explainer's words (see waymark.delivery.explain)."""

    code: str
    until: datetime | None = None
    by: str | None = None
    detail: str | None = None


class Trace:
    """Asks :func:`select_guides` to record an :class:`Outcome` per guide it considers (the explainer's view)."""

    __slots__ = ("outcomes",)

    def __init__(self) -> None:
        self.outcomes: dict[str, Outcome] = {}


class Selection(NamedTuple):
    offers: list[Offer]
    held_out: list[CompiledGuide]
    """Eligible guides this visitor is held out of: recorded once (see waymark.holdouts)."""


def _resumable(guide: CompiledGuide, state: GuideState) -> bool:
    """A walkthrough shown and neither closed nor completed picks up where the visitor was."""
    if state.status == "in_progress":
        return True
    return state.status == "seen" and guide.kind == "walkthrough" and len(guide.definition.steps) > 1


def holdout_unit(guide: CompiledGuide, visitor_id: str, tenant_id: str | None) -> str | None:
    """The id the holdout is drawn for (visitor, or tenant when the guide holds out tenants), if it holds out."""
    if guide.holdout is None:
        return None
    by_tenant = guide.holdout[1]
    return f"tenant:{tenant_id}" if by_tenant and tenant_id else f"visitor:{visitor_id}"


def _held_out(guide: CompiledGuide, visitor_id: str, tenant_id: str | None) -> bool:
    unit = holdout_unit(guide, visitor_id, tenant_id)
    return unit is not None and guide.holdout is not None and in_sample(f"holdout:{guide.id}", unit, guide.holdout[0])


def _frequency_outcome(guide: CompiledGuide, state: GuideState, now: datetime, visitor_id: str) -> Outcome:
    """Why ``may_auto_show`` (or a survey's ``may_ask``) said no, in their own order: snooze, completion, frequency."""
    if state.snoozed_until is not None and as_utc(state.snoozed_until) > now:
        return Outcome("snoozed", until=as_utc(state.snoozed_until))
    survey = guide.survey
    if survey is not None:
        if state.completed_at is not None and as_utc(state.completed_at) + survey.resurvey > now:
            return Outcome("already_completed", until=as_utc(state.completed_at) + survey.resurvey,
                           detail="answered; asks again after the re-survey interval")
        if state.status in ("seen", "dismissed") and state.last_seen_at is not None:
            return Outcome("frequency", until=as_utc(state.last_seen_at) + survey.snooze,
                           detail="not answered; asks again after the snooze interval")
        return Outcome("frequency", until=survey.turn(visitor_id), detail="spread: this visitor's turn comes later")
    if state.status == "completed" or (guide.frequency_mode == "until_completed" and state.completed_at is not None):
        return Outcome("already_completed")
    if guide.frequency_mode == "every" and state.last_seen_at is not None:
        wait = timedelta(days=max(guide.frequency_days or 1, 1))
        return Outcome("frequency", until=as_utc(state.last_seen_at) + wait, detail=f"every {wait.days} day(s)")
    return Outcome("frequency", detail=f"frequency {guide.frequency_mode}: already {state.status}")


def _day_of(now: datetime) -> datetime:
    return datetime(now.year, now.month, now.day, tzinfo=UTC)


def _spent_today(history: AutoHistory, now: datetime) -> int:
    return history.shown if history.day is not None and as_utc(history.day) == _day_of(now) else 0


def _budget_allows(interval: int, cap: int, history: AutoHistory, now: datetime) -> bool:
    """Whether the budget lets one more automatic guide start now (``interval`` in seconds; ``cap`` 0: none)."""
    if history.last_at is None:  # never shown one: nothing spent
        return True
    if cap and _spent_today(history, now) >= cap:
        return False
    return throttle_allows(history.last_at, now, timedelta(seconds=interval))


def _budget_outcome(guide: CompiledGuide, interval: int, cap: int, history: AutoHistory, now: datetime) -> Outcome:
    """Why ``_budget_allows`` said no, with when it will say yes and which guide used the budget."""
    assert history.last_at is not None
    if cap and _spent_today(history, now) >= cap:
        return Outcome("throttled", until=_day_of(now) + timedelta(days=1), by=history.last_guide,
                       detail=f"daily maximum of {cap} automatic guide(s) reached")
    own = interval if guide.throttle_seconds is None else guide.throttle_seconds
    return Outcome("throttled", until=as_utc(history.last_at) + timedelta(seconds=own), by=history.last_guide,
                   detail=f"one automatic guide per {own} s")


def select_guides(
    snapshot: Snapshot, ctx: VisitorContext, url: str, now: datetime, trace: Trace | None = None
) -> Selection:
    """The guides this visitor may get on this page, in priority order, with those that start now.

    Listed: every guide this visitor may see on this page (page, locale, segment, schedule,
    tenant privacy, sample, holdout), guides started from the JS API whatever the page, and
    walkthroughs to resume, so that click and API activation work. Among them, ``auto`` marks
    what starts now: a walkthrough being resumed, then automatic guides whose frequency allows,
    within the attention budget. The budget lets one automatic guide start per answer and per
    interval (the app's, or the guide's own), and at most the app's daily maximum per UTC day;
    the highest priority gets the slot. Guides that ignore the budget neither use nor wait for
    it; a walkthrough being resumed takes the slot and is never held back itself.
    """
    profile = snapshot.profile
    states = ctx.states
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
    gated = snapshot.gated
    opted_out = ctx.tenant_id is not None and ctx.tenant_id in profile.opted_out_tenants
    listed: list[tuple[CompiledGuide, GuideState, bool]] = []
    held_out: list[CompiledGuide] = []
    taken_by: str | None = None
    for guide in candidates:
        if guide.id not in audience:
            if trace is not None:
                trace.outcomes[guide.id] = Outcome("audience")
            continue
        if (guide.schedule_start or guide.schedule_end) and not schedule_allows(
            guide.schedule_start, guide.schedule_end, now
        ):
            if trace is not None:
                trace.outcomes[guide.id] = Outcome("outside_schedule")
            continue
        if opted_out and guide.kind not in _SHOWN_WHEN_OPTED_OUT:
            if trace is not None:
                trace.outcomes[guide.id] = Outcome("opted_out", detail=f"tenant {ctx.tenant_id} stopped collection")
            continue
        if gated and guide.id in gated:
            if guide.holdout is not None and _held_out(guide, ctx.visitor_id, ctx.tenant_id):
                held_out.append(guide)
                if trace is not None:
                    trace.outcomes[guide.id] = Outcome("holdout",
                                                       detail=holdout_unit(guide, ctx.visitor_id, ctx.tenant_id))
                continue
            if guide.survey is not None and not guide.survey.sampled(ctx.visitor_id):
                if trace is not None:
                    trace.outcomes[guide.id] = Outcome("sampled_out", detail=f"sample share {guide.survey.sample}")
                continue
        state = states.get(guide.id, _NEW)
        resumable = state is not _NEW and _resumable(guide, state)
        listed.append((guide, state, resumable))
        if resumable and taken_by is None:
            taken_by = guide.id

    history = ctx.history
    app_gate: bool | None = None  # whether the app's interval and daily maximum allow a start: asked once, if at all
    offers: list[Offer] = []
    for guide, state, resumable in listed:
        auto = False
        status = state.status
        outcome: Outcome | None = None
        if resumable:
            auto, status = True, "in_progress"
        elif guide.mode != "automatic":
            if trace is not None:
                outcome = Outcome("not_automatic", detail=f"starts on {guide.mode}")
        elif not (may_auto_show(guide.frequency_mode, guide.frequency_days, state, now) if guide.survey is None
                  else guide.survey.may_ask(ctx.visitor_id, state, now)):
            if trace is not None:
                outcome = _frequency_outcome(guide, state, as_utc(now), ctx.visitor_id)
        elif guide.ignore_throttle:
            auto = True
        elif taken_by is not None:
            if trace is not None:
                outcome = Outcome("throttled", by=taken_by, detail="another guide takes this page view's slot")
        else:
            if guide.throttle_seconds is None:
                if app_gate is None:
                    app_gate = _budget_allows(profile.throttle_seconds, profile.max_auto_per_day, history, now)
                allowed = app_gate
            else:
                allowed = _budget_allows(guide.throttle_seconds, profile.max_auto_per_day, history, now)
            if allowed:
                auto, taken_by = True, guide.id
            elif trace is not None:
                outcome = _budget_outcome(guide, profile.throttle_seconds, profile.max_auto_per_day, history, now)
        if trace is not None:
            trace.outcomes[guide.id] = outcome or Outcome("resumes" if resumable else "starts" if auto else "listed")
        offers.append((guide, auto, status, state.step))
    return Selection(offers, held_out)


_BOOL = {True: b"true", False: b"false"}


@cache
def _tail(auto: bool, status: str, step: int) -> bytes:
    """The per-visitor end of a guide's JSON; few distinct values, so built once each."""
    return b',"auto":%s,"state":{"status":"%s","step":%d}}' % (b"true" if auto else b"false", status.encode(), step)


def render_delivery(snapshot: Snapshot, ctx: VisitorContext, selection: Selection) -> bytes:
    """The delivery answer as JSON bytes (see docs/CONTRACT.md).

    Built by joining pre-encoded pieces once: this runs for every page view.
    """
    profile = snapshot.profile
    opted_out = ctx.tenant_id in profile.opted_out_tenants
    locale = ctx.locale
    out = [
        b'{"app_version":%d,"throttle_ms":%d,"privacy":{"opted_out":%s,"honor_dnt":%s},%s"guides":['
        % (snapshot.version, profile.throttle_seconds * 1000, _BOOL[opted_out], _BOOL[profile.honor_dnt],
           strings_json(locale))
    ]
    for guide, auto, status, step in selection.offers:
        if len(out) > 1:
            out.append(b",")
        out.append(guide.encoded(locale))
        out.append(_tail(auto, status, step))
    out.append(b"]}")
    return b"".join(out)

