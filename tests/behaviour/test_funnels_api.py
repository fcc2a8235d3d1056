"""The funnel API and page on a hand-made set (both databases): the window's edge, steps in the same second,
exclusion steps, tenant-level counting, a comparison range; and hostile input answered 400 naming the problem."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from tests.access.helpers import add_person, owner, sign_in
from tests.admin.pages_support import post_page
from tests.admin.test_shell import check_page
from tests.analytics.helpers import BASE, auth
from tests.analytics.summary_helpers import ago, send
from tests.support import make_app, on_shared_server
from tests.webhooks.helpers import own_sessionmaker
from waymark.behaviour.refs import parse_ref
from waymark.behaviour.step_source import read_step_keys, second_of
from waymark.db.scope import app_session
from waymark.settings import Settings

T = datetime.combine(ago(10), datetime.min.time(), tzinfo=UTC) + timedelta(hours=1)
DAY = 86_400
RANGE = {"from": ago(12).isoformat(), "to": ago(2).isoformat()}
STEPS = "event:Signup,event:Invite,page:invoices"


def at(kind: str, visitor: str, tenant: str, seconds: int, **fields: Any) -> dict[str, Any]:
    """An event ``seconds`` after T (whole seconds)."""
    moment = T + timedelta(seconds=seconds)
    return {"id": uuid.uuid4().hex, "type": kind, "visitor": visitor, "tenant": tenant,
            "url": BASE + fields.pop("path", "/demo/other"), "ts": moment.isoformat().replace("+00:00", "Z"),
            **fields}


def track(name: str, visitor: str, tenant: str, seconds: int) -> dict[str, Any]:
    return at("track", visitor, tenant, seconds, name=name)


def view(visitor: str, tenant: str, seconds: int) -> dict[str, Any]:
    return at("page", visitor, tenant, seconds, path="/demo/invoices")


async def world(client: AsyncTestClient, settings: Settings) -> Any:
    app = await make_app(settings)
    page = await client.put("/api/v1/pages/invoices", json={"name": "Invoices", "rule": "/demo/invoices"},
                            headers=auth(app.secret_key))
    assert page.status_code == 201, page.text
    # v1: the last step exactly at the window's end (1 day); v2: one second past it
    await send(client, app.public_key, track("Signup", "v1", "acme", 0), track("Invite", "v1", "acme", 60),
               view("v1", "acme", DAY))
    await send(client, app.public_key, track("Signup", "v2", "acme", 0), track("Invite", "v2", "acme", 120),
               view("v2", "acme", DAY + 1))
    # v3: two steps in the same second, stored in order; v4: the same second, stored the other way round
    await send(client, app.public_key, track("Signup", "v3", "globex", 0), track("Invite", "v3", "globex", 0),
               view("v3", "globex", 10))
    await send(client, app.public_key, track("Invite", "v4", "globex", 0), track("Signup", "v4", "globex", 0))
    # v5: an exclusion (Cancel) between Signup and Invite; v6 (same tenant) never signs up
    await send(client, app.public_key, track("Signup", "v5", "initech", 0), track("Cancel", "v5", "initech", 30),
               track("Invite", "v5", "initech", 60))
    await send(client, app.public_key, track("Invite", "v6", "initech", 5), view("v6", "initech", 6))
    return app


async def funnel(client: AsyncTestClient, secret: str, **params: str) -> Any:
    answer = await client.get("/api/v1/reports/funnel", params={"steps": STEPS, "window_days": "1", **RANGE,
                                                                  **params}, headers=auth(secret))
    assert answer.status_code == 200, answer.text
    return answer.json()


def figures(report: Any) -> list[tuple[Any, ...]]:
    return [(s["ref"], s["entered"], s["converted"], s["conversion"], s["median_seconds"], s["p90_seconds"])
            for s in report["steps"]]


async def test_visitors_with_an_exclusion_step(client: AsyncTestClient, settings: Settings) -> None:
    app = await world(client, settings)
    report = await funnel(client, app.secret_key, exclude="event:Cancel")
    # step 1: v1-v5; step 2: v1, v2, v3 (v5 cancelled first, v4's Invite came before its Signup);
    # step 3: v1 (exactly at the window's end), v3; v2 was one second late
    assert figures(report) == [
        ("event:Signup", 5, 5, 1.0, None, None),
        ("event:Invite", 5, 3, 0.6, 60, 120),  # seconds 0 (v3), 60 (v1), 120 (v2)
        ("page:invoices", 3, 2, 0.4, 10, DAY - 60),  # 10 (v3), 86340 (v1)
    ]
    assert report["steps"][1]["step_conversion"] == 0.6 and report["steps"][2]["step_conversion"] == 0.6667
    assert report["exclude"] == ["event:Cancel"] and report["count"] == "visitors" and report["window_days"] == 1


async def test_visitors_without_the_exclusion_and_a_wider_window(client: AsyncTestClient, settings: Settings) -> None:
    app = await world(client, settings)
    assert figures(await funnel(client, app.secret_key)) == [
        ("event:Signup", 5, 5, 1.0, None, None),
        ("event:Invite", 5, 4, 0.8, 60, 120),  # 0, 60, 60, 120
        ("page:invoices", 4, 2, 0.4, 10, DAY - 60),
    ]
    wider = await funnel(client, app.secret_key, window_days="2")
    assert [s["converted"] for s in wider["steps"]] == [5, 4, 3]  # v2's last step now within the window


async def test_tenants_convert_on_their_visitors_events_together(client: AsyncTestClient, settings: Settings) -> None:
    app = await world(client, settings)
    report = await funnel(client, app.secret_key, exclude="event:Cancel", count="tenants")
    # acme: v1's chain; globex: v3's; initech: v5's Signup (0), v6's Invite (5) and view (6), before the Cancel (30)
    assert figures(report) == [
        ("event:Signup", 3, 3, 1.0, None, None),
        ("event:Invite", 3, 3, 1.0, 5, 60),  # 0 (globex), 5 (initech), 60 (acme)
        ("page:invoices", 3, 3, 1.0, 10, DAY - 60),  # 1 (initech), 10 (globex), 86340 (acme)
    ]
    one = await funnel(client, app.secret_key, exclude="event:Cancel", tenant="initech")
    assert [s["converted"] for s in one["steps"]] == [1, 0, 0]  # v5 alone: cancelled; v6 never signed up


async def test_a_comparison_range_and_the_admin_page(client: AsyncTestClient, settings: Settings) -> None:
    app = await world(client, settings)
    report = await funnel(client, app.secret_key, compare_from=ago(40).isoformat(), compare_to=ago(30).isoformat())
    assert report["compare"]["start"] == ago(40).isoformat()
    assert [(s["entered"], s["converted"], s["conversion"]) for s in report["compare"]["steps"]] == [(0, 0, None)] * 3
    assert [s["converted"] for s in report["steps"]] == [5, 4, 2]

    await add_person(settings, "owner@example.test", owner(app.id))
    assert (await sign_in(client, "owner@example.test")).status_code == 303
    query = {**RANGE, "step": ["event:Signup", "event:Invite", "", "page:invoices"], "window_days": "1",
             "exclude": "event:Cancel"}
    page = await client.get(f"/admin/apps/{app.id}/funnels", params=query)
    assert page.status_code == 200, page.text[:300]
    check_page(page)
    assert 'class="bar-chart"' in page.text and "<table>" in page.text and 'for="f-step-1"' in page.text
    # "watch this funnel": the alerts page with the rule's metric and target filled in; saved, it is the rule
    watch = html.unescape(re.search(r'<a href="([^"]+)">Watch this funnel', page.text).group(1))  # type: ignore[union-attr]
    form = await client.get(watch.split("#")[0])
    target = "steps=event:Signup,event:Invite,page:invoices&window_days=1&count=visitors&exclude=event:Cancel"
    assert '<option value="funnel_conversion" selected' in form.text and html.escape(target) in form.text
    alerts = f"/admin/apps/{app.id}/alerts"
    saved = await post_page(client, alerts, alerts, {"name": "Invites", "metric": "funnel_conversion",
                                                     "target": target, "period": "week", "condition": "below",
                                                     "value": "30", "enabled": "on"})
    assert saved.status_code == 200, saved.text[:300]
    [rule] = (await client.get("/api/v1/alerts", headers=auth(app.secret_key))).json()
    assert (rule["metric"], rule["target"]) == ("funnel_conversion", target)
    segmented = await client.get(f"/admin/apps/{app.id}/funnels", params={**query, "segment": "tenant.plan=pro"})
    assert segmented.status_code == 200 and "Watch this funnel" not in segmented.text  # rules watch the whole app
    data = (await client.get(f"/admin/apps/{app.id}/funnels", params={**query, "format": "json"})).json()
    assert [s["converted"] for s in data["steps"]] == [5, 3, 2]
    table = (await client.get(f"/admin/apps/{app.id}/funnels", params={**query, "format": "csv"})).content
    lines = table.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("range,value,start,end,step,ref")
    assert lines[3].split(",")[5:8] == ["page:invoices", "3", "2"]
    empty = await client.get(f"/admin/apps/{app.id}/funnels")
    assert empty.status_code == 200 and "Give at least two steps" in empty.text
    bad = await client.get(f"/admin/apps/{app.id}/funnels", params={"step": ["event:Signup"]})
    assert bad.status_code == 400 and "steps" in bad.text


async def test_a_breakdown_by_a_tenant_field_and_by_browser(client: AsyncTestClient, settings: Settings) -> None:
    app = await world(client, settings)
    await send(client, app.public_key, at("group", "v1", "acme", 200, traits={"plan": "pro"}),
               at("group", "v3", "globex", 200, traits={"plan": "free"}),
               at("page", "v2", "acme", 300, browser="Firefox"), at("page", "v2", "acme", 301, browser="Firefox"),
               at("page", "v1", "acme", 302, browser="Chrome"))
    report = await funnel(client, app.secret_key, exclude="event:Cancel", breakdown="tenant.plan")
    groups = {g["value"]: [s["converted"] for s in g["steps"]] for g in report["groups"]}
    # acme (pro): v1, v2; globex (free): v3, v4; initech has no plan: v5
    assert groups == {"pro": [2, 2, 1], "free": [2, 1, 1], "(none)": [1, 0, 0]}
    assert [g["value"] for g in report["groups"]] == ["free", "pro", "(none)"]  # ties by value
    by_tenant = await funnel(client, app.secret_key, exclude="event:Cancel", breakdown="tenant.plan", count="tenants")
    assert {g["value"]: [s["converted"] for s in g["steps"]] for g in by_tenant["groups"]} == {
        "pro": [1, 1, 1], "free": [1, 1, 1], "(none)": [1, 1, 1]}
    browsers = await funnel(client, app.secret_key, exclude="event:Cancel", breakdown="browser")
    assert {g["value"]: [s["converted"] for s in g["steps"]] for g in browsers["groups"]} == {
        "Firefox": [1, 1, 0], "Chrome": [1, 1, 1], "(none)": [3, 1, 1]}


async def test_steps_with_property_filters(client: AsyncTestClient, settings: Settings) -> None:
    """A filtered track step is read with its events' properties; the same event name plain and filtered in one
    funnel are two steps, and one event never satisfies both."""
    app = await make_app(settings)

    def invite(visitor: str, seconds: int, role: str) -> dict[str, Any]:
        return at("track", visitor, "acme", seconds, name="Invite", props={"role": role})

    await send(client, app.public_key, *(track("Signup", v, "acme", 0) for v in ("a", "b", "c")),
               invite("a", 60, "admin"), invite("b", 60, "member"), invite("c", 30, "admin"), invite("c", 90, "admin"))
    filtered = await funnel(client, app.secret_key, steps="event:Signup,event:Invite[role=admin]")
    assert [(s["ref"], s["converted"]) for s in filtered["steps"]] == [
        ("event:Signup", 3), ("event:Invite[role=admin]", 2)]
    both = await funnel(client, app.secret_key, steps="event:Signup,event:Invite,event:Invite[role=admin]")
    assert [s["converted"] for s in both["steps"]] == [3, 3, 1]  # only c invites an admin after an invite
    assert both["steps"][2]["median_seconds"] == 60


async def test_the_grouped_read_gives_each_visitors_keys_and_leaves_the_session_as_it_was(
        client: AsyncTestClient, settings: Settings) -> None:
    """The read behind every funnel, through a scoped session: the database groups each visitor's events per
    step (keys ordering them by second, then stored id), and PostgreSQL's sorts are on again afterwards."""
    app = await world(client, settings)
    since, until = T - timedelta(hours=1), T + timedelta(days=2)
    refs = [parse_ref("event:Signup"), parse_ref("event:Invite")]
    async with own_sessionmaker(settings) as sessionmaker, app_session(sessionmaker, app.id) as session:
        found = await read_step_keys(session, app.id, refs, since, until, visitors=True, tenants=True)
        if session.get_bind().dialect.name == "postgresql":  # after the grouped read (a SET LOCAL around it)
            assert (await session.execute(text("SHOW enable_sort"))).scalar() == "on"
    seconds = {(visitor, tenant, step): [found.second(k) - second_of(T) for k in sorted(keys)]
               for (visitor, tenant), by_step in found.groups.items() for step, keys in by_step.items()}
    assert seconds == {("v1", "acme", 0): [0], ("v1", "acme", 1): [60], ("v2", "acme", 0): [0],
                       ("v2", "acme", 1): [120], ("v3", "globex", 0): [0], ("v3", "globex", 1): [0],
                       ("v4", "globex", 0): [0], ("v4", "globex", 1): [0], ("v5", "initech", 0): [0],
                       ("v5", "initech", 1): [60], ("v6", "initech", 1): [5]}
    # the same second: v3 stored Signup first, v4 Invite first
    v3, v4 = found.groups[("v3", "globex")], found.groups[("v4", "globex")]
    assert v3[0] < v3[1] and v4[1] < v4[0]


