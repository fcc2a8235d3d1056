"""The attention budget as a setting, the explainer's reason for each case, holdouts and the lift report."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from tests.support import at, event, guide_yaml, make_app, push
from waymark.apps.services import NewApp
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import App, Guide
from waymark.guides.sampling import in_sample
from waymark.holdouts.models import GuideHoldout
from waymark.settings import Settings

GUIDES = {
    "tour.yaml": """
        id: tour
        name: Tour
        kind: announcement
        priority: 10
        targeting: {pages: ["/app/invoices"]}
        steps: [{type: lightbox, title: Welcome}]
    """,
    "tip.yaml": """
        id: tip
        name: Tip
        kind: tooltip
        priority: 5
        targeting: {pages: ["/app/invoices"]}
        steps: [{type: tooltip, anchor: "#export", title: Export}]
    """,
    "admin.yaml": """
        id: admin-news
        name: Admin news
        kind: announcement
        targeting:
          pages: ["/app/admin"]
          segment:
            all:
              - {field: tenant.plan, op: in, value: [pro, enterprise]}
              - {field: visitor.role, op: eq, value: admin}
        steps: [{type: lightbox, title: For admins}]
    """,
    "french.yaml": """
        id: french-only
        name: French only
        kind: announcement
        locales: {default: fr, only: [fr]}
        targeting: {pages: ["/app/fr"]}
        steps: [{type: lightbox, title: Bonjour}]
    """,
    "later.yaml": """
        id: later
        name: Later
        kind: announcement
        targeting: {pages: ["/app/later"], schedule: {start: 2099-01-01T00:00:00Z}}
        steps: [{type: lightbox, title: Later}]
    """,
    "weekly.yaml": """
        id: weekly
        name: Weekly
        kind: announcement
        frequency: {mode: every, days: 7}
        targeting: {pages: ["/app/weekly"]}
        steps: [{type: lightbox, title: Weekly}]
    """,
    "snoozy.yaml": """
        id: snoozy
        name: Snoozy
        kind: announcement
        snooze_days: 2
        targeting: {pages: ["/app/snooze"]}
        steps: [{type: lightbox, title: Snoozy}]
    """,
    "done.yaml": """
        id: done-once
        name: Done once
        kind: announcement
        frequency: {mode: until_completed}
        targeting: {pages: ["/app/done"]}
        steps: [{type: lightbox, title: Done}]
    """,
    "eager.yaml": """
        id: eager
        name: Eager
        kind: announcement
        throttle_seconds: 0
        targeting: {pages: ["/app/eager"]}
        steps: [{type: lightbox, title: Eager}]
    """,
    "anchored.yaml": """
        id: anchored
        name: Anchored
        kind: tooltip
        targeting: {pages: ["/app/anchor"]}
        steps: [{type: tooltip, anchor: "#gone", title: Gone}]
    """,
    "help.yaml": """
        id: help
        name: Help
        kind: tooltip
        activation: {mode: click, selector: "#help"}
        steps: [{type: tooltip, anchor: "#help", title: Help}]
    """,
    "held.yaml": """
        id: held
        name: Held
        kind: announcement
        hold_out: {share: 0.5}
        goal: {event: Invoice sent, days: 7}
        targeting: {pages: ["/app/held"]}
        steps: [{type: lightbox, title: Held}]
    """,
}


@pytest.fixture
async def app(client: AsyncTestClient, settings: Settings) -> NewApp:
    new = await make_app(settings)
    response = await push(client, new.secret_key, {name: guide_yaml(text) for name, text in GUIDES.items()})
    assert response.status_code == 200, response.text
    return new


def auth(app: NewApp) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.secret_key}"}


async def deliver(client: AsyncTestClient, app: NewApp, visitor: str, path: str, **extra: Any) -> dict[str, Any]:
    params = {"key": app.public_key, "visitor": visitor, "url": f"https://host.example{path}", **extra}
    response = await client.get("/api/v1/guides", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def auto_ids(answer: dict[str, Any]) -> list[str]:
    return [g["id"] for g in answer["guides"] if g["auto"]]


async def send(client: AsyncTestClient, app: NewApp, *events: dict[str, Any]) -> None:
    response = await client.post(f"/api/v1/events?key={app.public_key}", json={"events": list(events)})
    assert response.status_code == 202 and not response.json()["rejected"], response.text


async def explain(client: AsyncTestClient, app: NewApp, guide: str, visitor: str, path: str,
                  **extra: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/guides/{guide}/explain", headers=auth(app),
                                params={"visitor": visitor, "url": f"https://host.example{path}", **extra})
    assert response.status_code == 200, response.text
    return response.json()


def failed(explanation: dict[str, Any]) -> dict[str, Any]:
    """The failing check, after checking that the ones before it passed and the ones after were not reached."""
    statuses = [c["status"] for c in explanation["checks"]]
    first = statuses.index("fail")
    assert set(statuses[:first]) <= {"pass"}, explanation
    assert set(statuses[first + 1:]) <= {"skipped"}, explanation
    check: dict[str, Any] = explanation["checks"][first]
    assert explanation["reason"] == check["reason"]
    return check


def plain(kind: str, visitor: str, **extra: Any) -> dict[str, Any]:
    """An event that is not a guide's (identify, group, track)."""
    found = event(kind, "", visitor=visitor, **extra)
    del found["guide"], found["step"]
    return found


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_the_budget_is_a_setting_with_a_daily_maximum_and_a_per_guide_interval(
    client: AsyncTestClient, app: NewApp
) -> None:
    # the app's interval (a day by default) holds the tip back after the tour, but not a guide with its own interval
    await send(client, app, event("guide_seen", "tour", visitor="v1", props={"trigger": "auto"}))
    assert auto_ids(await deliver(client, app, "v1", "/app/invoices")) == []
    assert auto_ids(await deliver(client, app, "v1", "/app/eager")) == ["eager"]
    # no interval, at most two automatic guides a day
    put = await client.put("/api/v1/settings", headers=auth(app), json={
        "honor_dnt": False, "retention_days": None, "throttle_seconds": 0, "max_auto_guides_per_day": 2})
    assert put.status_code == 200, put.text
    assert (put.json()["throttle_seconds"], put.json()["max_auto_guides_per_day"]) == (0, 2)
    assert (await deliver(client, app, "v1", "/app/invoices"))["throttle_ms"] == 0
    # priority decides the slot of each page view: the tour first, then the tip
    assert auto_ids(await deliver(client, app, "v2", "/app/invoices")) == ["tour"]
    await send(client, app, event("guide_seen", "tour", visitor="v2", props={"trigger": "auto"}))
    assert auto_ids(await deliver(client, app, "v2", "/app/invoices")) == ["tip"]
    await send(client, app, event("guide_seen", "tip", visitor="v2", ts=at(1), props={"trigger": "auto"}))
    # two today: the third waits for tomorrow, whatever its own interval, and the explainer says so
    assert auto_ids(await deliver(client, app, "v2", "/app/eager")) == []
    check = failed(await explain(client, app, "eager", "v2", "/app/eager"))
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    assert (check["reason"], check["by"], moment(check["until"]).date()) == ("throttled", "tip", tomorrow)
    assert "daily maximum of 2" in check["detail"]
    # a budget value out of range is refused, naming it; left out, the budget is unchanged
    bad = await client.put("/api/v1/settings", headers=auth(app), json={
        "honor_dnt": False, "retention_days": None, "max_auto_guides_per_day": -1})
    assert bad.status_code == 400 and "max_auto_guides_per_day" in bad.text
    kept = await client.put("/api/v1/settings", headers=auth(app), json={"honor_dnt": True, "retention_days": None})
    assert (kept.json()["throttle_seconds"], kept.json()["max_auto_guides_per_day"]) == (0, 2)


