"""Delivery answers for several visitors and tenants: targeting, frequency, throttle, ETag."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient
from sqlalchemy import insert, update

from tests.support import at, event, guide_yaml, make_app, meta, on_shared_server, push
from waymark.apps.services import NewApp
from waymark.db.engine import create_engine
from waymark.db.models import App, Tenant
from waymark.settings import Settings

TOUR = guide_yaml("""
    id: tour
    name: Tour
    kind: walkthrough
    priority: 10
    targeting:
      pages: ["/app/invoices"]
    steps:
      - type: lightbox
        title: {en: Welcome, fr: Bienvenue}
        body: '<p>Hello <strong>there</strong><script>alert(1)</script><a href="javascript:alert(1)">x</a></p>'
      - type: tooltip
        anchor: "#new"
        title: New
      - type: tooltip
        page: "/app/invoices/*"
        anchor: "#send"
        title: Send
""")
ADMIN = guide_yaml("""
    id: admin-news
    name: Admin news
    kind: announcement
    priority: 5
    targeting:
      segment:
        all:
          - {field: visitor.role, op: eq, value: admin}
          - {field: tenant.plan, op: in, value: [pro, enterprise]}
    steps:
      - type: lightbox
        title: For admins
""")
BANNER = guide_yaml("""
    id: settings-banner
    name: Settings banner
    kind: announcement
    ignore_throttle: true
    frequency: {mode: until_completed}
    targeting:
      pages: ["/app/settings"]
    steps:
      - type: banner
        title: Settings moved
""")
HELP = guide_yaml("""
    id: help
    name: Help
    kind: tooltip
    activation: {mode: click, selector: "#help"}
    steps:
      - type: tooltip
        anchor: "#help"
        title: Help
""")


async def _with_guides(client: AsyncTestClient, settings: Settings) -> NewApp:
    new = await make_app(settings)
    response = await push(
        client, new.secret_key, {"tour.yaml": TOUR, "admin.yaml": ADMIN, "banner.yaml": BANNER, "help.yaml": HELP}
    )
    assert response.status_code == 200, response.text
    return new


@pytest.fixture
async def app(client: AsyncTestClient, settings: Settings) -> NewApp:
    return await _with_guides(client, settings)


@pytest_asyncio.fixture(loop_scope="module")
async def shared_app(server: AsyncTestClient, shared_settings: Settings) -> NewApp:
    """``app`` on the module's shared server: a new app with the guides, for a case that only asks."""
    return await _with_guides(server, shared_settings)


