"""The demo's tenants and their planned history, without a database: who they are and what they did."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from waymark.events.schemas import GroupEvent, IdentifyEvent
from waymark.events.services import event_type
from waymark_demo.history import PolicyRule, plan_history
from waymark_demo.population import INDUSTRIES, TENANTS, everyone, tenant_traits, visitor_traits

VERSIONS = {g: 1 for g in ("welcome-tour", "export-tip", "help-tooltip", "nps-survey", "settings-banner",
                           "settings-poll", "admin-announcement", "terms-of-use", "umbrella-data-rules", "send-tip")}
HOLDOUTS = {"send-tip": (0.25, False)}
POLICIES = [PolicyRule("terms-of-use", None, False), PolicyRule("umbrella-data-rules", "umbrella", True)]
END = date(2026, 3, 31)


def test_at_least_twenty_tenants_in_three_industries_one_too_small_for_a_benchmark() -> None:
    industries = Counter(t.industry for t in TENANTS)
    assert len(TENANTS) >= 20 and len({t.id for t in TENANTS}) == len(TENANTS)
    assert set(industries) == set(INDUSTRIES) and len(industries) == 3
    assert sorted(industries.values())[0] < 5 <= sorted(industries.values())[1]
    assert {"acme", "globex", "initech", "umbrella"} <= {t.id for t in TENANTS}  # the host page's named tenants
    for tenant in TENANTS:
        assert {"industry", "plan", "size", "crm_id", "name"} <= set(tenant_traits(tenant))
    people = everyone()
    assert len({v.id for v in people}) == len(people)
    assert {"role", "locale", "browser"} <= set(visitor_traits(people[0]))
    assert len({v.browser for v in people}) > 1 and len({v.locale for v in people}) > 1


def test_the_plan_is_the_same_every_time_with_ids_a_second_run_recognises() -> None:
    first = plan_history(END, VERSIONS, POLICIES, HOLDOUTS, days=14)
    again = plan_history(END, VERSIONS, POLICIES, HOLDOUTS, days=14)
    assert first == again
    ids = [e.id for e in first.events]
    assert len(ids) == len(set(ids)) and max(map(len, ids)) <= 64
    assert [e.ts for e in first.events] == sorted(e.ts for e in first.events)
    assert all(END - timedelta(days=13) <= e.ts.date() <= END for e in first.events)


def test_the_history_holds_every_kind_of_event_and_decision() -> None:
    plan = plan_history(END, VERSIONS, POLICIES, HOLDOUTS)
    kinds = Counter(event_type(e) for e in plan.events)
    for kind in ("page", "click", "time", "track", "identify", "group", "guide_seen", "guide_step_advanced",
                 "guide_completed", "guide_dismissed", "guide_snoozed", "guide_anchor_missing", "nps_response",
                 "poll_response"):
        assert kinds[kind] > 0, kind
    assert {e.tenant for e in plan.events if isinstance(e, GroupEvent)} == {t.id for t in TENANTS}
    assert {e.visitor for e in plan.events if isinstance(e, IdentifyEvent)} == {v.id for v in everyone()}
    decided = Counter((d.policy, d.decision) for d in plan.decisions)
    assert decided[("terms-of-use", "accepted")] > 0 and decided[("umbrella-data-rules", "declined")] > 0
    assert not decided[("terms-of-use", "declined")]  # that policy cannot be declined
    assert {d.tenant for d in plan.decisions if d.policy == "umbrella-data-rules"} == {"umbrella"}
    pending = len(everyone()) - sum(n for (policy, _), n in decided.items() if policy == "terms-of-use")
    assert pending > 0  # some visitors never decided: the policy report has names to show


def test_a_guide_that_is_not_published_is_never_shown() -> None:
    plan = plan_history(END, {k: v for k, v in VERSIONS.items() if k != "nps-survey"}, POLICIES[:1], days=14)
    assert not [e for e in plan.events if getattr(e, "guide", None) == "nps-survey"]
    assert {d.policy for d in plan.decisions} == {"terms-of-use"}


def test_a_guide_that_holds_visitors_out_never_shows_them_it_and_the_others_see_it() -> None:
    plan = plan_history(END, VERSIONS, POLICIES, HOLDOUTS)
    held = {h.visitor for h in plan.held if h.guide == "send-tip"}
    seen = {e.visitor for e in plan.events if event_type(e) == "guide_seen" and getattr(e, "guide", "") == "send-tip"}
    assert held and seen and not held & seen
    assert 0.1 < len(held) / len(held | seen) < 0.4  # a quarter, give or take
    assert not plan_history(END, VERSIONS, POLICIES, {}).held  # no holdout declared: everyone may see it
