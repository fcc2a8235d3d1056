"""Who an NPS survey asks and when: sample, re-survey interval, spread, dismissal; and its guide file checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from waymark.guides.compiler import CompiledGuide
from waymark.guides.frequency import GuideState
from waymark.guides.kinds.survey_plan import SurveyPlan
from waymark.guides.loader import validate_sources
from waymark.guides.schemas import SurveyRules

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
NPS = """id: nps-q2
name: NPS
kind: nps
snooze_days: 3
survey: {sample: 0.5, resurvey_days: 90}
steps:
  - type: nps
    follow_up:
      default: {en: "What is the main reason?", fr: "Pourquoi ?"}
      detractor: "What should we fix first?"
"""


def test_answer_waits_for_the_resurvey_interval() -> None:
    plan = SurveyPlan("nps", SurveyRules(resurvey_days=90), 3, None)
    answered = GuideState(status="completed", last_seen_at=NOW, completed_at=NOW)
    assert not plan.may_ask("v", answered, NOW + timedelta(days=89))
    assert plan.may_ask("v", answered, NOW + timedelta(days=90))


def test_dismissal_is_not_an_answer_and_asks_again_after_the_snooze() -> None:
    plan = SurveyPlan("nps", None, 3, None)
    dismissed = GuideState(status="dismissed", last_seen_at=NOW)
    assert not plan.may_ask("v", dismissed, NOW + timedelta(days=2))
    assert plan.may_ask("v", dismissed, NOW + timedelta(days=3))
    assert plan.may_ask("v", GuideState(), NOW)


def test_spread_gives_each_visitor_a_stable_turn_inside_the_window() -> None:
    plan = SurveyPlan("nps", SurveyRules(spread_days=10), None, NOW)
    turns = [plan.turn(f"v{i}") for i in range(1000)]
    assert all(t is not None and NOW <= t < NOW + timedelta(days=10) for t in turns)
    assert turns == [plan.turn(f"v{i}") for i in range(1000)]
    on_day_one = sum(t is not None and t < NOW + timedelta(days=1) for t in turns)
    assert 50 <= on_day_one <= 150  # about a tenth, not everyone on release day
    late = next(f"v{i}" for i, t in enumerate(turns) if t is not None and t > NOW + timedelta(days=5))
    assert not plan.may_ask(late, GuideState(), NOW + timedelta(days=1))
    assert plan.may_ask(late, GuideState(), NOW + timedelta(days=10))


def test_sample_is_stable_and_holds_its_share() -> None:
    plan = SurveyPlan("nps", SurveyRules(sample=0.2), None, None)
    inside = [plan.sampled(f"visitor-{i}") for i in range(10_000)]
    assert abs(sum(inside) - 2000) <= 200
    assert inside == [plan.sampled(f"visitor-{i}") for i in range(10_000)]


def test_nps_guide_compiles_for_the_widget_with_follow_ups_per_category() -> None:
    loaded, errors = validate_sources([("nps.yaml", NPS)])
    assert errors == []
    guide = CompiledGuide(loaded[0].guide, 1)
    assert guide.survey is not None and guide.survey.sample == 0.5
    step = guide._localised("fr")["steps"][0]
    assert step["type"] == "nps"
    assert step["title"].startswith("How likely")
    assert step["follow_up"] == {"promoter": "Pourquoi ?", "passive": "Pourquoi ?",
                                 "detractor": "What should we fix first?"}


def test_survey_mistakes_are_reported_with_their_place() -> None:
    bad = """id: bad
name: Bad
kind: walkthrough
survey: {sample: 0.5}
steps:
  - type: nps
  - type: poll
    question: q1
    input: single
    options: [{id: a, label: A}]
  - type: poll
    title: Rate it
    question: q1
    input: rating
    options: [{id: a, label: A}, {id: b, label: B}]
"""
    _, errors = validate_sources([("bad.yaml", bad)])
    found = {(e.field, e.message) for e in errors}
    assert ("survey", "only allowed when kind is nps") in found
    assert ("steps[0].type", "an nps step belongs to a guide of kind nps") in found
    assert ("steps[1].title", "a poll step needs a title (its question)") in found
    assert ("steps[1].options", "single and multiple choice need 2 to 20 options") in found
    assert ("steps[2].question", "duplicate question id 'q1' (also steps[1])") in found
    assert ("steps[2].options", "only allowed when input is single or multiple") in found
    spread = NPS.replace("resurvey_days: 90}", "resurvey_days: 90, spread_days: 7}")
    _, errors = validate_sources([("nps.yaml", spread)])
    assert [(e.field, e.line) for e in errors] == [("survey.spread_days", 5)]
