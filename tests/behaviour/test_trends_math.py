"""Trend figures against a brute-force reference written here, on randomised rows; and the formula parser."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waymark.behaviour.formula import FormulaError, parse_formula
from waymark.behaviour.periods import Interval, periods
from waymark.behaviour.refs import Unit
from waymark.behaviour.trends_math import OTHER, Measure, Row, count_series, rank_groups

BASE = date(2026, 1, 20)


def _same_period(a: date, b: date, interval: Interval) -> bool:
    if interval == "day":
        return a == b
    if interval == "week":
        return a.isocalendar()[:2] == b.isocalendar()[:2]
    return (a.year, a.month) == (b.year, b.month)


def reference(rows: list[Row], start: date, end: date, interval: Interval, measure: Measure, unit: Unit,
              group_of: dict[str, str]) -> dict[str, list[int]]:
    """Per group, per period (the days of the range sharing an ISO week, a month …): the figure, counted slowly."""
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    buckets: list[list[date]] = []
    for day in days:
        if buckets and _same_period(buckets[-1][0], day, interval):
            buckets[-1].append(day)
        else:
            buckets.append([day])
    out: dict[str, list[int]] = {}
    for group in sorted(set(group_of.values())):
        figures = []
        for bucket in buckets:
            inside = [r for r in rows if r[0] in bucket and group_of[r[2]] == group]
            if measure == "total":
                figures.append(sum(r[3] for r in inside))
            else:
                figures.append(len({r[2] if unit == "visitors" else r[1] for r in inside
                                    if unit == "visitors" or r[1]}))
        out[group] = figures
    return out


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Row], date, date, Interval, Measure, Unit, dict[str, str]]:
    start = BASE + timedelta(days=draw(st.integers(0, 40)))
    end = start + timedelta(days=draw(st.integers(0, 70)))
    visitors = draw(st.lists(st.sampled_from("abcdefghij"), min_size=1, max_size=10, unique=True))
    tenant_of = {v: draw(st.sampled_from(["", "t1", "t2", "t3"])) for v in visitors}
    row = st.tuples(st.integers(-5, (end - start).days + 5), st.sampled_from(visitors), st.integers(1, 4))
    rows = [(start + timedelta(days=n), tenant_of[v], v, count) for n, v, count in draw(st.lists(row, max_size=60))]
    group_of = {v: draw(st.sampled_from(["x", "y", "z"])) for v in visitors}
    return (rows, start, end, draw(st.sampled_from(["day", "week", "month"])),
            draw(st.sampled_from(["total", "unique"])), draw(st.sampled_from(["visitors", "tenants"])), group_of)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_figures_match_the_brute_force_reference(
        case: tuple[list[Row], date, date, Interval, Measure, Unit, dict[str, str]]) -> None:
    rows, start, end, interval, measure, unit, group_of = case
    spans = periods(start, end, interval)
    counted = count_series(rows, spans, measure, unit, lambda r: group_of[r[2]])
    expected = reference(rows, start, end, interval, measure, unit, group_of)
    assert {g: values for g, (values, _) in counted.items()} == {
        g: values for g, values in expected.items() if g in counted}
    assert all(not any(values) for g, values in expected.items() if g not in counted)
    # the whole range: unique units over it, never a sum of the periods'
    whole = reference(rows, start, end, "day", measure, unit, group_of)
    for group, (_, total) in counted.items():
        inside = [r for r in rows if start <= r[0] <= end and group_of[r[2]] == group]
        if measure == "total":
            assert total == sum(whole[group])
        else:
            assert total == len({r[2] if unit == "visitors" else r[1] for r in inside if unit == "visitors" or r[1]})


@settings(max_examples=200, deadline=None)
@given(cases(), st.integers(1, 3))
def test_groups_beyond_the_top_are_counted_together_as_distinct_units(
        case: tuple[list[Row], date, date, Interval, Measure, Unit, dict[str, str]], top: int) -> None:
    rows, start, end, interval, measure, unit, group_of = case
    kept = set(rank_groups([rows], lambda r: group_of[r[2]], measure, unit, top=top))
    merged = {v: g if g in kept else OTHER for v, g in group_of.items()}
    spans = periods(start, end, interval)
    counted = count_series(rows, spans, measure, unit, lambda r: merged[r[2]])
    expected = reference(rows, start, end, interval, measure, unit, merged)
    assert {g: values for g, (values, _) in counted.items()} == {g: v for g, v in expected.items() if g in counted}


def test_periods_are_clipped_to_the_range() -> None:
    assert [(p.start.isoformat(), p.end.isoformat()) for p in periods(date(2026, 1, 28), date(2026, 3, 3), "month")
            ] == [("2026-01-28", "2026-01-31"), ("2026-02-01", "2026-02-28"), ("2026-03-01", "2026-03-03")]
    assert [(p.start.isoformat(), p.end.isoformat()) for p in periods(date(2026, 12, 30), date(2027, 1, 5), "week")
            ] == [("2026-12-30", "2027-01-03"), ("2027-01-04", "2027-01-05")]


@pytest.mark.parametrize(("text", "values", "result"), [
    ("A / B", {"A": 1.0, "B": 4.0}, 0.25),
    ("(A - B) / A", {"A": 4.0, "B": 1.0}, 0.75),
    ("A - B - C", {"A": 10.0, "B": 3.0, "C": 2.0}, 5.0),  # left to right
    ("A / B / C", {"A": 12.0, "B": 3.0, "C": 2.0}, 2.0),
    ("A + B * C", {"A": 1.0, "B": 2.0, "C": 3.0}, 7.0),  # * before +
    ("-A + 2.5", {"A": 1.0}, 1.5),
    ("--A", {"A": 3.0}, 3.0),
    ("A * 100 / (B)", {"A": 1.0, "B": 8.0}, 12.5),
    ("A / B", {"A": 1.0, "B": 0.0}, None),  # division by zero: a gap
    ("A / (B - B)", {"A": 1.0, "B": 2.0}, None),
    ("A + B", {"A": 1.0, "B": None}, None),
    ("A" + " * A" * 30, {"A": 1e10}, None),  # overflows: not a finite number
])
def test_formulas_evaluate(text: str, values: dict[str, float | None], result: float | None) -> None:
    assert parse_formula(text, "ABC").evaluate(values) == result


@pytest.mark.parametrize(("text", "says"), [
    ("", "empty"),
    ("   ", "empty"),
    ("A +", "ends too early"),
    ("A B", "'B' at position 3 is out of place"),
    ("D", "'D' at position 1 names no series"),
    ("a / b", "'a' at position 1 names no series"),
    ("A ^ 2", "'^' at position 3 is not allowed"),
    ("A // B", "'/' at position 4 is out of place"),
    ("exec('x')", "\"'\" at position 6 is not allowed"),
    ("e", "'e' at position 1 names no series"),
    ("\u0661", "'\u0661' at position 1 is not allowed"),  # a digit, but not an ASCII one
    ("A.__class__", "'.' at position 2 is not allowed"),
    ("A;B", "';' at position 2 is not allowed"),
    ("A\nB", "'B' at position 3 is out of place"),
    ("1 +\u00a0A", "'\\xa0' at position 4 is not allowed"),
    ("()", "')' at position 2 is out of place"),
    ("(" * 21 + "A" + ")" * 21, "nested more than 20"),
    ("-" * 30 + "A", "nested more than 20"),
    ("1" * 201, "at most 200 characters"),
])
def test_hostile_formulas_are_refused_with_the_place_and_the_fix(text: str, says: str) -> None:
    with pytest.raises(FormulaError, match=re.escape(says)):
        parse_formula(text, "ABC")
