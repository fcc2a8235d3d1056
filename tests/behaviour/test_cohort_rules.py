"""Cohort rules and the `field: cohort` targeting condition, without a database."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from waymark.behaviour.cohort_rules import Did, FirstSeenWithin, NotDid, compile_cohort_rule, window_start
from waymark.behaviour.refs import parse_ref
from waymark.guides.targeting import COHORTS, RuleError, cohort_refs, compile_rule


def in_cohorts(*ids: str) -> dict[str, Any]:
    return {"id": "v", COHORTS: frozenset(ids)}


def test_cohort_conditions_match_the_visitors_cohorts() -> None:
    one = compile_rule({"field": "cohort", "op": "in", "value": "churn-risk"})
    some = compile_rule({"field": "cohort", "op": "in", "value": ["a", "b"]})
    none = compile_rule({"field": "cohort", "op": "not_in", "value": ["a", "b"]})
    assert one(in_cohorts("churn-risk", "x"), {}) and not one(in_cohorts("x"), {})
    assert some(in_cohorts("b"), {}) and not some(in_cohorts("c"), {})
    assert none(in_cohorts("c"), {}) and not none(in_cohorts("a"), {})
    # No cohorts known (another caller than delivery): a member of none.
    assert not one({"id": "v"}, {}) and none({"id": "v"}, {})
    # Metadata named like the key is not a set of cohorts unless delivery put it there.
    assert not one({"cohort": "churn-risk"}, {"cohort": "churn-risk"})


@pytest.mark.parametrize(("rule", "field", "message_part"), [
    ({"field": "cohort", "op": "eq", "value": "a"}, "segment.op", "in or not_in"),
    ({"field": "cohort", "op": "in"}, "segment.value", "cohort id"),
    ({"field": "cohort", "op": "in", "value": []}, "segment.value", "non-empty list"),
    ({"field": "cohort", "op": "in", "value": 3}, "segment.value", "cohort id"),
    ({"field": "cohort", "op": "in", "value": ["ok", "Not OK"]}, "segment.value[1]", "lower-case"),
    ({"field": "cohort", "op": "not_in", "value": "x" * 65}, "segment.value", "1 to 64"),
    ({"field": "cohort", "op": "in", "value": "a", "tenant": "t"}, "segment.tenant", "unknown key"),
    ({"all": [{"field": "visitor.plan", "op": "eq", "value": "pro"}, {"field": "cohort", "op": "gt", "value": "a"}]},
     "segment.all[1].op", "in or not_in"),
])
def test_bad_cohort_conditions_name_the_part(rule: Any, field: str, message_part: str) -> None:
    with pytest.raises(RuleError) as caught:
        compile_rule(rule)
    assert caught.value.field == field
    assert message_part in caught.value.message


def test_cohort_refs_lists_every_cohort_with_its_path() -> None:
    rule = {"all": [{"field": "cohort", "op": "in", "value": "a"},
                    {"not": {"any": [{"field": "visitor.x", "op": "exists"},
                                     {"field": "cohort", "op": "not_in", "value": ["b", "c"]}]}}]}
    assert cohort_refs(rule, "targeting.segment") == [
        ("targeting.segment.all[0].value", "a"),
        ("targeting.segment.all[1].not.any[1].value[0]", "b"),
        ("targeting.segment.all[1].not.any[1].value[1]", "c"),
    ]
    assert cohort_refs(None) == [] and cohort_refs({"field": "visitor.a", "op": "eq", "value": 1}) == []


def test_window_start_counts_today_as_one_day() -> None:
    assert window_start(date(2026, 3, 14), 1) == date(2026, 3, 14)
    assert window_start(date(2026, 3, 14), 14) == date(2026, 3, 1)
    assert window_start(date(2026, 3, 1), 2) == date(2026, 2, 28)


def test_a_rule_compiles_its_behavioural_conditions_once_each() -> None:
    rule = compile_cohort_rule({"any": [
        {"did": "feature:export", "at_least": 3, "days": 14},
        {"all": [{"not_did": "page:billing", "days": 30}, {"first_seen_within": 7}]},
        {"did": "feature:export", "at_least": 3, "days": 14},
    ]})
    assert rule.conditions == (Did(parse_ref("feature:export"), 3, 14), NotDid(parse_ref("page:billing"), 30),
                               FirstSeenWithin(7))
    assert not rule.uses_metadata
    assert rule.predicate({}, {}, {0})
    assert rule.predicate({}, {}, {1, 2}) and not rule.predicate({}, {}, {1}) and not rule.predicate({}, {}, set())
    assert compile_cohort_rule({"did": "guide:tour", "days": 3}).conditions == (Did(parse_ref("guide:tour"), 1, 3),)


def test_metadata_conditions_combine_with_behaviour() -> None:
    rule = compile_cohort_rule({"all": [{"did": "event:Signup", "days": 7},
                                        {"not": {"field": "tenant.plan", "op": "in", "value": ["free"]}}]})
    assert rule.uses_metadata
    assert rule.predicate({}, {"plan": "pro"}, {0}) and not rule.predicate({}, {"plan": "free"}, {0})
    assert not rule.predicate({}, {"plan": "pro"}, set())


@pytest.mark.parametrize(("raw", "field", "message_part"), [
    ({"did": "feature:export", "at_least": 3}, "rule.days", "required"),
    ({"did": "feature:export", "days": 401}, "rule.days", "1 to 400"),
    ({"did": "feature:export", "days": True}, "rule.days", "1 to 400"),
    ({"did": "feature:export", "days": "7"}, "rule.days", "1 to 400"),
    ({"did": "feature:export", "days": 7, "at_least": 0}, "rule.at_least", "1 to"),
    ({"did": "feature:export", "days": 7, "at_least": 2.5}, "rule.at_least", "1 to"),
    ({"did": 3, "days": 7}, "rule.did", "reference"),
    ({"did": "feature:", "days": 7}, "rule.did", "feature id"),
    ({"did": "event:Signup[plan=pro]", "days": 7}, "rule.did", "property"),
    ({"did": "guide:tour:dismissed", "days": 7}, "rule.did", "guides seen"),
    ({"not_did": "page:a", "days": 7, "at_least": 2}, "rule.at_least", "unknown key"),
    ({"first_seen_within": 0}, "rule.first_seen_within", "1 to 400"),
    ({"first_seen_within": 7, "did": "page:a", "days": 3}, "rule.first_seen_within", "unknown key"),
    ({"not": [{"first_seen_within": 7}]}, "rule.not", "a rule is"),
    ({"all": [{"first_seen_within": 7}], "any": []}, "rule.any", "no other key"),
    ({"any": [{"first_seen_within": 7}, {"field": "visitor.plan", "op": "eqq", "value": 1}]}, "rule.any[1].op",
     "unknown op"),
    ({"field": "cohort", "op": "in", "value": "a"}, "rule.field", "cannot refer to a cohort"),
    ([], "rule", "a rule is"),
])
def test_bad_cohort_rules_name_the_part(raw: Any, field: str, message_part: str) -> None:
    with pytest.raises(RuleError) as caught:
        compile_cohort_rule(raw)
    assert caught.value.field == field
    assert message_part in caught.value.message


_LEAVES = st.sampled_from([
    {"did": "feature:export", "days": 3}, {"not_did": "page:a", "days": 5}, {"first_seen_within": 2},
    {"field": "visitor.plan", "op": "eq", "value": "pro"},
])
_RULES = st.recursive(_LEAVES, lambda inner: st.one_of(
    st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
    st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
    st.builds(lambda x: {"not": x}, inner)), max_leaves=6)


def _reference(raw: Any, visitor: dict[str, Any], facts: dict[str, bool]) -> bool:
    """The rule read literally: a brute-force evaluator to hold the compiled predicate to."""
    if "all" in raw:
        return all(_reference(x, visitor, facts) for x in raw["all"])
    if "any" in raw:
        return any(_reference(x, visitor, facts) for x in raw["any"])
    if "not" in raw:
        return not _reference(raw["not"], visitor, facts)
    if "field" in raw:
        return bool(visitor.get("plan") == "pro")
    return facts[next(iter(raw))]


@given(_RULES, st.booleans(), st.booleans(), st.booleans(), st.sampled_from(["pro", "free", None]))
def test_compiled_rules_agree_with_a_literal_reading(raw: Any, did: bool, not_did: bool, new: bool,
                                                     plan: str | None) -> None:
    rule = compile_cohort_rule(raw)
    truth = {"did": did, "not_did": not_did, "first_seen_within": new}
    facts = {i for i, c in enumerate(rule.conditions)
             if truth["did" if isinstance(c, Did) else "not_did" if isinstance(c, NotDid) else "first_seen_within"]}
    visitor = {"plan": plan} if plan else {}
    assert rule.predicate(visitor, {}, facts) == _reference(raw, visitor, truth)
