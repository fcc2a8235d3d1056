"""Alert rules judged on real data on SQLite and PostgreSQL: once per breach, percentage change, the metrics."""

from __future__ import annotations

from datetime import timedelta

from litestar.testing import AsyncTestClient

from tests.analytics.summary_helpers import ago, on, send, today
from tests.behaviour.alerts_helpers import evaluate_on, firings_of, make_rule, messages_of
from tests.support import make_app, push
from tests.surveys.helpers import NPS, answer, seen
from tests.webhooks.helpers import endpoint, own_sessionmaker
from waymark.settings import Settings


def _visitors(day_ago: int, count: int) -> list[dict[str, object]]:
    return [on("page", f"v{day_ago}-{n}", "acme", day_ago) for n in range(count)]


async def test_a_rule_fires_once_per_breach(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    async with own_sessionmaker(settings) as sessionmaker:
        await endpoint(sessionmaker, app.id, "https://hooks.example.test/waymark")
    # active visitors by day, 6 days ago to yesterday: 5, 1, 1, 5, 2 (the rule: below 3)
    await send(client, app.public_key, *_visitors(6, 5), *_visitors(5, 1), *_visitors(4, 1), *_visitors(3, 5),
               *_visitors(2, 2), on("page", "v2-0", "acme", 2))  # a second view the same day is one visitor
    rule = await make_rule(client, app.secret_key, name="Quiet", metric="active_visitors", period="day",
                           condition="below", value=3)

    assert (await evaluate_on(settings, ago(5))).fired == []  # judges 6 days ago: 5 visitors
    first = await evaluate_on(settings, ago(4))  # judges 5 days ago: 1 visitor, a breach
    assert first.ran and first.rules == 1 and len(first.fired) == 1
    assert (await evaluate_on(settings, ago(4))).fired == []  # the same period again: no second firing
    assert (await evaluate_on(settings, ago(3))).fired == []  # 4 days ago: still 1, the same breach going on
    [fired] = await firings_of(settings, app.id)
    assert (fired.rule_id, fired.period_start, fired.period_end, fired.value) == (rule, ago(5), ago(5), 1.0)
    assert fired.recovered_at is None
    assert (await evaluate_on(settings, ago(2))).fired == []  # 3 days ago: 5 visitors, recovered
    assert (await firings_of(settings, app.id))[0].recovered_at is not None
    again = await evaluate_on(settings, ago(1))  # 2 days ago: 2 visitors (two views of v2-0 count once): anew
    assert len(again.fired) == 1
    assert [(f.period_start, f.value) for f in await firings_of(settings, app.id)] == [(ago(5), 1.0), (ago(2), 2.0)]
    assert (await evaluate_on(settings, ago(1))).fired == []
    kinds = [(kind, data["period"]["start"], data["value"]) for kind, data in await messages_of(settings, app.id)]
    assert kinds == [("alert.fired", ago(5).isoformat(), 1.0), ("alert.recovered", ago(3).isoformat(), 5.0),
                     ("alert.fired", ago(2).isoformat(), 2.0)]
    listed = (await client.get("/api/v1/alerts/firings", headers={"Authorization": f"Bearer {app.secret_key}"}))
    assert [(f["rule_name"], f["period_start"]) for f in listed.json()] == [
        ("Quiet", ago(2).isoformat()), ("Quiet", ago(5).isoformat())]


async def test_a_percentage_change_against_the_previous_period(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    signups = {4: 4, 3: 6, 2: 8, 1: 4}  # days ago → Signup events (page views never count)
    await send(client, app.public_key, *(on("track", f"s{d}-{n}", "acme", d, name="Signup")
                                         for d, count in signups.items() for n in range(count)),
               on("track", "x", "acme", 3, name="Other"), on("page", "y", "acme", 3))
    rises = await make_rule(client, app.secret_key, name="Surge", metric="event_count", target="event:Signup",
                            period="day", condition="rises_by", value=50)
    falls = await make_rule(client, app.secret_key, name="Drop", metric="event_count", target="event:Signup",
                            period="day", condition="falls_by", value=50)
    assert (await evaluate_on(settings, ago(3))).fired == []  # 4 → 4 days before: no base (0) for a change
    assert len((await evaluate_on(settings, ago(2))).fired) == 1  # 4 → 6: +50 %, rises by 50
    assert (await evaluate_on(settings, ago(1))).fired == []  # 6 → 8: +33 %, recovered
    assert len((await evaluate_on(settings, today())).fired) == 1  # 8 → 4: −50 %, falls by 50
    fired = await firings_of(settings, app.id)
    assert [(f.rule_id, f.period_start, f.value, f.previous) for f in fired] == [
        (rises, ago(3), 6.0, 4.0), (falls, ago(1), 4.0, 8.0)]


async def test_a_weekly_rule_judges_the_last_whole_week(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    monday = today() - timedelta(days=today().weekday())
    last_week = monday - timedelta(days=7)
    days = [(last_week + timedelta(days=d)) for d in (0, 3, 6)]
    events = [on("page", v, "acme", (today() - day).days) for day, v in zip(days, ("a", "b", "a"), strict=True)]
    await send(client, app.public_key, *events, on("page", "now", "acme", 0))
    await make_rule(client, app.secret_key, name="Weekly", metric="active_visitors", period="week",
                    condition="above", value=1)
    result = await evaluate_on(settings, monday + timedelta(days=1))
    [fired] = await firings_of(settings, app.id)
    assert len(result.fired) == 1
    assert (fired.period_start, fired.period_end, fired.value) == (last_week, last_week + timedelta(days=6), 2.0)


async def test_nps_and_policy_coverage_are_watched(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    auth = {"Authorization": f"Bearer {app.secret_key}"}
    assert (await push(client, app.secret_key, {"nps.yaml": NPS.format(sample=1.0)})).status_code == 200
    policy = {"version": 1, "title": {"en": "Terms"}, "body": {"en": "Be kind."}}
    assert (await client.put("/api/v1/policies/terms", json=policy, headers=auth)).status_code == 200
    await send(client, app.public_key, *(seen(v) for v in ("ana", "ben", "cy", "dee")),
               answer("nps_response", "ana", score=10), answer("nps_response", "ben", score=3),
               answer("nps_response", "cy", score=2, seconds=2), answer("nps_response", "cy", score=9, seconds=3))
    for visitor, decision in (("ana", "accepted"), ("cy", "accepted")):
        decided = await client.post("/api/v1/policies/terms/decisions", headers=auth, json={
            "id": f"d-{visitor}", "visitor": visitor, "tenant": "acme", "version": 1, "decision": decision})
        assert decided.status_code == 200, decided.text
    # NPS today: ana 10, ben 3, cy's latest 9 → 2 promoters, 1 detractor of 3 → 33.33
    await make_rule(client, app.secret_key, name="NPS", metric="nps", target="nps", period="day",
                    condition="below", value=40)
    # coverage: ana, ben, cy, dee were active; ana and cy accepted (ben and dee did not decide) → 50 %
    await make_rule(client, app.secret_key, name="Terms", metric="policy_coverage", target="terms", period="day",
                    condition="below", value=60)
    await make_rule(client, app.secret_key, name="Not yet", metric="nps", target="nps", period="day",
                    condition="below", value=30)
    result = await evaluate_on(settings, today() + timedelta(days=1))
    assert len(result.fired) == 2
    rules = {r["name"]: r for r in (await client.get("/api/v1/alerts", headers=auth)).json()}
    assert rules["NPS"]["last_value"] == 33.33 and rules["NPS"]["in_breach"]
    assert rules["Terms"]["last_value"] == 50.0 and rules["Terms"]["in_breach"]
    assert rules["Not yet"]["last_value"] == 33.33 and not rules["Not yet"]["in_breach"]
    # a day without answers has no NPS: nothing is judged, nothing changes
    await evaluate_on(settings, today() + timedelta(days=2))
    rules = {r["name"]: r for r in (await client.get("/api/v1/alerts", headers=auth)).json()}
    assert rules["NPS"]["last_value"] is None and rules["NPS"]["in_breach"]


async def test_a_funnels_conversion_is_judged_once_its_window_has_closed(client: AsyncTestClient,
                                                                         settings: Settings) -> None:
    app = await make_app(settings)
    # 5 days ago: four sign up, three invite the same day (75 %); 4 days ago: four sign up, one invites the
    # same day, one exactly a day later (the window's end: converts), one two days later (too late): 50 %
    await send(client, app.public_key, *(on("track", f"{who}{n}", "acme", day, name="Signup")
                                         for who, day in (("s", 5), ("t", 4)) for n in range(4)))
    await send(client, app.public_key, *(on("track", f"s{n}", "acme", 5, name="Invite") for n in range(3)),
               on("track", "t0", "acme", 4, name="Invite"), on("track", "t1", "acme", 3, name="Invite"),
               on("track", "t2", "acme", 2, name="Invite"))
    rule = await make_rule(client, app.secret_key, name="Invites", metric="funnel_conversion",
                           target="steps=event:Signup,event:Invite&window_days=1", period="day", condition="below",
                           value=60)
    assert (await evaluate_on(settings, ago(3))).fired == []  # judges 5 days ago (4 days ago's window is open)
    auth = {"Authorization": f"Bearer {app.secret_key}"}
    [kept] = (await client.get("/api/v1/alerts", headers=auth)).json()
    assert (kept["last_value"], kept["last_period_start"]) == (75.0, ago(5).isoformat())
    assert len((await evaluate_on(settings, ago(2))).fired) == 1  # judges 4 days ago: 50 %
    [fired] = await firings_of(settings, app.id)
    assert (fired.rule_id, fired.period_start, fired.value) == (rule, ago(4), 50.0)
