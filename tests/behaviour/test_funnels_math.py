"""The funnel's arithmetic against a brute-force reference that tries every chain of events (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import combinations, pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from waymark.analytics.segments import SegmentMembers
from waymark.behaviour.funnel_math import Attempt, Occurrence, best_attempt, count_funnel, nearest_rank
from waymark.behaviour.funnels import FunnelQuery, funnel_attempts, step_figures
from waymark.behaviour.refs import parse_ref
from waymark.behaviour.step_source import StepKeys, StepRow, second_of

Chain = tuple[int, ...]


def reference_attempt(events: list[Occurrence], n_steps: int, window: int) -> Attempt:
    """Every strictly increasing choice of positions, checked against the rules as written; the deepest valid
    one wins, and among those the earliest (smallest tuple of positions)."""
    valid: list[Chain] = []
    for depth in range(1, n_steps + 1):
        for chain in combinations(range(len(events)), depth):
            if not events[chain[0]].in_range:
                continue
            if any(step not in events[position].steps for step, position in enumerate(chain)):
                continue
            if events[chain[-1]].second - events[chain[0]].second > window:
                continue
            if any(events[between].excluded for a, b in pairwise(chain)
                   for between in range(a + 1, b)):
                continue
            valid.append(chain)
    if not valid:
        return Attempt(())
    deepest = max(len(c) for c in valid)
    chosen = min(c for c in valid if len(c) == deepest)
    return Attempt(tuple(events[p].second for p in chosen))


occurrence = st.builds(
    Occurrence,
    second=st.integers(0, 12),
    steps=st.frozensets(st.integers(0, 3), max_size=2),
    excluded=st.sampled_from([False, False, True]),
    in_range=st.sampled_from([True, True, True, False]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(occurrence, max_size=9), st.integers(2, 4), st.integers(0, 8))
def test_best_attempt_matches_every_chain_tried(raw: list[Occurrence], n_steps: int, window: int) -> None:
    events = sorted(raw, key=lambda e: e.second)  # stable: ties keep their stored order
    assert best_attempt(events, n_steps, window) == reference_attempt(events, n_steps, window)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(["t1", "t2", None]), st.integers(0, 20),
                          st.frozensets(st.integers(0, 4), max_size=2)), max_size=14),
       st.sampled_from(["visitors", "tenants"]), st.integers(0, 1),
       st.one_of(st.none(), st.tuples(st.sampled_from(["tenant", "visitor"]),
                                      st.frozensets(st.sampled_from(["a", "b", "c", "t1", "t2"])))))
def test_funnel_steps_count_visitors_and_tenants_like_the_reference(
    raw: list[tuple[str, str | None, int, frozenset[int]]], unit: str, window_days: int,
    segment: tuple[str, frozenset[str]] | None,
) -> None:
    """Steps 0-2 of a 3-step funnel, indices 3 and 4 two exclusions; a tenant's events are its visitors'
    together; a visitor's events may carry different tenants; a segment keeps the events of its members."""
    start = date(2026, 3, 1)
    base = second_of(datetime(2026, 3, 1, tzinfo=UTC))
    hour = 3600 * 12  # so that 20 ticks span past the one-day range and the window's end
    rows = [StepRow((base + tick * hour, i), visitor, tenant, matches)
            for i, (visitor, tenant, tick, matches) in enumerate(raw) if matches]
    steps = tuple(parse_ref(f"event:s{i}") for i in range(3))
    query = FunnelQuery(steps, (parse_ref("event:x"), parse_ref("event:y")), window_days, unit,  # type: ignore[arg-type]
                        None)
    members = None if segment is None else SegmentMembers(segment[0], segment[1], {})  # type: ignore[arg-type]
    found = StepKeys(base - 86_400)
    for row in rows:
        found.add(row.visitor if unit == "visitors" or (segment and segment[0] == "visitor") else None, row.tenant,
                  row.matches, [found.key(row.second, row.order[1])])
    attempts, tenant_of = funnel_attempts(query, found, start, start, members)
    got = step_figures(query, attempts.values())

    actors: dict[str, list[StepRow]] = {}
    for row in rows:
        actor = row.visitor if unit == "visitors" else row.tenant
        if segment is not None and (row.tenant if segment[0] == "tenant" else row.visitor) not in segment[1]:
            continue
        if actor:
            actors.setdefault(actor, []).append(row)
    end_second = base + 86_400
    expected = {actor: reference_attempt(
        [Occurrence(r.second, frozenset(m for m in r.matches if m < 3), bool(r.matches & {3, 4}),
                    r.second < end_second) for r in sorted(events, key=lambda r: r.order)], 3,
        window_days * 86_400) for actor, events in actors.items()}
    assert {a: t for a, t in attempts.items() if t.seconds} == {a: t for a, t in expected.items() if t.seconds}
    assert tenant_of == {actor: max(actors[actor], key=lambda r: r.order).tenant for actor in attempts}
    reached = [sum(1 for a in expected.values() if len(a.seconds) > i) for i in range(3)]
    assert [s.converted for s in got] == reached
    assert [s.entered for s in got] == [reached[0], reached[0], reached[1]]
    for i in (1, 2):
        times = sorted(a.seconds[i] - a.seconds[i - 1] for a in expected.values() if len(a.seconds) > i)
        assert got[i].median_seconds == (times[(len(times) + 1) // 2 - 1] if times else None)
        assert got[i].conversion == (round(reached[i] / reached[0], 4) if reached[0] else None)


def test_nearest_rank_by_hand() -> None:
    assert nearest_rank([], 0.5) is None
    assert nearest_rank([7], 0.9) == 7
    assert nearest_rank([1, 2, 3, 4], 0.5) == 2
    assert nearest_rank(list(range(1, 11)), 0.9) == 9
    assert nearest_rank(list(range(1, 12)), 0.9) == 10


def test_count_funnel_by_hand() -> None:
    counts = count_funnel([Attempt((0, 5, 65)), Attempt((10, 40)), Attempt((3,)), Attempt(())], 3)
    assert counts.reached == (3, 2, 1)
    assert counts.durations == ((), (5, 30), (60,))


def test_same_second_steps_count_in_stored_order_and_once_each() -> None:
    both = frozenset({0, 1})
    # one event matching both steps satisfies one of them only
    assert best_attempt([Occurrence(5, both)], 2, 10) == Attempt((5,))
    # two in the same second: in the order stored
    assert best_attempt([Occurrence(5, frozenset({0})), Occurrence(5, frozenset({1}))], 2, 0) == Attempt((5, 5))
    assert best_attempt([Occurrence(5, frozenset({1})), Occurrence(5, frozenset({0}))], 2, 0) == Attempt((5,))


def test_window_edge_and_exclusion_by_hand() -> None:
    step = [frozenset({0}), frozenset({1})]
    assert best_attempt([Occurrence(0, step[0]), Occurrence(100, step[1])], 2, 100) == Attempt((0, 100))
    assert best_attempt([Occurrence(0, step[0]), Occurrence(101, step[1])], 2, 100) == Attempt((0,))
    excluded = Occurrence(50, frozenset(), excluded=True)
    assert best_attempt([Occurrence(0, step[0]), excluded, Occurrence(60, step[1])], 2, 100) == Attempt((0,))
    # a start after the exclusion converts
    assert best_attempt([Occurrence(0, step[0]), excluded, Occurrence(55, step[0]), Occurrence(60, step[1])], 2,
                        100) == Attempt((55, 60))
