"""Alert rules without I/O: what is refused (naming the field), the periods judged, and breaches."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import pytest

from waymark.alerts.rules import (
    Period,
    RuleError,
    breached,
    change_percent,
    check_rule,
    judged_period,
    last_complete,
    previous,
)

GOOD: dict[str, Any] = {"name": "Quiet day", "metric": "active_visitors", "target": "", "period": "day",
                        "condition": "below", "value": 10}


def test_a_good_rule_is_kept_with_its_target_written_canonically() -> None:
    rule = check_rule(**{**GOOD, "name": "  Signups   dropped ", "metric": "event_count",
                         "target": " event:Signup ", "condition": "falls_by", "value": 30})
    assert (rule.name, rule.target, rule.value) == ("Signups dropped", "event:Signup", 30.0)
    assert check_rule(**{**GOOD, "metric": "event_count", "target": "guide:tour:seen"}).target == "guide:tour:seen"
    assert check_rule(**{**GOOD, "metric": "nps", "target": "nps-q3", "condition": "below", "value": -20}).value == -20
    funnel = check_rule(**{**GOOD, "metric": "funnel_conversion", "value": 25,
                           "target": " steps=event:Signup, page:billing&count=tenants&exclude=event:Cancel "})
    assert funnel.target == "steps=event:Signup,page:billing&window_days=7&count=tenants&exclude=event:Cancel"


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"name": "  "}, "name", "1 to 100 characters"),
    ({"name": "x" * 101}, "name", "1 to 100 characters"),
    ({"metric": "funnel_conversion"}, "target", "as in its report's address"),
    ({"metric": "funnel_conversion", "target": "steps=event:A"}, "target", "give 2 to 10"),
    ({"metric": "funnel_conversion", "target": "steps=event:A,event:B&from=2026-01-01"}, "target",
     "'from' has no place in a funnel rule"),
    ({"metric": "funnel_conversion", "target": "steps=event:A,event:B&steps=event:C,event:D"}, "target", "twice"),
    ({"metric": "funnel_conversion", "target": "event:A,event:B"}, "target", "name=value pairs"),
    ({"metric": "funnel_conversion", "target": "steps=event:A,event:B&window_days=91"}, "target", "out of bounds"),
    ({"metric": "funnel_conversion", "target": "steps=event:A,event:B", "value": 101}, "value", "from 0 to 100"),
    ({"metric": "revenue"}, "metric", "not a metric"),
    ({"period": "month"}, "period", "use day or week"),
    ({"condition": "equals"}, "condition", "not a condition"),
    ({"value": math.nan}, "value", "finite"),
    ({"value": math.inf}, "value", "finite"),
    ({"value": True}, "value", "finite"),
    ({"value": -1}, "value", "from 0"),
    ({"metric": "nps", "target": "s", "value": 101}, "value", "from -100 to 100"),
    ({"metric": "policy_coverage", "target": "terms", "value": 120}, "value", "from 0 to 100"),
    ({"condition": "rises_by", "value": 0}, "value", "above 0"),
    ({"condition": "falls_by", "value": -5}, "value", "above 0"),
    ({"target": "event:Signup"}, "target", "leave the target empty"),
    ({"metric": "event_count", "target": ""}, "target", "name what to count"),
    ({"metric": "event_count", "target": "signup"}, "target", "not understood"),
    ({"metric": "event_count", "target": "event:Signup[plan=pro]"}, "target", "drop the [property=value]"),
    ({"metric": "event_count", "target": "guide:tour:completed"}, "target", "guides seen"),
    ({"metric": "nps", "target": "no spaces"}, "target", "survey's guide id"),
    ({"metric": "policy_coverage", "target": ""}, "target", "policy id"),
])
def test_a_wrong_field_is_named(change: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(RuleError) as refused:
        check_rule(**{**GOOD, **change})
    assert refused.value.field == field and words in refused.value.message


def test_the_last_complete_day_and_week() -> None:
    wednesday = datetime(2026, 12, 2, 0, 0, 1, tzinfo=UTC)
    assert last_complete(wednesday, "day") == Period(date(2026, 12, 1), date(2026, 12, 1))
    assert last_complete(wednesday, "week") == Period(date(2026, 11, 23), date(2026, 11, 29))  # Mon..Sun
    monday = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
    assert last_complete(monday, "week") == Period(date(2026, 11, 23), date(2026, 11, 29))
    assert previous(Period(date(2026, 11, 23), date(2026, 11, 29))) == Period(date(2026, 11, 16), date(2026, 11, 22))


def test_a_funnel_rule_judges_the_last_period_whose_windows_have_closed() -> None:
    wednesday = datetime(2026, 12, 2, 0, 0, 1, tzinfo=UTC)
    three_days = "steps=event:A,event:B&window_days=3"
    assert judged_period(wednesday, "day", "funnel_conversion", three_days) == Period(date(2026, 11, 28),
                                                                                      date(2026, 11, 28))
    assert judged_period(wednesday, "week", "funnel_conversion", three_days) == Period(date(2026, 11, 16),
                                                                                       date(2026, 11, 22))
    assert judged_period(wednesday, "day", "event_count", "event:A") == last_complete(wednesday, "day")
    assert previous(Period(date(2026, 12, 1), date(2026, 12, 1))) == Period(date(2026, 11, 30), date(2026, 11, 30))


def test_breaches() -> None:
    assert breached("above", 10, 11, None) and not breached("above", 10, 10, None)
    assert breached("below", 10, 9, None) and not breached("below", 10, 10, None)
    assert breached("above", 10, None, None) is None  # nothing to judge
    assert change_percent(6, 4) == 50 and change_percent(3, 4) == -25 and change_percent(1, 0) is None
    assert breached("rises_by", 50, 6, 4) and not breached("rises_by", 50, 5.9, 4)
    assert breached("falls_by", 25, 3, 4) and not breached("falls_by", 25, 3.1, 4)
    assert breached("falls_by", 25, 3, None) is None and breached("rises_by", 10, 5, 0) is None
    assert breached("falls_by", 50, -20, -10)  # a negative NPS halving again: down by 100 %