async def test_the_explainer_gives_the_reason_of_each_case(
    client: AsyncTestClient, app: NewApp, settings: Settings
) -> None:
    # starts: every check passes, and delivery agrees
    fresh = await explain(client, app, "tour", "new", "/app/invoices")
    assert (fresh["listed"], fresh["starts"], fresh["reason"]) == (True, True, None)
    assert [c["name"] for c in fresh["checks"]][:4] == ["published", "page", "locale", "segment"]
    assert {c["status"] for c in fresh["checks"]} == {"pass"}
    # the tip loses this page view's slot to the tour
    check = failed(await explain(client, app, "tip", "new", "/app/invoices"))
    assert (check["name"], check["reason"], check["by"]) == ("throttle", "throttled", "tour")
    # page does not match
    assert failed(await explain(client, app, "tour", "new", "/app/settings"))["reason"] == "page_mismatch"
    # segment does not match, naming the clause
    await send(client, app, plain("identify", "member", traits={"role": "member"}),
               plain("group", "member", tenant="acme", traits={"plan": "pro"}))
    check = failed(await explain(client, app, "admin-news", "member", "/app/admin", tenant="acme"))
    assert check["reason"] == "segment_mismatch"
    assert check["detail"].startswith('segment.all[1]: visitor.role eq "admin"') and '"member"' in check["detail"]
    # locale excluded
    check = failed(await explain(client, app, "french-only", "new", "/app/fr", locale="de"))
    assert (check["name"], check["reason"]) == ("locale", "locale_excluded")
    assert (await explain(client, app, "french-only", "new", "/app/fr", locale="fr-CA"))["starts"] is True
    # outside schedule
    assert failed(await explain(client, app, "later", "new", "/app/later"))["reason"] == "outside_schedule"
    # already completed
    await send(client, app, event("guide_completed", "done-once", visitor="v3"))
    assert failed(await explain(client, app, "done-once", "v3", "/app/done"))["reason"] == "already_completed"
    # frequency waits until T
    seen = at(0)
    await send(client, app, event("guide_seen", "weekly", visitor="v3", ts=seen, props={"trigger": "click"}))
    check = failed(await explain(client, app, "weekly", "v3", "/app/weekly"))
    assert (check["reason"], moment(check["until"])) == ("frequency", moment(seen) + timedelta(days=7))
    # snoozed until T
    await send(client, app, event("guide_snoozed", "snoozy", visitor="v3", ts=seen, props={"days": 2}))
    check = failed(await explain(client, app, "snoozy", "v3", "/app/snooze"))
    assert (check["reason"], moment(check["until"])) == ("snoozed", moment(seen) + timedelta(days=2))
    # throttled until T, by the guide that used the budget
    await send(client, app, event("guide_seen", "tour", visitor="v4", ts=seen, props={"trigger": "auto"}))
    check = failed(await explain(client, app, "tip", "v4", "/app/invoices"))
    assert (check["reason"], check["by"], moment(check["until"])) == (
        "throttled", "tour", moment(seen) + timedelta(days=1))
    # click activation: listed, never started by itself
    check = failed(await explain(client, app, "help", "new", "/app/anything"))
    assert check["reason"] == "not_automatic"
    # anchor missing last time (the widget skipped it), until the guide is seen again
    await send(client, app, event("guide_anchor_missing", "anchored", visitor="v5", ts=seen,
                                  url="https://host.example/app/anchor", props={"anchor": "#gone"}))
    anchored = await explain(client, app, "anchored", "v5", "/app/anchor")
    assert anchored["starts"] is True and failed(anchored)["reason"] == "anchor_missing"
    assert "/app/anchor" in failed(anchored)["detail"]
    # opted out: a tenant that stopped collection gets no guide, and the explainer says why
    opted = await client.put("/api/v1/tenants/quiet/privacy", headers=auth(app),
                             json={"opted_out": True, "drop_fields": []})
    assert opted.status_code == 200
    assert (await deliver(client, app, "v6", "/app/invoices", tenant="quiet"))["guides"] == []
    assert failed(await explain(client, app, "tour", "v6", "/app/invoices", tenant="quiet"))["reason"] == "opted_out"
    # not published (its history is kept), and an unknown guide
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            await session.execute(update(Guide).where(Guide.app_id == app.id, Guide.id == "later")
                                  .values(published_version=None))
            await session.execute(update(App).where(App.id == app.id).values(guides_version=App.guides_version + 1))
            await session.commit()
    finally:
        await engine.dispose()
    client.app.state.snapshots.invalidate(app.id)
    check = failed(await explain(client, app, "later", "new", "/app/later"))
    assert (check["name"], check["reason"]) == ("published", "not_published")
    unknown = await client.get("/api/v1/guides/nope/explain", headers=auth(app),
                               params={"visitor": "v", "url": "https://h/"})
    assert unknown.status_code == 404
    # the delivery route at the same prefix still answers
    assert (await client.get("/api/v1/guides/tour/explain", params={"visitor": "v", "url": "https://h/"})
            ).status_code == 401


