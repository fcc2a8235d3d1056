"""The retention table against a brute-force reference written here, on randomised start and return days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waymark.behaviour.retention_math import Mode, RetentionInterval, retention_table

BASE = date(2026, 2, 23)


def reference(starts: dict[str, date], returns: dict[str, set[date]], start: date, end: date,
              interval: RetentionInterval, brackets: int, mode: Mode
              ) -> tuple[list[tuple[date, int, list[int | None]]], list[float | None]]:
    """Cohort by cohort, bracket by bracket, every unit and day looked at: the definition, slowly."""
    length = 1 if interval == "day" else 7
    cohort_starts = []
    day = start
    while day <= end:
        cohort_starts.append(day)
        day += timedelta(days=length)
    table = []
    complete_cells: list[list[tuple[int, int]]] = [[] for _ in range(brackets)]
    for cohort_start in cohort_starts:
        cohort_end = cohort_start + timedelta(days=length - 1)
        members = [u for u, first in starts.items() if cohort_start <= first <= min(cohort_end, end)]
        row: list[int | None] = []
        for n in range(brackets):
            begins = cohort_start + timedelta(days=n * length)
            ends = begins + timedelta(days=length - 1)
            if begins > end:
                row.append(None)
                continue
            hits = 0
            for unit in members:
                days = [d for d in returns.get(unit, set()) if starts[unit] <= d <= end]
                if mode == "on" and any(begins <= d <= ends for d in days):
                    hits += 1
                if mode == "on_or_after" and any(d >= begins for d in days):
                    hits += 1
            row.append(hits)
            if ends <= end and members:
                complete_cells[n].append((hits, len(members)))
        table.append((cohort_start, len(members), row))
    average = [sum(h for h, _ in cells) / sum(s for _, s in cells) if cells else None for cells in complete_cells]
    return table, average


units = st.lists(st.text("abcdefgh", min_size=1, max_size=2), max_size=12, unique=True)


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, date], dict[str, set[date]], date, date, RetentionInterval, int, Mode]:
    start = BASE + timedelta(days=draw(st.integers(0, 6)))
    end = start + timedelta(days=draw(st.integers(0, 40)))
    span = (end - start).days
    ids = draw(units)
    day = st.integers(-3, span + 3).map(lambda n: start + timedelta(days=n))
    starts = {u: draw(day) for u in ids}
    returns = {u: set(draw(st.lists(day, max_size=10))) for u in ids}
    interval: RetentionInterval = draw(st.sampled_from(["day", "week"]))
    mode: Mode = draw(st.sampled_from(["on", "on_or_after"]))
    return starts, returns, start, end, interval, draw(st.integers(1, 9)), mode


@settings(max_examples=400, deadline=None)
@given(cases())
def test_the_table_matches_the_brute_force_reference(
        case: tuple[dict[str, date], dict[str, set[date]], date, date, RetentionInterval, int, Mode]) -> None:
    starts, returns, start, end, interval, brackets, mode = case
    table = retention_table(starts, returns, start, end, interval, brackets, mode)
    expected, average = reference(starts, returns, start, end, interval, brackets, mode)
    assert [(row.start, row.size, row.returned) for row in table.cohorts] == expected
    assert table.average == pytest.approx(average)


def test_a_bracket_is_complete_only_once_it_has_ended() -> None:
    start = date(2026, 3, 2)
    table = retention_table({"a": start}, {"a": {start, start + timedelta(days=8)}}, start, start + timedelta(days=9),
                            "week", 3, "on")
    # the second week has begun (9th and 10th of its 7 days) but not ended: shown, yet out of the average
    assert table.cohorts[0].returned == [1, 1, None]
    assert table.cohorts[0].complete == [True, False, False]
    assert table.average == [1.0, None, None]
    assert table.weights == [1, 0, 0]
