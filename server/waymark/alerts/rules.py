"""Alert rules without I/O: what a rule may say, the periods it is judged on, and whether a value breaches it.

A rule is judged on the last *complete* period (yesterday, or last Monday-to-Sunday week, UTC), so a day
that has only begun never looks like a collapse.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, NamedTuple
from urllib.parse import parse_qsl, urlencode

from waymark.behaviour.funnels import FunnelQuery, funnel_query
from waymark.behaviour.refs import RefError, parse_ref
from waymark.wire import CONTROL_CHARACTER

__all__ = [
    "CHANGE_CONDITIONS",
    "CONDITIONS",
    "FUNNEL_PARAMETERS",
    "METRICS",
    "PERIODS",
    "Period",
    "RuleError",
    "RuleSpec",
    "breached",
    "change_percent",
    "check_rule",
    "funnel_rule_target",
    "funnel_target",
    "judged_period",
    "last_complete",
    "previous",
]

Metric = Literal["active_visitors", "event_count", "nps", "policy_coverage", "funnel_conversion"]
PeriodKind = Literal["day", "week"]
Condition = Literal["above", "below", "rises_by", "falls_by"]

METRICS: tuple[Metric, ...] = ("active_visitors", "event_count", "nps", "policy_coverage", "funnel_conversion")
FUNNEL_PARAMETERS = ("steps", "exclude", "window_days", "count")
"""What a funnel conversion rule's target may say, written as the funnel report's query string."""
PERIODS: tuple[PeriodKind, ...] = ("day", "week")
CONDITIONS: tuple[Condition, ...] = ("above", "below", "rises_by", "falls_by")
CHANGE_CONDITIONS = frozenset({"rises_by", "falls_by"})
_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_BOUNDS: dict[str, tuple[float, float]] = {
    "active_visitors": (0, 1e12), "event_count": (0, 1e12), "nps": (-100, 100), "policy_coverage": (0, 100),
    "funnel_conversion": (0, 100),
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
    if metric == "funnel_conversion":
        return funnel_target(target)[1]
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
        raise RuleError("metric", f"{metric[:40]!r} is not a metric: use one of {', '.join(METRICS)}")
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


def funnel_target(target: str) -> tuple[FunnelQuery, str]:
    """A funnel conversion rule's target read as the funnel report's query string (``steps=…&window_days=7``,
    with ``exclude`` and ``count`` if wanted), and its canonical text; raises :class:`RuleError` on ``target``."""
    if not target:
        raise RuleError("target", "give the funnel as in its report's address: steps=event:Signup,page:billing"
                                  "&window_days=7 (exclude and count may follow)")
    try:
        pairs = parse_qsl(target, keep_blank_values=True, strict_parsing=True)
    except ValueError as exc:
        raise RuleError("target", "write the funnel as name=value pairs joined by '&', as in "
                                  "steps=event:Signup,page:billing&window_days=7") from exc
    params: dict[str, str] = {}
    for name, value in pairs:
        if name not in FUNNEL_PARAMETERS:
            raise RuleError("target", f"{name[:40]!r} has no place in a funnel rule: give "
                                      f"{', '.join(FUNNEL_PARAMETERS)} (the period sets the dates)")
        if name in params:
            raise RuleError("target", f"{name} is given twice")
        params[name] = value
    try:
        query = funnel_query(params)
    except RefError as exc:
        raise RuleError("target", str(exc)) from exc
    return query, funnel_rule_target([r.text() for r in query.steps], query.window_days, query.unit,
                                     [r.text() for r in query.exclude])


def funnel_rule_target(steps: Sequence[str], window_days: int, count: str, exclude: Sequence[str]) -> str:
    """A funnel conversion rule's target, written canonically from the funnel's parts."""
    funnel = {"steps": ",".join(steps), "window_days": str(window_days), "count": count}
    if exclude:
        funnel["exclude"] = ",".join(exclude)
    return urlencode(funnel, safe=":,[]=")


def judged_period(now: datetime, kind: str, metric: str, target: str) -> Period:
    """The period a rule judges: the last complete one; for a funnel's conversion, the last one whose every
    conversion window has closed (a funnel started yesterday may still convert for ``window_days``)."""
    if metric == "funnel_conversion":
        now -= timedelta(days=funnel_target(target)[0].window_days)
    return last_complete(now, kind)


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
