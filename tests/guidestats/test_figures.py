"""The guide figures' pure parts: what each event counts for, showings and their length, reach and the median."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from waymark.guidestats.figures import every_day, median_of_runs, step_reach
from waymark.guidestats.fold import MAX_TIMED, GuideFold

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_walkthrough_counts_views_top_step_and_its_length() -> None:
    fold = GuideFold()
    for kind, step, s in (("guide_seen", 0, 0), ("guide_step_advanced", 1, 4), ("guide_step_advanced", 0, 6),
                          ("guide_step_advanced", 1, 8), ("guide_completed", 1, 12.5)):
        fold.event(kind, "g", DAY, "acme", "ana", step, _at(s))
    # seen 1, top step 1 (Back to 0 does not lower it), completed 1, one timed showing of 12.5 s
    assert fold.rows == {("g", DAY, "acme", "ana"): [1, 1, 1, 0, 0, 0, 1, 12_500]}
    assert fold.runs == {} and fold.ended == {("g", "ana")}


def test_snooze_ends_a_showing_untimed_and_the_next_view_starts_another() -> None:
    fold = GuideFold()
    fold.event("guide_seen", "g", DAY, None, "ben", 0, _at(0))
    fold.event("guide_snoozed", "g", DAY, None, "ben", 0, _at(2))
    fold.event("guide_seen", "g", DAY, None, "ben", 0, _at(100))
    fold.event("guide_dismissed", "g", DAY, None, "ben", 0, _at(103))
    assert fold.rows[("g", DAY, "", "ben")] == [2, 0, 0, 1, 1, 0, 1, 3_000]


def test_a_showing_known_from_before_is_timed_and_a_too_long_one_is_not() -> None:
    fold = GuideFold({("g", "cy"): _at(-30), ("g", "dee"): _at(0) - MAX_TIMED - timedelta(seconds=1)})
    fold.event("guide_completed", "g", DAY, "x", "cy", 2, _at(0))
    fold.event("guide_completed", "g", DAY, "x", "dee", 2, _at(0))
    fold.event("guide_completed", "g", DAY, "x", "eve", 2, _at(0))  # no known start: not timed
    assert [fold.rows[("g", DAY, "x", v)][6:] for v in ("cy", "dee", "eve")] == [[1, 30_000], [0, 0], [0, 0]]
    assert fold.ended == {("g", "cy"), ("g", "dee")}


def test_a_missing_anchor_counts_without_a_view_and_other_events_not_at_all() -> None:
    fold = GuideFold()
    fold.event("guide_anchor_missing", "tip", DAY, "a", "v", 0, _at(0))
    fold.event("nps_response", "tip", DAY, "a", "v", None, _at(1))
    assert fold.rows == {("tip", DAY, "a", "v"): [0, -1, 0, 0, 0, 1, 0, 0]}
    assert fold.runs == {}


def test_step_reach_accumulates_from_the_last_step() -> None:
    reach = step_reach({0: 5, 1: 3, 3: 2}, ["A", "B", "C", "D", "E"])
    assert [(s.step, s.title, s.visitors) for s in reach] == [
        (1, "A", 10), (2, "B", 5), (3, "C", 2), (4, "D", 2), (5, "E", 0)]
    assert [s.share for s in reach] == [1.0, 0.5, 0.2, 0.2, 0.0]
    # steps of an older, longer version are still listed; nothing seen: no share
    assert [s.visitors for s in step_reach({2: 1}, ["A"])] == [1, 1, 1]
    assert [s.share for s in step_reach({}, ["A", "B"])] == [None, None]


def test_median_weighs_each_showing() -> None:
    assert median_of_runs([]) is None
    assert median_of_runs([(1, 10), (1, 30), (1, 20)]) == 20
    assert median_of_runs([(1, 10), (1, 40)]) == 25
    # two showings of one visitor-day at their mean length (20): 10, 20, 20 → 20
    assert median_of_runs([(1, 10), (2, 40), (0, 0)]) == 20


def test_every_day_of_the_range_is_listed() -> None:
    days = every_day(date(2026, 3, 1), date(2026, 3, 3), {})
    assert [d.day.day for d in days] == [1, 2, 3] and all(d.views == 0 for d in days)
