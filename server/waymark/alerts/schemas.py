"""The alerts API's bodies and answers."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

__all__ = ["AlertFiringOut", "AlertRuleIn", "AlertRuleOut"]


class AlertRuleIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A rule as written: ``metric`` one of active_visitors, event_count (``target`` an event reference counted
    from the daily roll-up: page:ID, feature:ID, event:NAME, guide:ID), nps (``target`` the survey's guide id),
    policy_coverage (``target`` the policy id, the value a percentage); ``condition`` above or below a threshold
    ``value``, or rises_by / falls_by ``value`` percent against the previous period."""

    name: str
    metric: str
    period: str
    condition: str
    value: float
    target: str = ""
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