@on_shared_server
@pytest.mark.parametrize(("params", "named"), [
    ({"steps": ""}, "steps"),
    ({"steps": "event:Signup"}, "give 2 to 10"),
    ({"steps": ",".join(f"event:E{i}" for i in range(11))}, "give 2 to 10"),
    ({"steps": "event:A,nonsense:B"}, "not understood"),
    ({"steps": "event:A,page:bad id"}, "page id"),
    ({"steps": "event:A,event:B", "window_days": "0"}, "window_days"),
    ({"steps": "event:A,event:B", "window_days": "91"}, "window_days"),
    ({"steps": "event:A,event:B", "window_days": "seven"}, "window_days"),
    ({"steps": "event:A,event:B", "count": "sessions"}, "count"),
    ({"steps": "event:A,event:B", "exclude": "bogus"}, "not understood"),
    ({"steps": "event:A,event:B", "compare_from": "2026-01-01"}, "compare_to"),
    ({"steps": "event:A,event:B", "compare_from": "2026-02-01", "compare_to": "2026-01-01"}, "after"),
    ({"steps": "event:A,event:B", "compare_from": "yesterday", "compare_to": "2026-01-01"}, "not a date"),
    ({"steps": "event:A,event:B", "segment": "plan=pro"}, "segment"),
    ({"steps": "event:A,event:B", "breakdown": "plan"}, "breakdown"),
    ({"steps": "event:A,event:B", "breakdown": "browser", "count": "tenants"}, "tenant.<field> only"),
    ({"steps": "event:A,event:B", "from": "2026-02-01", "to": "2026-01-01"}, "after"),
])
async def test_hostile_input_is_a_400_naming_the_problem(server: AsyncTestClient, shared_settings: Settings,
                                                         params: dict[str, str], named: str) -> None:
    app = await make_app(shared_settings)
    answer = await server.get("/api/v1/reports/funnel", params=params, headers=auth(app.secret_key))
    assert answer.status_code == 400, answer.text
    assert named in answer.text, answer.text
