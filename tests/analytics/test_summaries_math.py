"""The activity arithmetic without a database, checked by hand: windows, stickiness, bands, histograms, sketches."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest

from waymark.analytics.overview_math import assemble, exact_inputs, summary_inputs
from waymark.analytics.sketches import sketch_of, union_count, window_counts
from waymark.analytics.stickiness import (
    Cumulative,
    average_ratio,
    band,
    days_histogram,
    range_average,
    range_stickiness,
    sliding,
    tenant_day_figures,
    trailing_distinct,
    trend,
)

D1 = date(2026, 6, 1)


def day(n: int) -> date:
    """Day n of the example (day 1 is June 1st)."""
    return D1 + timedelta(days=n - 1)


def test_sliding_merges_exactly_the_trailing_window() -> None:
    rng = random.Random(7)
    for width in range(1, 10):
        for n in range(0, 40):
            items = [frozenset({rng.randrange(12)}) for _ in range(n)]
            expected = [frozenset().union(*items[max(0, i - width + 1):i + 1]) for i in range(n)]
            assert sliding(items, width, frozenset.union) == expected, (width, n)
    with pytest.raises(ValueError):
        sliding([frozenset()], 0, frozenset.union)


def test_trailing_windows_drop_a_visitor_seven_and_thirty_days_later() -> None:
    sets = [frozenset({"ann"})] + [frozenset()] * 35
    assert trailing_distinct(sets, 7)[:8] == [1, 1, 1, 1, 1, 1, 1, 0]
    monthly = trailing_distinct(sets, 30)
    assert monthly[29] == 1 and monthly[30] == 0


def test_stickiness_averages_the_daily_ratios_by_hand() -> None:
    # day 1: ann, bob; day 2: ann; day 3: nobody; day 4: cat. MAU 2, 2, 2, 3; DAU 2, 1, 0, 1.
    assert average_ratio([2, 1, 0, 1], [2, 2, 2, 3]) == pytest.approx((1 + 0.5 + 0 + 1 / 3) / 4)
    assert average_ratio([0, 0], [0, 0]) is None
    assert average_ratio([1, 0], [1, 0]) == 1.0  # a day without MAU has no ratio: left out


def test_bands_histogram_and_trend() -> None:
    assert [band(n) for n in (0, 1, 4, 5, 12, 13, 30)] == [None, "1–4", "1–4", "5–12", "5–12", "13+", "13+"]
    assert days_histogram([1, 1, 3, 30, 31, 0]) == [2, 0, 1] + [0] * 26 + [1]
    assert (trend(11, 10).direction, trend(9, 10).direction, trend(10.5, 10).direction) == ("up", "down", "flat")
    assert trend(11, 10).change == pytest.approx(0.1)
    assert trend(3, 0) == trend(3, 0) and trend(3, 0).direction == "up" and trend(3, 0).change is None
    assert trend(0, 0).direction == "flat"


def _example() -> dict[date, dict[str, tuple[int, int]]]:
    return {day(1): {"ann": (3, 100), "bob": (1, 0)}, day(2): {"ann": (2, 50)}, day(4): {"cat": (1, 0)}}


def test_tenant_rows_hold_windows_bands_and_running_sums() -> None:
    seen = {"ann": day(1), "bob": day(1), "cat": day(4)}
    rows = tenant_day_figures(_example(), seen, day(1), Cumulative())
    assert [r.day for r in rows] == [day(n) for n in range(1, 34)]  # up to 29 days after cat's only day
    first, second, third, fourth = rows[:4]
    assert (first.dau, first.wau, first.mau, first.events, first.ms, first.new_visitors) == (2, 2, 2, 4, 100, 2)
    assert (second.dau, second.mau, second.events, second.ms, second.new_visitors) == (1, 2, 2, 50, 0)
    assert (third.dau, third.mau, third.active_days) == (0, 2, 2)
    assert (fourth.dau, fourth.wau, fourth.mau, fourth.new_visitors, fourth.active_days) == (1, 3, 3, 1, 3)
    assert first.days_hist[:3] == [2, 0, 0] and second.days_hist[:3] == [1, 1, 0]
    assert fourth.days_hist[:3] == [2, 1, 0]  # ann twice, bob and cat once
    assert fourth.cum == Cumulative(1 + 0.5 + 0 + 1 / 3, 4.0, 4, 4)
    # day 31: bob (day 1) has left the month; day 32 and 33: only cat
    assert [(r.mau, r.wau) for r in rows[30:]] == [(2, 0), (1, 0), (1, 0)]
    dau_mau, wau_mau = range_stickiness(fourth.cum, Cumulative())
    assert dau_mau == pytest.approx((1 + 0.5 + 0 + 1 / 3) / 4) and wau_mau == 1.0
    assert range_stickiness(second.cum, first.cum) == (0.5, 1.0)
    assert range_average(fourth.cum, Cumulative(), 4) == 1.0


def test_recomputing_from_a_later_day_continues_the_running_sums() -> None:
    seen = {"ann": day(1), "bob": day(1), "cat": day(4)}
    whole = tenant_day_figures(_example(), seen, day(1), Cumulative())
    tail = tenant_day_figures(_example(), seen, day(3), whole[1].cum)
    assert [(r.day, r.mau, r.cum) for r in tail] == [(r.day, r.mau, r.cum) for r in whole[2:]]
    assert tenant_day_figures({}, {}, day(1), Cumulative()) == []
    assert tenant_day_figures({day(1): {"ann": (1, 0)}}, {}, day(40), Cumulative()) == []


def test_exact_inputs_count_the_range_by_hand() -> None:
    active = [(d, tenant, v, events, ms) for d, who in _example().items() for v, (events, ms) in who.items()
              for tenant in ["acme" if v != "cat" else "globex"]]
    keyed = [(day(1), "ann", "feature", "export", 2, 0), (day(4), "cat", "feature", "export", 1, 0),
             (day(2), "ann", "page", "invoices", 1, 900), (day(2), "bob", "page", "invoices", 0, 300),
             (day(1), "ann", "browser", "Firefox", 1, 0), (day(4), "cat", "browser", "Chrome", 2, 0)]
    inputs = exact_inputs(active, keyed, {"cat": day(4)}, day(1), day(4))
    assert inputs.days == [day(1), day(2), day(3), day(4)]
    assert (inputs.dau, inputs.wau, inputs.mau) == ([2, 1, 0, 1], [2, 2, 2, 3], [2, 2, 2, 3])
    assert (inputs.events, inputs.ms, inputs.new) == ([4, 2, 0, 1], [100, 50, 0, 0], [0, 0, 0, 1])
    assert inputs.active_visitors == 3
    assert inputs.keys["feature"]["export"] == (3, 2, 0)
    assert inputs.keys["page"]["invoices"] == (1, 1, 1200)  # time without a view is time, not a visitor
    assert inputs.days_active[:3] == [2, 1, 0]
    assert inputs.bands == Counter({"1–4": 2})  # acme on 2 days, globex on 1
    report = assemble(inputs, tenant=None, segment=None, page_names={"invoices": "Invoices"},
                      feature_names={"export": "Export", "unused": "Unused"}, publications=[], pending_days=0)
    assert report.stickiness_dau_mau == round((1 + 0.5 + 0 + 1 / 3) / 4, 4) and report.stickiness_wau_mau == 1.0
    assert (report.active_visitors, report.new_visitors, report.returning_visitors) == (3, 1, 2)
    assert report.average_dau == 1.0 and report.ms_per_active_day == 37.5
    assert [(f.id, f.visitors, f.adoption) for f in report.features] == [("export", 2, 0.6667), ("unused", 0, 0.0)]
    assert [(p.id, p.views, p.ms_per_view) for p in report.pages] == [("invoices", 1, 1200.0)]
    assert [(b.key, b.visitors, b.share) for b in report.browsers] == [("Chrome", 1, 0.3333), ("Firefox", 1, 0.3333)]
    assert [(b.band, b.tenants) for b in report.bands] == [("1–4", 2), ("5–12", 0), ("13+", 0)]


def test_summary_inputs_agree_with_exact_ones_on_small_sets() -> None:
    rng = random.Random(3)
    people = [f"v{i}" for i in range(40)]
    active, keyed = [], []
    for n in range(1, 61):
        for v in rng.sample(people, rng.randrange(0, 12)):
            active.append((day(n), "t" + v[-1], v, 2, 10))
            if rng.random() < 0.5:
                keyed.append((day(n), v, "feature", "export", 1, 0))
    start, end = day(31), day(60)
    exact = exact_inputs(active, keyed, {}, start, end)
    rows = []
    for n in range(1, 61):
        who = {v for d, _, v, _, _ in active if d == day(n)}
        rows.append((day(n), "active", "", len(who), 2 * len(who), 10 * len(who), 0, sketch_of(who) if who else None,
                     None, None))
        users = {v for d, v, *_ in keyed if d == day(n)}
        if users:
            rows.append((day(n), "feature", "export", len(users), len(users), 0, 0, sketch_of(users), None, None))
    summarised = summary_inputs(rows, None, [], start, end)  # no stored windows: unions of the sketches
    for name in ("days", "dau", "wau", "mau", "events", "ms", "active_visitors", "keys"):
        assert getattr(summarised, name) == getattr(exact, name), name
    assert summarised.estimated and not exact.estimated
    # stored windows (as the refresh writes them) are used as they are, without the days before the range
    stored = [(r[0], *r[1:8], 100 + i, 200 + i) if r[1] == "active" and r[0] >= start else r
              for i, r in enumerate(rows)]
    in_range = [r for r in stored if r[0] >= start]
    taken = summary_inputs(in_range, ([1, 2] + [0] * 28, [3, 0, 1]), [], start, end)
    assert taken.wau == [r[8] for r in in_range if r[1] == "active"] and taken.dau == exact.dau
    assert taken.days_active[:2] == [1, 2] and taken.bands == Counter({"1–4": 3, "13+": 1})
    # one day of the range without its stored windows: every window is a union of the sketches again
    unfinished = [(*r[:8], None, None) if r[0] == start and r[1] == "active" else r for r in stored]
    again = summary_inputs(unfinished, None, [], start, end)
    assert (again.wau, again.mau) == (exact.wau, exact.mau)


def test_sketches_are_exact_when_small_and_close_when_large() -> None:
    assert union_count([sketch_of(["a", "b"]), sketch_of(["b", "c"]), None]) == 3
    assert union_count([]) == 0
    assert window_counts([sketch_of(["a"]), None, sketch_of(["b"]), sketch_of(["a"])], 2) == [1, 1, 1, 2]
    big = [sketch_of(f"v{i}" for i in range(k * 5000, k * 5000 + 8000)) for k in range(4)]
    assert abs(union_count(big) - 23_000) / 23_000 < 0.05
