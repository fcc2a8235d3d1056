"""Policy coverage over time and the per-visitor tally, pure, against counts worked out by hand."""

from __future__ import annotations

import time
from datetime import date, timedelta

from waymark.policies.coverage import Decision, accepted_counts, coverage_points, estimated_points, tally

D1 = date(2026, 3, 1)


def _day(n: int) -> date:
    return D1 + timedelta(days=n)


def test_tally_counts_each_visitors_latest_decision_and_lists_the_undecided() -> None:
    decisions = [Decision("ana", D1, "declined"), Decision("ana", D1, "accepted"), Decision("ben", D1, "declined"),
                 Decision("cy", D1, "accepted"), Decision("cy", _day(1), "withdrawn")]
    counted = tally(["ana", "ben", "cy", "dee", "eve", "dee"], decisions)
    assert counted[:4] == (1, 1, 1, ["dee", "eve"])
    assert {v: (d.decision, d.day) for v, d in counted.latest.items()} == {
        "ana": ("accepted", D1), "ben": ("declined", D1), "cy": ("withdrawn", _day(1))}


def test_coverage_by_hand() -> None:
    # ana active day 0, accepts day 1; ben active day 1, accepts day 1, withdraws day 3, accepts again day 4;
    # cy active day 2, never decides; dee accepts day 0 but is first active on day 2 (counts from day 2);
    # eve decides but is never active (in neither count).
    first = {"ana": _day(0), "ben": _day(1), "cy": _day(2), "dee": _day(2)}
    decisions = [Decision("dee", _day(0), "accepted"), Decision("ana", _day(1), "accepted"),
                 Decision("ben", _day(1), "accepted"), Decision("eve", _day(1), "accepted"),
                 Decision("ben", _day(3), "withdrawn"), Decision("ben", _day(4), "accepted")]
    points = coverage_points(first, decisions, _day(0), _day(4))
    assert [(p.active, p.accepted) for p in points] == [(1, 0), (2, 2), (4, 3), (4, 2), (4, 3)]
    assert [p.coverage for p in points] == [0.0, 1.0, 0.75, 0.5, 0.75]
    assert [p.day for p in points] == [_day(i) for i in range(5)]


def test_a_window_starting_later_carries_what_came_before() -> None:
    first = {"ana": _day(0), "ben": _day(5)}
    decisions = [Decision("ana", _day(1), "accepted"), Decision("ben", _day(9), "declined")]
    points = coverage_points(first, decisions, _day(3), _day(6))
    assert [(p.day, p.active, p.accepted) for p in points] == [
        (_day(3), 1, 1), (_day(4), 1, 1), (_day(5), 2, 1), (_day(6), 2, 1)]


def test_decisions_of_one_day_count_by_the_last_of_them() -> None:
    first = {"ana": _day(0)}
    same_day = [Decision("ana", _day(1), "accepted"), Decision("ana", _day(1), "withdrawn")]
    assert [p.accepted for p in coverage_points(first, same_day, _day(0), _day(2))] == [0, 0, 0]
    back = [Decision("ana", _day(1), "withdrawn"), Decision("ana", _day(1), "accepted")]
    assert [p.accepted for p in coverage_points(first, back, _day(0), _day(2))] == [0, 1, 1]


def test_empty_and_reversed_ranges() -> None:
    assert coverage_points({}, [], _day(2), _day(1)) == []
    assert [(p.active, p.coverage) for p in coverage_points({}, [], _day(0), _day(1))] == [(0, 0.0), (0, 0.0)]


def test_cost_is_not_days_times_visitors() -> None:
    # 100,000 visitors over a year: a days × visitors loop does 36.6 million steps (tens of seconds in Python);
    # the difference arrays do ~150 thousand (a tenth of a second), so even a loaded machine stays far below.
    first = {f"v{i}": _day(i % 366) for i in range(100_000)}
    decisions = [Decision(f"v{i}", _day(i % 366), "accepted") for i in range(0, 100_000, 2)]
    began = time.perf_counter()
    points = coverage_points(first, decisions, _day(0), _day(365))
    assert time.perf_counter() - began < 5.0
    assert (points[-1].active, points[-1].accepted) == (100_000, 50_000)


def test_accepted_counts_follow_each_visitors_latest_decision() -> None:
    decisions = [Decision("ana", _day(0), "accepted"), Decision("ben", _day(1), "accepted"),
                 Decision("ben", _day(2), "withdrawn"), Decision("cy", _day(2), "declined"),
                 Decision("dee", _day(-5), "accepted")]
    assert accepted_counts(decisions, _day(0), _day(3)) == [2, 3, 2, 2]
    assert accepted_counts(decisions, _day(1), _day(0)) == []


def test_an_estimate_below_the_acceptances_is_raised_to_them() -> None:
    points = estimated_points([10, 3, 0], [2, 4, 0], _day(0))
    assert [(p.day, p.active, p.accepted, p.coverage) for p in points] == [
        (_day(0), 10, 2, 0.2), (_day(1), 4, 4, 1.0), (_day(2), 0, 0, 0.0)]