def held_out_visitors(count: int, held: bool) -> list[str]:
    found = [f"h{i}" for i in range(200) if in_sample("holdout:held", f"visitor:h{i}", 0.5) is held]
    return found[:count]


async def test_holdouts_are_stable_recorded_once_and_measured_by_the_lift_report(
    client: AsyncTestClient, app: NewApp, settings: Settings
) -> None:
    held, shown = held_out_visitors(2, True), held_out_visitors(3, False)
    for visitor in held:
        for _ in range(2):  # stable: held out on every page view
            answer = await deliver(client, app, visitor, "/app/held")
            assert "held" not in [g["id"] for g in answer["guides"]]
        assert failed(await explain(client, app, "held", visitor, "/app/held"))["reason"] == "holdout"
    for visitor in shown:
        assert auto_ids(await deliver(client, app, visitor, "/app/held")) == ["held"]
        await send(client, app, event("guide_seen", "held", visitor=visitor, props={"trigger": "auto"}))
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = (await session.execute(
                select(GuideHoldout.visitor_id, func.count()).where(GuideHoldout.app_id == app.id)
                .group_by(GuideHoldout.visitor_id))).all()
    finally:
        await engine.dispose()
    assert sorted(rows) == sorted((v, 1) for v in held)  # once each, and only the held out
    # the goal (a track event within 7 days): two of three shown, one of two held out
    goal = [plain("track", v, ts=at(5), name="Invoice sent") for v in (*shown[:2], held[0])]
    await send(client, app, *goal)
    report = await client.get("/api/v1/guides/held/lift", headers=auth(app))
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["unit"], body["goal"]) == ("visitor", {"kind": "event", "key": "Invoice sent", "days": 7})
    assert body["shown"] == {"n": 3, "reached": 2, "rate": pytest.approx(2 / 3)}
    assert body["held_out"] == {"n": 2, "reached": 1, "rate": 0.5}
    assert body["difference"] == pytest.approx(2 / 3 - 0.5)
    half = 1.96 * ((2 / 3 * 1 / 3) / 3 + 0.25 / 2) ** 0.5
    assert body["ci95"] == pytest.approx([2 / 3 - 0.5 - half, 2 / 3 - 0.5 + half])
    as_csv = await client.get("/api/v1/guides/held/lift", headers=auth(app), params={"format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows_csv = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["arm"], r["n"], r["reached"]) for r in rows_csv] == [("shown", "3", "2"), ("held_out", "2", "1")]
    # a guide without a goal has no lift report; an unknown guide is not found
    assert (await client.get("/api/v1/guides/tour/lift", headers=auth(app))).status_code == 400
    assert (await client.get("/api/v1/guides/nope/lift", headers=auth(app))).status_code == 404


async def test_a_visitor_outside_a_surveys_sample_is_explained_as_sampled_out(
    client: AsyncTestClient, settings: Settings
) -> None:
    from tests.surveys.test_api import _nps_app  # the survey engineer's NPS guide, asked of half the visitors

    public, secret = await _nps_app(client, settings, sample=0.5)
    headers = {"Authorization": f"Bearer {secret}"}
    reasons: dict[str, str | None] = {}
    for visitor in (f"s{i}" for i in range(12)):
        got = await client.get("/api/v1/guides/nps/explain", headers=headers, params={
            "visitor": visitor, "url": "https://h.example/demo/invoices"})
        assert got.status_code == 200, got.text
        reasons[visitor] = got.json()["reason"]
    assert set(reasons.values()) == {None, "sampled_out"}, reasons  # some asked, some not
    out = next(v for v, r in reasons.items() if r == "sampled_out")
    delivered = await client.get("/api/v1/guides", params={
        "key": public, "visitor": out, "url": "https://h.example/demo/invoices"})
    assert delivered.json()["guides"] == []  # delivery agrees: not sent at all


async def test_a_held_out_visitor_is_in_their_export_and_erased_with_the_rest(
    client: AsyncTestClient, app: NewApp
) -> None:
    (visitor,) = held_out_visitors(1, True)
    await deliver(client, app, visitor, "/app/held")
    await send(client, app, plain("track", visitor, name="Anything"))
    exported = await client.get(f"/api/v1/visitors/{visitor}/export", headers=auth(app))
    assert exported.status_code == 200, exported.text
    assert [(h["guide"], h["visitor"]) for h in exported.json()["holdouts"]] == [("held", visitor)]
    assert (await client.delete(f"/api/v1/visitors/{visitor}", headers=auth(app))).status_code == 200
    after = (await client.get(f"/api/v1/visitors/{visitor}/export", headers=auth(app))).json()
    assert after["holdouts"] == [] and after["events"] == []
    lift = (await client.get("/api/v1/guides/held/lift", headers=auth(app))).json()
    assert lift["held_out"]["n"] == 0
