"""The demo's synthetic history, planned without I/O: each visitor's days of use, guides, answers and decisions.

Events are what the widget would have sent, with fixed ids: a day's usage is keyed by its date and
everything a visitor does once (a tour, an answer, a decision) by the visitor, so planning again,
even on a later day, plans no event twice. Each (visitor, day) draws from its own generator.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from waymark.events.schemas import AnyEvent, GroupEvent, IdentifyEvent
from waymark_demo.guide_flows import GuideFlows, Held, PolicyRule
from waymark_demo.population import (
    TENANTS,
    DemoVisitor,
    tenant_traits,
    visitor_traits,
    visitors_of,
)
from waymark_demo.sessions import Habits, session_events

__all__ = ["HISTORY_DAYS", "Decision", "Held", "Plan", "PolicyRule", "plan_history"]

HISTORY_DAYS = 42
"""Six weeks: every report's default range (the last 30 days) is full, and a trend shows."""


class Decision(NamedTuple):
    """A policy decision made in a visitor's session, recorded later through the policy decision service."""

    request_id: str
    when: datetime
    tenant: str
    visitor: str
    locale: str
    policy: str
    decision: str
    url: str


class Plan(NamedTuple):
    events: list[AnyEvent]
    """In time order."""
    decisions: list[Decision]
    """In time order."""
    held: list[Held]
    """Visitors held out of a guide, in time order."""


def _engagement(visitor: DemoVisitor, day: date, index: int, days: int) -> float:
    tenant = visitor.tenant
    progress = index / max(1, days - 1)
    if progress < visitor.joins:
        return 0.0
    level = tenant.engagement * visitor.diligence * (1 + tenant.trend * (progress - 0.5) * 2)
    return max(0.0, min(0.97, level * (0.22 if day.weekday() >= 5 else 1.0)))


def plan_history(end: date, versions: Mapping[str, int], policies: Sequence[PolicyRule],
                 holdouts: Mapping[str, tuple[float, bool]] | None = None, days: int = HISTORY_DAYS) -> Plan:
    """Events, decisions and holdouts of every demo tenant over the ``days`` UTC days ending ``end``.

    ``versions`` holds the published version of each guide (by id); a guide that is not there is
    never shown. Each of ``policies`` is decided on its published version when recorded.
    ``holdouts``: guide id → (held-out share, by tenant) of the guides that hold visitors out.
    """
    first = end - timedelta(days=days - 1)
    events: list[AnyEvent] = []
    decisions: list[Decision] = []
    held: list[Held] = []
    for tenant in TENANTS:
        habits = Habits.of(tenant)
        told = False
        for visitor in visitors_of(tenant):
            flows = GuideFlows(visitor, versions, policies, holdouts or {})
            active_days = 0
            for index in range(days):
                day = first + timedelta(days=index)
                rng = random.Random(f"day:{visitor.id}:{day.isoformat()}")
                if rng.random() >= _engagement(visitor, day, index, days):
                    continue
                start = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                    seconds=rng.uniform(7 * 3600, 18 * 3600))
                if active_days == 0:
                    if not told:
                        events.append(GroupEvent(id=f"dp-group-{tenant.id}", ts=start - timedelta(seconds=2),
                                                 visitor=visitor.id, tenant=tenant.id, traits=tenant_traits(tenant)))
                        told = True
                    events.append(IdentifyEvent(id=f"dp-identify-{visitor.id}", ts=start - timedelta(seconds=1),
                                                visitor=visitor.id, tenant=tenant.id, traits=visitor_traits(visitor)))
                active_days += 1
                session = session_events(rng, habits, visitor, day, start)
                events += session
                guided, decided = flows.day(active_days, session)
                events += guided
                decisions += [Decision(*d) for d in decided]
            held += flows.held
    events.sort(key=lambda e: (e.ts, e.id))
    decisions.sort(key=lambda d: (d.when, d.request_id))
    held.sort(key=lambda h: (h.when, h.guide, h.visitor))
    return Plan(events, decisions, held)