async def deliver(
    client: AsyncTestClient, app: NewApp, visitor: str = "v1", path: str = "/app/invoices", **extra: Any
) -> dict[str, Any]:
    params = {"key": app.public_key, "visitor": visitor, "url": f"https://host.example{path}", **extra}
    response = await client.get("/api/v1/guides", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def auto_ids(answer: dict[str, Any]) -> list[str]:
    return [g["id"] for g in answer["guides"] if g["auto"]]


def listed(answer: dict[str, Any]) -> list[str]:
    return [g["id"] for g in answer["guides"]]


async def send(client: AsyncTestClient, app: NewApp, *events: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/v1/events?key={app.public_key}", json={"events": list(events)})
    assert response.status_code == 202, response.text
    return response.json()


async def test_new_visitor_gets_the_walkthrough_on_its_page(client: AsyncTestClient, app: NewApp) -> None:
    answer = await deliver(client, app)
    assert auto_ids(answer) == ["tour"]
    tour = answer["guides"][0]
    assert tour["state"] == {"status": "new", "step": 0}
    assert [s["type"] for s in tour["steps"]] == ["lightbox", "tooltip", "tooltip"]
    assert tour["steps"][2]["page"] == {"path": "/app/invoices/*"}
    # author content arrives sanitised, as a node tree
    link = ["a", {"rel": "noopener noreferrer", "target": "_blank"}, ["x"]]
    assert tour["steps"][0]["body"] == [["p", {}, ["Hello ", ["strong", {}, ["there"]], link]]]
    assert "buttons" not in tour  # default labels are the widget's own
    assert "name" not in tour and "snooze_days" not in tour  # nothing the widget does not need
    # click-activated guides are listed but never start by themselves
    assert "help" in listed(answer)


async def test_locale_picks_content(client: AsyncTestClient, app: NewApp) -> None:
    answer = await deliver(client, app, locale="fr-CA")
    assert answer["guides"][0]["steps"][0]["title"] == "Bienvenue"
    answer = await deliver(client, app, visitor="v2", locale="de")
    assert answer["guides"][0]["steps"][0]["title"] == "Welcome"


async def test_other_pages_do_not_start_the_tour(client: AsyncTestClient, app: NewApp) -> None:
    assert auto_ids(await deliver(client, app, path="/app/reports")) == []
    assert auto_ids(await deliver(client, app, path="/app/settings")) == ["settings-banner"]


@on_shared_server
@pytest.mark.parametrize(
    ("visitor_meta", "tenant_meta", "sees_admin_news"),
    [
        ({"role": "admin"}, {"plan": "pro"}, True),
        ({"role": "admin"}, {"plan": "enterprise"}, True),
        ({"role": "admin"}, {"plan": "free"}, False),
        ({"role": "member"}, {"plan": "pro"}, False),
        ({}, {}, False),
    ],
)
async def test_segments_decide_per_visitor_and_tenant(
    server: AsyncTestClient, shared_app: NewApp, visitor_meta: dict[str, Any], tenant_meta: dict[str, Any],
    sees_admin_news: bool,
) -> None:
    answer = await deliver(server, shared_app, visitor="v9", tenant="t9", meta=meta(visitor_meta, tenant_meta))
    assert ("admin-news" in listed(answer)) is sees_admin_news


async def test_throttle_allows_one_automatic_guide(client: AsyncTestClient, app: NewApp) -> None:
    admin = {"meta": meta({"role": "admin"}, {"plan": "pro"}), "tenant": "acme"}
    first = await deliver(client, app, visitor="boss", **admin)
    assert auto_ids(first) == ["tour"]  # higher priority takes the one slot; admin-news waits
    assert "admin-news" in listed(first)
    await send(client, app, event("guide_seen", "tour", visitor="boss", props={"trigger": "auto"}),
               event("guide_dismissed", "tour", visitor="boss", ts=at(5)))
    later = await deliver(client, app, visitor="boss", **admin)
    assert auto_ids(later) == []  # tour is done (once) and the throttle holds admin-news until tomorrow
    # a guide that ignores the throttle still shows
    assert auto_ids(await deliver(client, app, visitor="boss", path="/app/settings", **admin)) == ["settings-banner"]


async def test_walkthrough_resumes_on_any_page_at_its_step(client: AsyncTestClient, app: NewApp) -> None:
    await send(
        client, app,
        event("guide_seen", "tour", step=0, props={"trigger": "auto"}),
        event("guide_step_advanced", "tour", step=1, ts=at(3), props={"from": 0}),
        event("guide_step_advanced", "tour", step=2, ts=at(6), props={"from": 1}),
    )
    answer = await deliver(client, app, path="/app/invoices/INV-1")
    tour = next(g for g in answer["guides"] if g["id"] == "tour")
    assert tour["auto"] is True
    assert tour["state"] == {"status": "in_progress", "step": 2}
    await send(client, app, event("guide_completed", "tour", step=2, ts=at(9)))
    after = await deliver(client, app)
    tour = next(g for g in after["guides"] if g["id"] == "tour")
    assert (tour["auto"], tour["state"]["status"]) == (False, "completed")


async def test_late_events_do_not_undo_completion(client: AsyncTestClient, app: NewApp) -> None:
    await send(client, app, event("guide_completed", "tour", step=2, ts=at(9)))
    await send(client, app, event("guide_step_advanced", "tour", step=1, ts=at(3)))
    tour = next(g for g in (await deliver(client, app))["guides"] if g["id"] == "tour")
    assert tour["state"]["status"] == "completed"


async def test_snooze_hides_until_it_runs_out(client: AsyncTestClient, app: NewApp) -> None:
    await send(client, app, event("guide_snoozed", "tour", step=0, ts=at(0), props={"days": 1}))
    assert auto_ids(await deliver(client, app)) == []
    # snoozes that began 25 hours ago: one day has run out and the tour is back; two days have not
    day_ago = at(-25 * 3600)
    await send(client, app, event("guide_snoozed", "tour", visitor="v2", step=0, ts=day_ago, props={"days": 1}),
               event("guide_snoozed", "tour", visitor="v3", step=0, ts=day_ago, props={"days": 2}))
    assert auto_ids(await deliver(client, app, visitor="v2")) == ["tour"]
    assert auto_ids(await deliver(client, app, visitor="v3")) == []


async def test_visitors_do_not_share_state(client: AsyncTestClient, app: NewApp) -> None:
    await send(client, app, event("guide_completed", "tour", visitor="done-visitor", step=2))
    assert auto_ids(await deliver(client, app, visitor="done-visitor")) == []
    assert auto_ids(await deliver(client, app, visitor="fresh-visitor")) == ["tour"]


async def test_etag_and_304(client: AsyncTestClient, app: NewApp) -> None:
    params = {"key": app.public_key, "visitor": "v1", "url": "https://h/app/invoices"}
    first = await client.get("/api/v1/guides", params=params)
    etag = first.headers["etag"]
    again = await client.get("/api/v1/guides", params=params, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    await send(client, app, event("guide_dismissed", "tour"))
    changed = await client.get("/api/v1/guides", params=params, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


async def test_cors_lets_any_host_page_read_guides(client: AsyncTestClient, app: NewApp) -> None:
    response = await client.get(
        "/api/v1/guides", params={"key": app.public_key, "visitor": "v", "url": "https://h/"},
        headers={"Origin": "https://customer.example"},
    )
    assert response.headers["access-control-allow-origin"] == "*"


@on_shared_server
@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"visitor": "v", "url": "https://h/"}, 401, "missing app key"),
        ({"key": "pk_unknown", "visitor": "v", "url": "https://h/"}, 403, "unknown app key"),
        ({"key": "{public}", "url": "https://h/"}, 400, "visitor"),
        ({"key": "{public}", "visitor": "v"}, 400, "url"),
        ({"key": "{public}", "visitor": "v", "url": "https://h/", "meta": "%%%"}, 400, "meta"),
        ({"key": "{public}", "visitor": "v", "url": "https://h/", "meta": "bm90IGpzb24"}, 400, "meta"),
        ({"key": "{public}", "visitor": "v" * 201, "url": "https://h/"}, 400, "visitor"),
    ],
)
async def test_bad_requests_get_clear_errors(
    server: AsyncTestClient, shared_app: NewApp, params: dict[str, str], status: int, says: str
) -> None:
    params = {k: v.replace("{public}", shared_app.public_key) for k, v in params.items()}
    response = await server.get("/api/v1/guides", params=params)
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]


