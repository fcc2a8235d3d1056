"""Every report's filters: a date range and an optional segment, from ``?from=&to=&segment=`` (400 when bad)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from litestar import Request
from litestar.di import Provide
from litestar.exceptions import ClientException

from waymark.clock import utcnow

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "FilterError",
    "ReportFilters",
    "SegmentRule",
    "filters_dependency",
    "parse_filters",
    "parse_segment",
    "report_filters",
]

DEFAULT_DAYS = 30
"""A report without a range shows the last 30 days, today included."""
MAX_DAYS = 366
"""The longest range a report answers: a year, leap day included."""

_SEGMENT = re.compile(r"(tenant|visitor)\.([A-Za-z_][A-Za-z0-9_]{0,63})=(.{1,200})", re.DOTALL)


class FilterError(ValueError):
    """A filter that cannot be read: its message says which one and what is expected."""


@dataclass(frozen=True, slots=True)
class SegmentRule:
    """``tenant.<field>=<value>`` or ``visitor.<field>=<value>``: who a report is narrowed to."""

    subject: Literal["tenant", "visitor"]
    field: str
    value: str


@dataclass(frozen=True, slots=True)
class ReportFilters:
    start: date
    """The first day of the range (UTC), included."""
    end: date
    """The last day of the range (UTC), included."""
    segment: str | None = None
    """The segment as written (``tenant.plan=pro``), or None for everyone."""

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def segment_rule(self) -> SegmentRule | None:
        return parse_segment(self.segment) if self.segment else None

    def query(self) -> dict[str, str]:
        """The query parameters that give these filters back (for links and exports)."""
        params = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.segment:
            params["segment"] = self.segment
        return params


def parse_segment(text: str) -> SegmentRule:
    match = _SEGMENT.fullmatch(text)
    if match is None or not match.group(3).strip():
        raise FilterError(
            f"segment {text[:80]!r} is not understood: write tenant.<field>=<value> or visitor.<field>=<value> "
            "(for example tenant.plan=pro)"
        )
    subject: Literal["tenant", "visitor"] = "tenant" if match.group(1) == "tenant" else "visitor"
    return SegmentRule(subject, match.group(2), match.group(3).strip())


def _day(params: Mapping[str, str], name: str) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else _bad_day(name, raw)
    except ValueError:
        return _bad_day(name, raw)


def _bad_day(name: str, raw: str) -> date:
    raise FilterError(f"{name}={raw[:40]!r} is not a date: write YYYY-MM-DD")


def parse_filters(params: Mapping[str, str], today: date) -> ReportFilters:
    """Read the filters; an absent range is the last :data:`DEFAULT_DAYS` days up to today."""
    start, end = _day(params, "from"), _day(params, "to")
    if end is None:
        end = today if start is None else min(today, start + timedelta(days=DEFAULT_DAYS - 1))
        end = max(end, start) if start is not None else end
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise FilterError(f"from ({start}) is after to ({end})")
    if (end - start).days + 1 > MAX_DAYS:
        raise FilterError(f"the range covers {(end - start).days + 1} days; at most {MAX_DAYS} can be asked")
    segment = (params.get("segment") or "").strip() or None
    if segment is not None:
        parse_segment(segment)
    return ReportFilters(start, end, segment)


async def report_filters(request: Request[Any, Any, Any]) -> ReportFilters:
    """The ``filters`` dependency of report pages: bad input answers 400 with what is wrong."""
    try:
        return parse_filters(request.query_params, utcnow().date())
    except FilterError as exc:
        raise ClientException(str(exc)) from exc


filters_dependency = Provide(report_filters)
"""Register as ``dependencies={"filters": filters_dependency}`` (the admin router already does)."""
