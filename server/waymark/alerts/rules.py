"""Alert rules without I/O: what a rule may say, the periods it is judged on, and whether a value breaches it.

A rule is judged on the last *complete* period (yesterday, or last Monday-to-Sunday week, UTC), so a day
that has only begun never looks like a collapse.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, NamedTuple

from waymark.behaviour.refs import RefError, parse_ref
from waymark.wire import CONTROL_CHARACTER

__all__ = [
    "CHANGE_CONDITIONS",
    "CONDITIONS",
    "METRICS",
    "PERIODS",
    "Period",
    "RuleError",
    "RuleSpec",
    "breached",
    "change_percent",
    "check_rule",
    "last_complete",
    "previous",
]

Metric = Literal["active_visitors", "event_count", "nps", "policy_coverage"]
PeriodKind = Literal["day", "week"]
Condition = Literal["above", "below", "rises_by", "falls_by"]

METRICS: tuple[Metric, ...] = ("active_visitors", "event_count", "nps", "policy_coverage")
"""A funnel's conversion is not offered yet: funnels are built separately; a rule on one comes with them."""
PERIODS: tuple[PeriodKind, ...] = ("day", "week")
CONDITIONS: tuple[Condition, ...] = ("above", "below", "rises_by", "falls_by")
CHANGE_CONDITIONS = frozenset({"rises_by", "falls_by"})
_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_BOUNDS: dict[str, tuple[float, float]] = {
    "active_visitors": (0, 1e12), "event_count": (0, 1e12), "nps": (-100, 100), "policy_coverage": (0, 100),
}
_MAX_CHANGE = 100_000.0


class RuleError(ValueError):
    """A rule that cannot be kept; ``field`` names the part to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule as checked: every field valid together."""

    name: str
    metric: Metric
    target: str
    period: PeriodKind
    condition: Condition
    value: float
    enabled: bool = True


def _target(metric: str, raw: str) -> str:
    target = raw.strip()
    if len(target) > 300:
        raise RuleError("target", "at most 300 characters")
    if metric == "active_visitors":
        if target:
            raise RuleError("target", "active visitors are counted over the whole app: leave the target empty")
        return ""
    if metric == "event_count":
        if not target:
            raise RuleError("target", "name what to count: page:ID, feature:ID, event:NAME or guide:ID")
        try:
            ref = parse_ref(target)
        except RefError as exc:
            raise RuleError("target", str(exc)) from exc
        if ref.where:
            raise RuleError("target", "counts come from the daily roll-up, which keeps no event properties: "
                                      "drop the [property=value] filter")
        if ref.kind == "guide" and ref.action not in (None, "seen"):
            raise RuleError("target", "the daily roll-up counts guides seen: write guide:ID or guide:ID:seen")
        return ref.text()
    what = "survey's guide id" if metric == "nps" else "policy id"
    if not _ID.fullmatch(target):
        raise RuleError("target", f"give the {what}: 1 to 64 letters, digits, '.', '_' or '-'")
    return target


def check_rule(name: str, metric: str, target: str, period: str, condition: str, value: float,
               enabled: bool = True) -> RuleSpec:
    """The rule, or :class:`RuleError` naming the first field that is wrong."""
    for field, text in (("name", name), ("target", target)):
        if CONTROL_CHARACTER.search(text):
            raise RuleError(field, "control characters (such as tabs or line breaks) are not allowed")
    clean = " ".join(name.split())
    if not 1 <= len(clean) <= 100:
        raise RuleError("name", "give the rule a name of 1 to 100 characters")
    if metric not in METRICS:
        raise RuleError("metric", f"{metric[:40]!r} is not a metric: use one of {', '.join(METRICS)} "
                                  "(a funnel's conversion is not offered yet)")
    if period not in PERIODS:
        raise RuleError("period", f"{period[:20]!r} is not a period: use day or week")
    if condition not in CONDITIONS:
        raise RuleError("condition", f"{condition[:20]!r} is not a condition: use one of {', '.join(CONDITIONS)}")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RuleError("value", "give a finite number")
    if condition in CHANGE_CONDITIONS:
        if not 0 < value <= _MAX_CHANGE:
            raise RuleError("value", f"a change is a percentage above 0 and at most {_MAX_CHANGE:g}")
    else:
        low, high = _BOUNDS[metric]
        if not low <= value <= high:
            raise RuleError("value", f"a threshold of {metric} lies from {low:g} to {high:g}")
    return RuleSpec(clean, metric, _target(metric, target), period, condition, float(value), enabled)


class Period(NamedTuple):
    start: date
    end: date
    """Inclusive."""


def last_complete(now: datetime, kind: str) -> Period:
    """The last whole day, or ISO week (Monday to Sunday), before ``now`` (UTC)."""
    today = now.date()
    if kind == "week":
        start = today - timedelta(days=today.weekday() + 7)
        return Period(start, start + timedelta(days=6))
    yesterday = today - timedelta(days=1)
    return Period(yesterday, yesterday)


def previous(period: Period) -> Period:
    """The period of the same length just before."""
    length = (period.end - period.start).days + 1
    return Period(period.start - timedelta(days=length), period.start - timedelta(days=1))


def change_percent(current: float, before: float) -> float | None:
    """(current − before) / before × 100; None when ``before`` is 0 (no change can be stated as a share of 0)."""
    if before == 0:
        return None
    return (current - before) / abs(before) * 100


def breached(condition: str, threshold: float, current: float | None, before: float | None) -> bool | None:
    """Whether the value breaches the rule; None when it cannot be told (no value, or no base for a change)."""
    if current is None:
        return None
    if condition == "above":
        return current > threshold
    if condition == "below":
        return current < threshold
    if before is None:
        return None
    change = change_percent(current, before)
    if change is None:
        return None
    return change >= threshold if condition == "rises_by" else -change >= threshold