async def test_delivery_is_get_only_and_documented(client: AsyncTestClient, app: NewApp) -> None:
    wrong = await client.post(f"/api/v1/guides?key={app.public_key}", content=b"{}")
    assert wrong.status_code == 405
    assert wrong.json()["detail"] == "use GET"
    document = (await client.get("/schema/openapi.json")).json()
    operation = document["paths"]["/api/v1/guides"]["get"]
    assert operation["operationId"] == "DeliverGuides"
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"visitor", "url", "tenant", "locale", "meta", "identity", "If-None-Match"}
    # the public key is a security scheme, not a parameter: tools then know where to put it
    assert {"publicKey": []} in operation["security"]
    assert document["components"]["securitySchemes"]["publicKey"] == {"type": "apiKey", "name": "key", "in": "query",
                                                                      "description": "The app's public key (pk_…)."}


async def test_privacy_flags_tell_the_widget_to_send_nothing(
    client: AsyncTestClient, app: NewApp, settings: Settings
) -> None:
    answer = await deliver(client, app, tenant="quiet-co")
    assert answer["privacy"] == {"opted_out": False, "honor_dnt": False}
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(update(App).where(App.id == app.id).values(honor_dnt=True))
            await conn.execute(insert(Tenant).values(app_id=app.id, id="quiet-co", meta={}, opted_out=True,
                                                     drop_fields=[]))
    finally:
        await engine.dispose()
    assert (await deliver(client, app, tenant="quiet-co"))["privacy"] == {"opted_out": True, "honor_dnt": True}
    assert (await deliver(client, app, tenant="loud-co"))["privacy"] == {"opted_out": False, "honor_dnt": True}


async def test_segment_answers_follow_changed_metadata(client: AsyncTestClient, app: NewApp) -> None:
    """The per-visitor audience cache must never answer for metadata the visitor no longer has."""
    admin = meta({"role": "admin"}, {"plan": "pro"})
    member = meta({"role": "member"}, {"plan": "pro"})
    assert "admin-news" in listed(await deliver(client, app, visitor="same", tenant="t", meta=admin))
    assert "admin-news" not in listed(await deliver(client, app, visitor="same", tenant="t", meta=member))
    assert "admin-news" in listed(await deliver(client, app, visitor="same", tenant="t", meta=admin))
    bad = await client.get("/api/v1/guides", params={"key": app.public_key, "visitor": "same", "tenant": "t",
                                                     "url": "https://h/", "meta": "%%%"})
    assert bad.status_code == 400
