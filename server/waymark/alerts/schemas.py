"""The alerts API's bodies and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from waymark.wire import LINE_PATTERN

__all__ = ["AlertFiringOut", "AlertRuleIn", "AlertRuleOut"]


class AlertRuleIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A rule as written: ``metric`` one of active_visitors, event_count (``target`` an event reference counted
    from the daily roll-up: page:ID, feature:ID, event:NAME, guide:ID), nps (``target`` the survey's guide id),
    policy_coverage (``target`` the policy id, the value a percentage), funnel_conversion (``target`` the funnel
    report's query string, ``steps=…&window_days=7`` with ``exclude`` and ``count`` if wanted; the value the overall
    conversion in percent, judged once the window has closed); ``condition`` above or below a threshold
    ``value``, or rises_by / falls_by ``value`` percent against the previous period."""

    name: Annotated[str, msgspec.Meta(pattern=LINE_PATTERN, max_length=400)]
    metric: Annotated[str, msgspec.Meta(pattern=LINE_PATTERN, max_length=100)]
    period: Annotated[str, msgspec.Meta(pattern=LINE_PATTERN, max_length=100)]
    condition: Annotated[str, msgspec.Meta(pattern=LINE_PATTERN, max_length=100)]
    value: float
    target: Annotated[str, msgspec.Meta(pattern=LINE_PATTERN, max_length=400)] = ""
    enabled: bool = True


class AlertRuleOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    metric: str
    target: str
    period: str
    condition: str
    value: float
    enabled: bool
    in_breach: bool
    """The last judged period breached the rule (it fired, and fires again only after recovering)."""
    last_value: float | None
    last_period_start: date | None
    last_evaluated_at: datetime | None


class AlertFiringOut(msgspec.Struct, kw_only=True):
    id: int
    rule_id: int
    rule_name: str
    period_start: date
    period_end: date
    value: float
    previous: float | None
    fired_at: datetime
    recovered_at: datetime | None
