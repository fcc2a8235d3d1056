"""The date range and segment a behaviour report covers: what the admin's report filters hold, and what the
API reads from ``?from=&to=&segment=`` itself (the API does not depend on the admin)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from waymark.analytics.segments import SegmentError, parse
from waymark.behaviour.options import OptionError
from waymark.wire import day_problem

__all__ = ["DEFAULT_DAYS", "MAX_DAYS", "DayRange", "Range", "check_bounds", "parse_range"]

DEFAULT_DAYS = 30
MAX_DAYS = 366


class DayRange(Protocol):
    """UTC days ``start`` to ``end`` (both included), and the segment as written (None: everyone)."""

    @property
    def start(self) -> date: ...

    @property
    def end(self) -> date: ...

    @property
    def segment(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Range:
    start: date
    end: date
    segment: str | None = None


def _day(params: Mapping[str, str | None], name: str) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise OptionError(f"{name}={raw[:40]!r} is not a date: write YYYY-MM-DD")


def check_bounds(days: DayRange) -> None:
    """Refuse days no event can have (before 1970, after 2099): reading around them would leave the calendar."""
    for name, day in (("from", days.start), ("to", days.end)):
        problem = day_problem(day)
        if problem:
            raise OptionError(f"{name}: {problem}")


def parse_range(params: Mapping[str, str | None], today: date) -> Range:
    """``from``, ``to`` (default: the last 30 days up to today) and ``segment``, as the admin's filters read them."""
    start, end = _day(params, "from"), _day(params, "to")
    for name, day in (("from", start), ("to", end)):
        problem = day_problem(day) if day is not None else None
        if problem:
            raise OptionError(f"{name}: {problem}")
    if end is None:
        end = today if start is None else max(start, min(today, start + timedelta(days=DEFAULT_DAYS - 1)))
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise OptionError(f"from ({start}) is after to ({end})")
    if (end - start).days + 1 > MAX_DAYS:
        raise OptionError(f"the range covers {(end - start).days + 1} days; at most {MAX_DAYS} can be asked")
    segment = (params.get("segment") or "").strip() or None
    if segment is not None:
        try:
            parse(segment)
        except SegmentError as exc:
            raise OptionError(str(exc)) from exc
    found = Range(start, end, segment)
    check_bounds(found)
    return found
