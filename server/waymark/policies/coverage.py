"""Policy coverage over time, pure: per day, visitors active since a version's publication and how many had accepted.

Built from differences (a visitor enters the active count once, and the accepted count when
their decision of the day is an acceptance, leaving it when a later one is not), so the cost is
one pass over the visitors and decisions plus one over the days, never days × visitors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import NamedTuple

__all__ = ["Decision", "Point", "Tally", "accepted_counts", "coverage_points", "estimated_points", "running", "tally"]


class Decision(NamedTuple):
    """One evidence record as coverage needs it (records come in chain order)."""

    visitor: str
    day: date
    decision: str
    """accepted, declined or withdrawn."""


class Tally(NamedTuple):
    """Latest decision per visitor, counted, and the visitors active since publication who never decided."""

    accepted: int
    declined: int
    withdrawn: int
    pending: list[str]
    """Sorted visitor ids."""
    latest: dict[str, Decision]
    """Each visitor's latest decision."""


def tally(active: Iterable[str], decisions: Iterable[Decision]) -> Tally:
    latest: dict[str, Decision] = {}
    for d in decisions:
        latest[d.visitor] = d
    counts = {"accepted": 0, "declined": 0, "withdrawn": 0}
    for d in latest.values():
        counts[d.decision] = counts.get(d.decision, 0) + 1
    return Tally(counts["accepted"], counts["declined"], counts["withdrawn"],
                 sorted(v for v in set(active) if v not in latest), latest)


def _accepted_spans(decisions: Iterable[Decision]) -> dict[str, list[tuple[date, date | None]]]:
    """Per visitor, the day ranges [from, until) at whose end their latest decision was an acceptance."""
    # The state at the end of a day is the day's last decision.
    last_of_day: dict[str, dict[date, str]] = {}
    for d in decisions:
        last_of_day.setdefault(d.visitor, {})[d.day] = d.decision
    spans: dict[str, list[tuple[date, date | None]]] = {}
    for visitor, days in last_of_day.items():
        opened: date | None = None
        for day in sorted(days):
            if days[day] == "accepted" and opened is None:
                opened = day
            elif days[day] != "accepted" and opened is not None:
                spans.setdefault(visitor, []).append((opened, day))
                opened = None
        if opened is not None:
            spans.setdefault(visitor, []).append((opened, None))
    return spans


class Point(NamedTuple):
    day: date
    active: int
    accepted: int
    coverage: float


def coverage_points(
    first_active: Mapping[str, date], decisions: Iterable[Decision], start: date, end: date
) -> list[Point]:
    """For each day from ``start`` to ``end``: visitors whose first activity since publication is on or before it,
    and of them those whose latest decision by the end of that day is an acceptance.

    ``first_active`` maps a visitor to their first active day since the version was published.
    """
    if end < start:
        return []
    n = (end - start).days + 1
    active_delta = [0] * (n + 1)
    accepted_delta = [0] * (n + 1)

    def index(day: date) -> int:
        return min(max((day - start).days, 0), n)

    for day in first_active.values():
        active_delta[index(day)] += 1
    for visitor, spans in _accepted_spans(decisions).items():
        since = first_active.get(visitor)
        if since is None:  # decided, but never active in the range: not in the denominator either
            continue
        for opened, closed in spans:
            begin = max(opened, since)
            if closed is not None and closed <= begin:
                continue
            accepted_delta[index(begin)] += 1
            if closed is not None:
                accepted_delta[index(closed)] -= 1
    points: list[Point] = []
    active = accepted = 0
    for i in range(n):
        active += active_delta[i]
        accepted += accepted_delta[i]
        points.append(Point(start + timedelta(days=i), active, accepted,
                            round(accepted / active, 4) if active else 0.0))
    return points


def accepted_counts(decisions: Iterable[Decision], start: date, end: date) -> list[int]:
    """Per day from ``start`` to ``end``: visitors whose latest decision by the end of that day is an acceptance."""
    if end < start:
        return []
    n = (end - start).days + 1
    delta = [0] * (n + 1)

    def index(day: date) -> int:
        return min(max((day - start).days, 0), n)

    for spans in _accepted_spans(decisions).values():
        for opened, closed in spans:
            delta[index(opened)] += 1
            if closed is not None:
                delta[index(closed)] -= 1
    out, running = [], 0
    for i in range(n):
        running += delta[i]
        out.append(running)
    return out


def running(changes: Mapping[date, int], start: date, end: date) -> list[int]:
    """Per day from ``start`` to ``end``: the sum of the changes up to and including it (earlier ones included)."""
    total = sum(v for d, v in changes.items() if d < start)
    out = []
    for i in range((end - start).days + 1):
        total += changes.get(start + timedelta(days=i), 0)
        out.append(total)
    return out


def estimated_points(active: list[int], accepted: list[int], start: date) -> list[Point]:
    """Points from an estimated active count per day (a sketch's) and exact acceptances; an estimate below the
    acceptances (a sketch's error, or deciders never seen active) is raised to them, so coverage stays ≤ 1."""
    points = []
    for i, (seen, done) in enumerate(zip(active, accepted, strict=True)):
        seen = max(seen, done)
        points.append(Point(start + timedelta(days=i), seen, done, round(done / seen, 4) if seen else 0.0))
    return points
