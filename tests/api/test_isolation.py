"""Apps never see each other's guides, state or events, on every API route and in the data layer."""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.analytics.summary_helpers import today
from tests.behaviour.alerts_helpers import evaluate_on
from tests.peers import helpers as peers
from tests.support import at, event, guide_yaml, make_app, push
from tests.webhooks.helpers import endpoint, own_sessionmaker
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import Guide, GuideState, GuideVersion, Tenant, Visitor, VisitorAlias
from waymark.db.scope import CrossAppWrite, app_session
from waymark.guides.kinds.policy_text import text_hash
from waymark.settings import Settings
from waymark.webhooks.outbox import enqueue
from waymark.webhooks.sender import WebhookSender

GUIDE = guide_yaml("""
    id: same-id
    name: "{name}"
    steps:
      - type: lightbox
        title: "{name}"
""")

# Every API route and the test here that proves it keeps apps apart.
ISOLATION_CHECKS = {
    ("GET", "/api/v1/guides"): "test_delivery_and_state_are_per_app",
    ("POST", "/api/v1/events"): "test_delivery_and_state_are_per_app",
    ("GET", "/api/v1/guide-definitions"): "test_management_routes_are_per_app",
    ("POST", "/api/v1/guide-definitions/push"): "test_management_routes_are_per_app",
    ("POST", "/api/v1/guide-definitions/{guide_id:str}/rollback"): "test_management_routes_are_per_app",
    ("GET", "/api/v1/guide-definitions/{guide_id:str}/versions"): "test_management_routes_are_per_app",
    ("GET", "/api/v1/events/export"): "test_events_and_export_are_per_app",
    **{("POST", f"/v1/{call}"): "test_events_and_export_are_per_app"
       for call in ("batch", "track", "identify", "page", "screen", "group", "alias")},
    ("GET", "/api/v1/identity"): "test_identity_settings_are_per_app",
    ("POST", "/api/v1/retention/purge"): "test_a_purge_reaches_only_the_keys_app",
    ("PUT", "/api/v1/identity"): "test_identity_settings_are_per_app",
    ("POST", "/api/v1/identity/secrets"): "test_identity_settings_are_per_app",
    ("DELETE", "/api/v1/identity/secrets/{secret_id:int}"): "test_identity_settings_are_per_app",
    ("GET", "/api/v1/settings"): "test_privacy_routes_are_per_app",
    ("PUT", "/api/v1/settings"): "test_privacy_routes_are_per_app",
    ("GET", "/api/v1/tenants/{tenant_id:str}/privacy"): "test_privacy_routes_are_per_app",
    ("PUT", "/api/v1/tenants/{tenant_id:str}/privacy"): "test_privacy_routes_are_per_app",
    ("GET", "/api/v1/visitors/{visitor_id:str}/export"): "test_privacy_routes_are_per_app",
    ("DELETE", "/api/v1/visitors/{visitor_id:str}"): "test_privacy_routes_are_per_app",
    ("GET", "/api/v1/erasures"): "test_privacy_routes_are_per_app",
    **{(method, f"/api/v1/{kind}s{suffix}"): "test_pages_features_and_reports_are_per_app"
       for kind in ("page", "feature")
       for method, suffix in (("GET", ""), ("GET", f"/{{{kind}_id:str}}"), ("PUT", f"/{{{kind}_id:str}}"),
                              ("DELETE", f"/{{{kind}_id:str}}"))},
    ("GET", "/api/v1/features/untagged"): "test_pages_features_and_reports_are_per_app",
    ("GET", "/api/v1/reports/usage"): "test_pages_features_and_reports_are_per_app",
    ("GET", "/api/v1/reports/signal"): "test_signal_and_impact_are_per_app",
    ("GET", "/api/v1/reports/impact"): "test_signal_and_impact_are_per_app",
    # policies and their evidence
    ("POST", "/api/v1/policy-decisions"): "test_policies_and_evidence_are_per_app",
    **{(method, f"/api/v1/policies{suffix}"): "test_policies_and_evidence_are_per_app"
       for method, suffix in (("GET", ""), ("PUT", "/{policy_id:str}"), ("POST", "/{policy_id:str}/decisions"),
                              ("GET", "/verify"), ("GET", "/{policy_id:str}/status"),
                              ("GET", "/{policy_id:str}/evidence"))},
    ("GET", "/api/v1/reports/policies"): "test_policies_and_evidence_are_per_app",
    # the explainer and the lift report
    ("GET", "/api/v1/guides/{guide_id:str}/explain"): "test_explain_and_lift_are_per_app",
    ("GET", "/api/v1/guides/{guide_id:str}/lift"): "test_explain_and_lift_are_per_app",
    # survey results (NPS, comments, polls)
    **{("GET", f"/api/v1/reports/{name}"): "test_survey_reports_are_per_app"
       for name in ("nps", "nps/comments", "polls")},
    # archiving a guide
    ("POST", "/api/v1/guide-definitions/{guide_id:str}/archive"): "test_archive_is_per_app",
    # people (the CLI's --server)
    ("GET", "/api/v1/people"): "test_people_are_per_app",
    ("POST", "/api/v1/people/invitations"): "test_people_are_per_app",
    ("POST", "/api/v1/people/{email:str}/reset"): "test_people_are_per_app",
    ("GET", "/api/v1/apps"): "test_a_key_sees_and_shares_only_its_own_app",
    ("POST", "/api/v1/apps"): "test_a_key_sees_and_shares_only_its_own_app",
    # peer benchmarks
    ("GET", "/api/v1/reports/benchmarks"): "test_benchmarks_are_per_app",
    # the lexicon (data dictionary)
    ("GET", "/api/v1/lexicon/events"): "test_lexicon_is_per_app",
    ("PATCH", "/api/v1/lexicon/events/{name:str}"): "test_lexicon_is_per_app",
    # behavioural analytics: trends and retention
    ("GET", "/api/v1/reports/trends"): "test_trends_and_retention_are_per_app",
    ("GET", "/api/v1/reports/retention"): "test_trends_and_retention_are_per_app",
    # product-qualified tenants
    **{(method, f"/api/v1/milestones{suffix}"): "test_milestones_and_flags_are_per_app"
       for method, suffix in (("GET", ""), ("GET", "/flags"), ("GET", "/{milestone_id:str}"),
                              ("PUT", "/{milestone_id:str}"), ("DELETE", "/{milestone_id:str}"))},
    # funnels and paths
    ("GET", "/api/v1/reports/funnel"): "test_funnels_and_paths_are_per_app",
    ("GET", "/api/v1/reports/paths"): "test_funnels_and_paths_are_per_app",
    # alert rules, their firings, the webhook delivery log
    **{(method, f"/api/v1/alerts{suffix}"): "test_alerts_and_webhooks_are_per_app"
       for method, suffix in (("GET", ""), ("POST", ""), ("GET", "/firings"), ("GET", "/{rule_id:int}"),
                              ("PUT", "/{rule_id:int}"), ("DELETE", "/{rule_id:int}"))},
    ("GET", "/api/v1/webhooks/deliveries"): "test_alerts_and_webhooks_are_per_app",
    # cohorts
    **{(method, f"/api/v1/cohorts{suffix}"): "test_cohorts_are_per_app"
       for method, suffix in (("GET", ""), ("GET", "/{cohort_id:str}"), ("PUT", "/{cohort_id:str}"),
                              ("DELETE", "/{cohort_id:str}"), ("GET", "/{cohort_id:str}/members"))},
}


# Literal paths first: /api/v1/features/untagged is that route, not a feature called "untagged".
_PATTERNS = sorted(
    ((method, path, re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"))
     for method, path in ISOLATION_CHECKS),
    key=lambda route: route[1].count("{"),
)


def _route_of(method: str, path: str) -> tuple[str, str] | None:
    return next(((m, p) for m, p, pattern in _PATTERNS if m == method and pattern.match(path)), None)


@pytest.fixture(autouse=True)
async def _requests_its_routes(request: pytest.FixtureRequest, client: AsyncTestClient) -> AsyncIterator[None]:
    """A test named in ISOLATION_CHECKS fails unless it requested every route it is named for."""
    requested: set[tuple[str, str]] = set()

    async def record(sent: httpx.Request) -> None:
        route = _route_of(sent.method, sent.url.path)
        if route:
            requested.add(route)

    client.event_hooks["request"].append(record)
    yield
    named = {route for route, test in ISOLATION_CHECKS.items() if test == request.node.originalname}
    assert named <= requested, f"{request.node.originalname} never requests {sorted(named - requested)}"


def test_every_api_route_has_an_isolation_check(client: AsyncTestClient) -> None:
    routes = {
        (method, route.path)
        for route in client.app.routes
        if route.path.startswith(("/api/", "/v1/"))
        # the delivery route is a bare ASGI handler: it answers GET only
        for method in getattr(route, "methods", None) or ("GET",)
        if method not in ("OPTIONS", "HEAD")
    }
    assert routes == set(ISOLATION_CHECKS), "a new API route needs a tenant-isolation test"
    tests = {name: value for name, value in globals().items() if name.startswith("test_")}
    missing = {name for name in ISOLATION_CHECKS.values() if not inspect.iscoroutinefunction(tests.get(name))}
    assert not missing, f"ISOLATION_CHECKS names tests this module does not have: {sorted(missing)}"


async def test_delivery_and_state_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    await push(client, a.secret_key, {"g.yaml": GUIDE.format(name="from A")})
    await push(client, b.secret_key, {"g.yaml": GUIDE.format(name="from B")})
    # the same visitor id completes the guide in app A only
    await client.post(f"/api/v1/events?key={a.public_key}", json={"events": [event("guide_completed", "same-id")]})

    def params(key: str) -> dict[str, str]:
        return {"key": key, "visitor": "v1", "url": "https://h/"}

    in_a = (await client.get("/api/v1/guides", params=params(a.public_key))).json()["guides"]
    in_b = (await client.get("/api/v1/guides", params=params(b.public_key))).json()["guides"]
    assert [(g["steps"][0]["title"], g["state"]["status"], g["auto"]) for g in in_a] == [("from A", "completed", False)]
    assert [(g["steps"][0]["title"], g["state"]["status"], g["auto"]) for g in in_b] == [("from B", "new", True)]


async def test_management_routes_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    await push(client, a.secret_key, {"g.yaml": GUIDE.format(name="A1")})
    await push(client, a.secret_key, {"g.yaml": GUIDE.format(name="A2")})
    b_auth = {"Authorization": f"Bearer {b.secret_key}"}
    assert (await client.get("/api/v1/guide-definitions", headers=b_auth)).json() == []
    assert (await client.get("/api/v1/guide-definitions/same-id/versions", headers=b_auth)).status_code == 404
    assert (await client.post("/api/v1/guide-definitions/same-id/rollback", headers=b_auth)).status_code == 404
    # B publishing the same id makes B's v1, and leaves A's v2 published
    pushed = await push(client, b.secret_key, {"g.yaml": GUIDE.format(name="B1")})
    assert pushed.json()["published"] == [{"id": "same-id", "version": 1, "changed": True}]
    a_list = (await client.get("/api/v1/guide-definitions",
                               headers={"Authorization": f"Bearer {a.secret_key}"})).json()
    assert [(g["id"], g["published_version"]) for g in a_list] == [("same-id", 2)]


async def test_app_bound_session_sees_only_its_app(settings: Settings, client: AsyncTestClient) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    await push(client, a.secret_key, {"g.yaml": GUIDE.format(name="A")})
    await push(client, b.secret_key, {"g.yaml": GUIDE.format(name="B")})
    engine = create_engine(settings.database_url)
    try:
        maker = make_sessionmaker(engine)
        async with app_session(maker, a.id) as session:
            # no filter written here: the scope adds it
            assert {g.app_id for g in (await session.scalars(select(Guide))).all()} == {a.id}
            assert {v.app_id for v in (await session.scalars(select(GuideVersion))).all()} == {a.id}
            session.add(GuideState(app_id=b.id, visitor_id="v", guide_id="same-id", status="seen", step=0))
            with pytest.raises(CrossAppWrite):
                await session.flush()
    finally:
        await engine.dispose()


async def _people(settings: Settings) -> dict[str, set[tuple[Any, ...]]]:
    """Every visitor, tenant and alias row, with the app it belongs to."""
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            visitors = await conn.execute(select(Visitor.app_id, Visitor.id, Visitor.tenant_id, Visitor.meta))
            tenants = await conn.execute(select(Tenant.app_id, Tenant.id, Tenant.meta))
            aliases = await conn.execute(select(VisitorAlias.app_id, VisitorAlias.alias, VisitorAlias.visitor_id))
            return {
                "visitors": {(a, v, t, tuple(sorted(m.items()))) for a, v, t, m in visitors},
                "tenants": {(a, t, tuple(sorted(m.items()))) for a, t, m in tenants},
                "aliases": {tuple(r) for r in aliases},
            }
    finally:
        await engine.dispose()


async def test_events_and_export_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    # app A knows visitor "v" of tenant "acme": a member on the free plan, once "anon-a"
    person = {"ts": at(0), "visitor": "v", "tenant": "acme"}
    answer = await client.post(f"/api/v1/events?key={a.public_key}", json={"events": [
        event("guide_seen", "g", visitor="v"),
        {**person, "id": "a-identify", "type": "identify", "traits": {"role": "member"}},
        {**person, "id": "a-group", "type": "group", "traits": {"plan": "free"}},
        {**person, "id": "a-alias", "type": "alias", "previous": "anon-a"},
    ]})
    assert answer.json()["accepted"] == 4, answer.text
    in_a = await _people(settings)
    assert in_a == {
        "visitors": {(a.id, "v", "acme", (("role", "member"),))},
        "tenants": {(a.id, "acme", (("plan", "free"),))},
        "aliases": {(a.id, "anon-a", "v")},
    }
    # app B says other things about the same ids through the Segment API
    for call, body in (("track", {"event": "x"}), ("identify", {"traits": {"role": "admin"}}),
                       ("page", {"name": "P"}), ("screen", {"name": "S"}),
                       ("group", {"groupId": "acme", "traits": {"plan": "pro"}}), ("alias", {"previousId": "old"})):
        sent = await client.post(f"/v1/{call}", json={"userId": "v", **body}, auth=(b.public_key, ""))
        assert sent.status_code == 200, sent.text
    await client.post("/v1/batch", json={"batch": [{"type": "track", "userId": "v", "event": "y"}]},
                      auth=(b.public_key, ""))

    people = await _people(settings)
    for table, rows in people.items():
        assert {r for r in rows if r[0] == a.id} == in_a[table], f"B's calls changed A's {table}"
        assert {r[0] for r in rows} == {a.id, b.id}, f"B's {table} are not B's alone"
    assert {r for r in people["visitors"] if r[0] == b.id} == {(b.id, "v", "acme", (("role", "admin"),))}
    assert {r for r in people["tenants"] if r[0] == b.id} == {(b.id, "acme", (("plan", "pro"),))}
    assert {r for r in people["aliases"] if r[0] == b.id} == {(b.id, "old", "v")}

    async def exported(secret: str) -> list[str]:
        response = await client.get("/api/v1/events/export", headers={"Authorization": f"Bearer {secret}"})
        return sorted(line.split('"type":"')[1].split('"')[0] for line in response.text.splitlines())

    assert await exported(a.secret_key) == ["alias", "group", "guide_seen", "identify"]
    assert await exported(b.secret_key) == ["alias", "group", "identify", "page", "page", "track", "track"]


async def test_identity_settings_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    a_auth, b_auth = ({"Authorization": f"Bearer {k.secret_key}"} for k in (a, b))
    secret = (await client.post("/api/v1/identity/secrets", headers=a_auth)).json()
    await client.put("/api/v1/identity", json={"required": True}, headers=a_auth)
    assert (await client.get("/api/v1/identity", headers=b_auth)).json() == {"required": False, "active_secret_ids": []}
    assert (await client.delete(f"/api/v1/identity/secrets/{secret['id']}", headers=b_auth)).status_code == 404
    assert (await client.get("/api/v1/identity", headers=a_auth)).json()["active_secret_ids"] == [secret["id"]]
    # B requiring identities does not touch A, and A's requirement does not touch B's delivery
    params = {"visitor": "v", "url": "https://h/"}
    assert (await client.get("/api/v1/guides", params={"key": b.public_key, **params})).status_code == 200
    assert (await client.get("/api/v1/guides", params={"key": a.public_key, **params})).status_code == 403


async def test_a_purge_reaches_only_the_keys_app(client: AsyncTestClient, settings: Settings) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    a_auth, b_auth = ({"Authorization": f"Bearer {k.secret_key}"} for k in (a, b))
    old = {**event("guide_seen", "g"), "id": "e-old", "ts": "2020-01-01T00:00:00Z"}
    await client.post(f"/api/v1/events?key={a.public_key}", json={"events": [old]})
    await client.put("/api/v1/settings", json={"honor_dnt": False, "retention_days": 30}, headers=a_auth)
    # B keeps events forever: its purge deletes nothing of A's, however old
    assert (await client.post("/api/v1/retention/purge", json={}, headers=b_auth)).json()["deleted"] == 0
    exported = await client.get("/api/v1/events/export", headers=a_auth)
    assert "e-old" in exported.text


async def test_privacy_routes_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    a_auth, b_auth = ({"Authorization": f"Bearer {k.secret_key}"} for k in (a, b))
    ann = {"id": "e-ann", "type": "identify", "ts": event("guide_seen", "g")["ts"], "visitor": "ann",
           "tenant": "acme", "traits": {"email": "ann@a.test"}}
    await client.post(f"/api/v1/events?key={a.public_key}", json={"events": [ann]})
    # B's key can neither read nor erase A's visitor, nor see or change A's tenant
    assert (await client.get("/api/v1/visitors/ann/export", headers=b_auth)).status_code == 404
    assert (await client.delete("/api/v1/visitors/ann", headers=b_auth)).status_code == 404
    assert (await client.get("/api/v1/tenants/acme/privacy", headers=b_auth)).status_code == 404
    await client.put("/api/v1/tenants/acme/privacy", json={"opted_out": True, "drop_fields": ["email"]},
                     headers=b_auth)
    await client.put("/api/v1/settings", json={"honor_dnt": True, "retention_days": 1, "throttle_seconds": 5,
                                               "max_auto_guides_per_day": 9}, headers=b_auth)
    assert (await client.get("/api/v1/erasures", headers=b_auth)).json() == []
    a_export = (await client.get("/api/v1/visitors/ann/export", headers=a_auth)).json()
    assert a_export["profile"]["meta"] == {"email": "ann@a.test"}
    assert [e["id"] for e in a_export["events"]] == ["e-ann"]
    assert (await client.get("/api/v1/tenants/acme/privacy", headers=a_auth)).json() == {
        "opted_out": False, "drop_fields": []}
    assert (await client.get("/api/v1/settings", headers=a_auth)).json() == {
        "honor_dnt": False, "retention_days": None, "throttle_seconds": 86400, "max_auto_guides_per_day": 0}
    # A's erasure is A's record only
    assert (await client.delete("/api/v1/visitors/ann", headers=a_auth)).json()["events_deleted"] == 1
    assert (await client.get("/api/v1/erasures", headers=b_auth)).json() == []
    assert len((await client.get("/api/v1/erasures", headers=a_auth)).json()) == 1


async def test_pages_features_and_reports_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    from tests.analytics.helpers import auth, click, event, put_feature, put_page, report, send

    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    for app, selector in ((a, "#in-a"), (b, "#in-b")):
        assert (await put_page(client, app.secret_key, "home", "/demo/invoices")).status_code == 201
        assert (await put_feature(client, app.secret_key, "button", selector)).status_code == 201
    assert (await put_feature(client, a.secret_key, "only-a", "#in-a")).status_code == 201
    # the same tenant and visitor ids in both apps
    await send(client, a.public_key, event("page", "v"), event("page", "v"), click("in-a", "v"), click("x", "v"))
    await send(client, b.public_key, event("page", "v"), click("in-b", "v"), click("in-b", "v"))
    in_a, in_b = await report(client, a.secret_key, tenant="acme"), await report(client, b.secret_key, tenant="acme")
    assert [(p["id"], p["views"]) for p in in_a["pages"]] == [("home", 2)]
    assert [(p["id"], p["views"]) for p in in_b["pages"]] == [("home", 1)]
    assert {f["id"]: f["clicks"] for f in in_a["features"]} == {"button": 1, "only-a": 1}
    assert {f["id"]: f["clicks"] for f in in_b["features"]} == {"button": 2}
    assert in_a["visitors"][0]["events"] == 4 and in_b["visitors"][0]["events"] == 3
    b_auth = auth(b.secret_key)
    assert [f["id"] for f in (await client.get("/api/v1/features", headers=b_auth)).json()] == ["button"]
    assert [p["id"] for p in (await client.get("/api/v1/pages", headers=b_auth)).json()] == ["home"]
    assert (await client.get("/api/v1/features/only-a", headers=b_auth)).status_code == 404
    assert (await client.delete("/api/v1/features/only-a", headers=b_auth)).status_code == 404
    assert (await client.get("/api/v1/features/untagged", headers=b_auth)).json() == []
    untagged_a = (await client.get("/api/v1/features/untagged", headers=auth(a.secret_key))).json()
    assert [u["id"] for u in untagged_a] == ["x"]
    # B redefining and deleting its own rules recounts B only
    assert (await put_feature(client, b.secret_key, "button", "#x")).headers["x-waymark-rebuilt"] == "0"
    assert (await client.delete("/api/v1/pages/home", headers=b_auth)).status_code == 204
    assert await report(client, a.secret_key, tenant="acme") == in_a
    assert (await client.get("/api/v1/pages/home", headers=auth(a.secret_key))).status_code == 200


async def test_signal_and_impact_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    from tests.analytics.summary_helpers import ago, define, on, send
    from tests.behaviour import test_impact_api, test_signal_api

    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    await test_signal_api.seed_into(client, a)
    await test_impact_api.seed_into(client, a)
    # B: the same visitor and tenant ids, one visitor first seen 40 days ago who only viewed a page
    await define(client, b.secret_key)
    await send(client, b.public_key, on("page", "ann", "acme", 40))
    signal = {**test_signal_api.RANGE, "min_support": "1"}
    impact = {**test_impact_api.RANGE, "adoption": "feature:export"}
    for tenant in ({}, {"tenant": "acme"}):
        in_b = (await client.get("/api/v1/reports/signal", params={**signal, **tenant},
                                 headers={"Authorization": f"Bearer {b.secret_key}"})).json()
        assert (in_b["population"], [i["item"] for i in in_b["items"]]) == (1, ["page:invoices"])
        b_impact = (await client.get("/api/v1/reports/impact", params={**impact, **tenant},
                                     headers={"Authorization": f"Bearer {b.secret_key}"})).json()
        assert (b_impact["adopters"]["units"], b_impact["non_adopters"]["units"]) == (0, 0)
    in_a = (await client.get("/api/v1/reports/signal", params=signal,
                             headers={"Authorization": f"Bearer {a.secret_key}"})).json()
    assert in_a["population"] == 5  # the impact set's visitors are the signal set's, first seen earlier
    a_impact = (await client.get("/api/v1/reports/impact", params=impact,
                                 headers={"Authorization": f"Bearer {a.secret_key}"})).json()
    assert a_impact["adopters"]["units"] == 2 and ago(10).isoformat() == a_impact["median_adoption_day"]


async def test_policies_and_evidence_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    a_auth, b_auth = {"Authorization": f"Bearer {a.secret_key}"}, {"Authorization": f"Bearer {b.secret_key}"}
    policy = {"version": 1, "title": {"en": "Terms"}, "body": {"en": "Be kind."}}
    assert (await client.put("/api/v1/policies/terms", json=policy, headers=a_auth)).status_code == 200
    guide = next(g for g in (await client.get("/api/v1/guides", params={
        "key": a.public_key, "visitor": "v1", "url": "https://h/"})).json()["guides"] if g["id"] == "terms")
    step = guide["steps"][0]
    decision = {"id": "d1", "visitor": "v1", "policy": "terms", "version": 1, "locale": "en",
                "decision": "accepted", "text_hash": text_hash(step["title"], step["body"])}
    # B's public key cannot record a decision on A's policy; A's can
    assert (await client.post(f"/api/v1/policy-decisions?key={b.public_key}", json=decision)).status_code == 404
    assert (await client.post(f"/api/v1/policy-decisions?key={a.public_key}", json=decision)).status_code == 200
    api = {"id": "d2", "visitor": "v2", "version": 1, "decision": "accepted"}
    assert (await client.post("/api/v1/policies/terms/decisions", json=api, headers=b_auth)).status_code == 404
    assert (await client.post("/api/v1/policies/terms/decisions", json=api, headers=a_auth)).status_code == 200
    assert [p["id"] for p in (await client.get("/api/v1/policies", headers=a_auth)).json()] == ["terms"]
    assert (await client.get("/api/v1/policies", headers=b_auth)).json() == []
    status = "/api/v1/policies/terms/status"
    assert (await client.get(status, params={"visitor": "v1"}, headers=a_auth)).json()["accepted"] is True
    assert (await client.get(status, params={"visitor": "v1"}, headers=b_auth)).status_code == 404
    assert len((await client.get("/api/v1/policies/terms/evidence", headers=a_auth)).json()) == 2
    assert (await client.get("/api/v1/policies/terms/evidence", headers=b_auth)).status_code == 404
    assert (await client.get("/api/v1/policies/verify", headers=a_auth)).json()["records"] == 2
    assert (await client.get("/api/v1/policies/verify", headers=b_auth)).json() == {
        "intact": True, "records": 0, "first_broken": None}
    assert len((await client.get("/api/v1/reports/policies", headers=a_auth)).json()["rows"]) == 1
    assert (await client.get("/api/v1/reports/policies", headers=b_auth)).json() == {"rows": []}
    # B publishing a policy of the same id starts its own chain and leaves A's untouched
    assert (await client.put("/api/v1/policies/terms", json={**policy, "body": {"en": "Other."}},
                             headers=b_auth)).status_code == 200
    assert (await client.get("/api/v1/policies/verify", headers=a_auth)).json()["records"] == 2


async def test_survey_reports_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    from tests.surveys.helpers import NPS, POLLS, answer, auth, seen, send

    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    for app in (a, b):
        await push(client, app.secret_key, {"nps.yaml": NPS.format(sample=1.0), "polls.yaml": POLLS})
    # the same guide, visitor and tenant ids in both apps
    await send(client, a.public_key, seen("v"), answer("nps_response", "v", score=10, comment="from A"),
               answer("poll_response", "v", guide="tour-poll", question="plan", choices=["pro"]))
    await send(client, b.public_key, answer("nps_response", "v", score=0))
    in_a = (await client.get("/api/v1/reports/nps", params={"guide": "nps"}, headers=auth(a.secret_key))).json()
    in_b = (await client.get("/api/v1/reports/nps", params={"guide": "nps"}, headers=auth(b.secret_key))).json()
    assert (in_a["score"], in_a["shown"], in_b["score"], in_b["shown"]) == (100.0, 1, -100.0, 1)
    comments = await client.get("/api/v1/reports/nps/comments", params={"guide": "nps"}, headers=auth(b.secret_key))
    assert comments.json()["comments"] == []
    polls = (await client.get("/api/v1/reports/polls", params={"guide": "tour-poll"},
                              headers=auth(b.secret_key))).json()
    assert all(q["responses"] == 0 for q in polls["questions"]) and polls["tenants"] == []


async def test_explain_and_lift_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    held = GUIDE.replace("steps:", "hold_out: {{share: 0.9}}\ngoal: {{event: Done, days: 3}}\nsteps:")
    await push(client, a.secret_key, {"g.yaml": held.format(name="A")})
    # the same visitor completes the guide in app A, and is held out there or sees it
    await client.post(f"/api/v1/events?key={a.public_key}", json={"events": [
        event("guide_completed", "same-id"), event("guide_seen", "same-id", ts=at(-5))]})
    b_auth = {"Authorization": f"Bearer {b.secret_key}"}
    params = {"visitor": "v1", "url": "https://h/"}
    # B has no such guide: neither its explanation nor its lift report exists there
    assert (await client.get("/api/v1/guides/same-id/explain", params=params, headers=b_auth)).status_code == 404
    assert (await client.get("/api/v1/guides/same-id/lift", headers=b_auth)).status_code == 404
    await push(client, b.secret_key, {"g.yaml": GUIDE.format(name="B")})
    in_b = (await client.get("/api/v1/guides/same-id/explain", params=params, headers=b_auth)).json()
    assert (in_b["starts"], in_b["reason"]) == (True, None)  # A's completion is not B's
    a_auth = {"Authorization": f"Bearer {a.secret_key}"}
    in_a = (await client.get("/api/v1/guides/same-id/explain", params=params, headers=a_auth)).json()
    assert in_a["starts"] is False
    lift = (await client.get("/api/v1/guides/same-id/lift", headers=a_auth)).json()
    assert lift["shown"]["n"] + lift["held_out"]["n"] == 1  # A's one visitor, and nothing of B's
    assert (await client.get("/api/v1/guides/same-id/lift", headers=b_auth)).status_code == 400  # B's has no goal


async def test_archive_is_per_app(client: AsyncTestClient, settings: Settings) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    await push(client, a.secret_key, {"g.yaml": GUIDE.format(name="A1")})
    b_auth = {"Authorization": f"Bearer {b.secret_key}"}
    assert (await client.post("/api/v1/guide-definitions/same-id/archive", headers=b_auth)).status_code == 404
    # B pruning with its own files archives nothing of A's
    pruned = await client.post("/api/v1/guide-definitions/push", headers=b_auth, json={
        "files": [{"name": "o.yaml", "content": GUIDE.format(name="B1").replace("same-id", "other")}], "prune": True})
    assert pruned.json()["archived"] == []
    a_list = (await client.get("/api/v1/guide-definitions",
                               headers={"Authorization": f"Bearer {a.secret_key}"})).json()
    assert [(g["id"], g["published_version"]) for g in a_list] == [("same-id", 1)]


async def test_benchmarks_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    for i in range(1, 6):  # five retail tenants in A
        await peers.tenant(client, a.public_key, f"t{i}", industry="retail")
        await peers.active(client, a.public_key, f"t{i}", f"v{i}", list(range(1, i + 1)))
    await peers.tenant(client, b.public_key, "t1", industry="retail")  # the same id in B, alone
    await peers.active(client, b.public_key, "t1", "v1", [1])
    query = {"tenant": "t1", "metric": "stickiness", "peer_group": "industry"}
    in_a = (await client.get("/api/v1/reports/benchmarks", params=query,
                             headers={"Authorization": f"Bearer {a.secret_key}"})).json()
    b_auth = {"Authorization": f"Bearer {b.secret_key}"}
    in_b = (await client.get("/api/v1/reports/benchmarks", params=query, headers=b_auth)).json()
    assert in_a["available"] and in_a["peers"] == 5
    assert (in_b["available"], in_b["reason"], in_b["peers"]) == (False, "too_few_peers", 1)  # A's tenants are not B's
    assert (await client.get("/api/v1/reports/benchmarks", params={**query, "tenant": "t2"},
                             headers=b_auth)).status_code == 404


async def test_funnels_and_paths_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    """The same visitor, tenant and event names in both apps: each key's funnel and paths count its own app's."""
    from tests.analytics.summary_helpers import on, send

    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    await send(client, a.public_key, on("track", "v", "acme", 1, name="Signup"),
               on("track", "v", "acme", 1, name="Pay"), on("track", "w", "acme", 1, name="Signup"))
    await send(client, b.public_key, on("track", "v", "acme", 1, name="Signup"))
    for app, funnel, path in ((a, [2, 1], [(["event:Signup", "event:Pay", "exit"], 1), (["event:Signup", "exit"], 1)]),
                              (b, [1, 0], [(["event:Signup", "exit"], 1)])):
        headers = {"Authorization": f"Bearer {app.secret_key}"}
        answer = (await client.get("/api/v1/reports/funnel", params={"steps": "event:Signup,event:Pay"},
                                   headers=headers)).json()
        assert [s["converted"] for s in answer["steps"]] == funnel
        answer = (await client.get("/api/v1/reports/paths", params={"length": "3"}, headers=headers)).json()
        assert [(p["steps"], p["visitors"]) for p in answer["paths"]] == path
        mine = (await client.get("/api/v1/reports/funnel", params={"steps": "event:Signup,event:Pay",
                                                                    "tenant": "globex"}, headers=headers)).json()
        assert [s["converted"] for s in mine["steps"]] == [0, 0]


async def test_people_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    a_auth, b_auth = ({"Authorization": f"Bearer {app.secret_key}"} for app in (a, b))
    invited = await client.post("/api/v1/people/invitations", headers=a_auth,
                                json={"email": "pat@example.com", "role": "analyst"})
    assert invited.status_code == 201 and invited.json()["link"]
    assert [p["email"] for p in (await client.get("/api/v1/people", headers=a_auth)).json()] == ["pat@example.com"]
    assert (await client.get("/api/v1/people", headers=b_auth)).json() == []
    assert (await client.post("/api/v1/people/pat@example.com/reset", headers=b_auth, json={})).status_code == 404
    # the same request with A's key gives the link
    assert (await client.post("/api/v1/people/pat@example.com/reset", headers=a_auth, json={})).status_code == 200


async def test_a_key_sees_and_shares_only_its_own_app(client: AsyncTestClient, settings: Settings) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    a_auth, b_auth = ({"Authorization": f"Bearer {app.secret_key}"} for app in (a, b))
    for email, app in (("a-owner@example.com", a), ("b-owner@example.com", b)):
        assert (await client.post("/api/v1/people/invitations", headers={"Authorization": f"Bearer {app.secret_key}"},
                                  json={"email": email, "role": "owner"})).status_code == 201
    assert [x["id"] for x in (await client.get("/api/v1/apps", headers=a_auth)).json()] == [a.id]
    made = await client.post("/api/v1/apps", headers=b_auth, json={"name": "B two"})
    assert made.status_code == 201 and made.json()["owners"] == ["b-owner@example.com"]  # never A's owner
    new_auth = {"Authorization": f"Bearer {made.json()['secret_key']}"}
    assert [p["email"] for p in (await client.get("/api/v1/people", headers=new_auth)).json()] == [
        "b-owner@example.com"]
    assert [x["id"] for x in (await client.get("/api/v1/apps", headers=a_auth)).json()] == [a.id]


async def test_lexicon_is_per_app(client: AsyncTestClient, settings: Settings) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    a_auth, b_auth = ({"Authorization": f"Bearer {app.secret_key}"} for app in (a, b))
    sent = await client.post(f"/api/v1/events?key={a.public_key}", json={"events": [
        {"id": "a-1", "type": "track", "ts": at(-60), "visitor": "v1", "name": "Only A", "props": {"secret": 1}}]})
    assert sent.status_code == 202 and sent.json()["accepted"] == 1
    assert [e["name"] for e in (await client.get("/api/v1/lexicon/events", headers=a_auth)).json()["events"]] == [
        "Only A"]
    assert (await client.get("/api/v1/lexicon/events", headers=b_auth)).json()["events"] == []
    # B can neither edit nor block A's event (as if it did not exist), and A's stays as it was
    assert (await client.patch("/api/v1/lexicon/events/Only%20A", headers=b_auth,
                               json={"status": "blocked", "description": "B was here"})).status_code == 404
    (entry,) = (await client.get("/api/v1/lexicon/events", headers=a_auth)).json()["events"]
    assert (entry["status"], entry["description"]) == ("visible", "")
    # B's own event of the same name, blocked in B, is still taken in A
    await client.post(f"/api/v1/events?key={b.public_key}", json={"events": [
        {"id": "b-1", "type": "track", "ts": at(-60), "visitor": "v1", "name": "Only A"}]})
    assert (await client.patch("/api/v1/lexicon/events/Only%20A", headers=b_auth,
                               json={"status": "blocked"})).status_code == 200
    again = await client.post(f"/api/v1/events?key={a.public_key}", json={"events": [
        {"id": "a-2", "type": "track", "ts": at(-30), "visitor": "v1", "name": "Only A"}]})
    assert again.json()["accepted"] == 1
    (entry,) = (await client.get("/api/v1/lexicon/events", headers=a_auth)).json()["events"]
    assert (entry["status"], entry["blocked_total"]) == ("visible", 0)


async def test_trends_and_retention_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    day = "2026-03-02T09:00:00Z"
    sent = await client.post(f"/api/v1/events?key={a.public_key}", json={"events": [
        {"id": f"iso-{n}", "type": "track", "name": "Signup", "visitor": f"v{n}", "tenant": f"t{n}", "ts": day,
         "url": "https://h/"} for n in (1, 2)]})
    assert sent.status_code == 202, sent.text
    query = {"events": "event:Signup", "from": "2026-03-02", "to": "2026-03-08", "interval": "week",
             "breakdown": "browser"}
    retention = {"start_event": "event:Signup", "from": "2026-03-02", "to": "2026-03-08"}

    async def ask(path: str, key: str, params: dict[str, str]) -> Any:
        answer = await client.get(path, params=params, headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200, answer.text
        return answer.json()

    mine = await ask("/api/v1/reports/trends", a.secret_key, query)
    assert [s["total"] for s in mine["series"]] == [2]
    assert (await ask("/api/v1/reports/trends", b.secret_key, query))["series"] == []  # nothing of A's, no group
    assert [s["total"] for s in (await ask("/api/v1/reports/trends", b.secret_key, {
        **query, "breakdown": ""}))["series"]] == [0]
    assert [s["total"] for s in (await ask("/api/v1/reports/trends", a.secret_key, {
        **query, "breakdown": "", "tenant": "t2"}))["series"]] == [1]  # one tenant of A sees only its own
    assert (await ask("/api/v1/reports/retention", a.secret_key, retention))["cohorts"][0]["size"] == 2
    assert (await ask("/api/v1/reports/retention", a.secret_key, {**retention, "tenant": "t1"}))["cohorts"][0][
        "size"] == 1
    assert (await ask("/api/v1/reports/retention", b.secret_key, retention))["cohorts"][0]["size"] == 0
    assert (await ask("/api/v1/reports/retention", b.secret_key, {**retention, "start_event": "first_seen"}))[
        "cohorts"][0]["size"] == 0


async def test_milestones_and_flags_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    a_auth, b_auth = ({"Authorization": f"Bearer {app.secret_key}"} for app in (a, b))
    # the same tenant id in both apps, each with its own CRM id; only A's tenant does the track event
    for app, crm in ((a, "CRM-A"), (b, "CRM-B")):
        sent = await client.post(f"/api/v1/events?key={app.public_key}", json={"events": [
            {"id": uuid.uuid4().hex, "type": "group", "ts": at(0), "visitor": "v1", "tenant": "acme",
             "traits": {"crm_id": crm}}]})
        assert sent.status_code == 202 and not sent.json()["rejected"], sent.text
    tracked = await client.post(f"/api/v1/events?key={a.public_key}", json={"events": [
        {"id": uuid.uuid4().hex, "type": "track", "ts": at(0), "visitor": "v1", "tenant": "acme",
         "name": "Invoice"}]})
    assert tracked.status_code == 202 and not tracked.json()["rejected"], tracked.text
    busy = {"kind": "events_count", "name": "Busy", "ref": "event:Invoice", "at_least": 1, "days": 30}
    for auth in (a_auth, b_auth):
        assert (await client.put("/api/v1/milestones/busy", json=busy, headers=auth)).status_code == 201
    assert (await client.put("/api/v1/milestones/only-a", json=busy, headers=a_auth)).status_code == 201
    # B sees its own milestone, unflagged, and none of A's flags or milestones
    assert [(m["id"], m["flagged"]) for m in (await client.get("/api/v1/milestones", headers=b_auth)).json()] == [
        ("busy", 0)]
    assert (await client.get("/api/v1/milestones/flags", headers=b_auth)).json() == []
    b_csv = (await client.get("/api/v1/milestones/flags", params={"format": "csv"}, headers=b_auth)).text
    assert "CRM-A" not in b_csv and "acme" not in b_csv
    assert (await client.get("/api/v1/milestones/only-a", headers=b_auth)).status_code == 404
    assert (await client.delete("/api/v1/milestones/only-a", headers=b_auth)).status_code == 404
    # B redefining and deleting its own milestone leaves A's flags as they were
    in_a = (await client.get("/api/v1/milestones/flags", headers=a_auth)).json()
    assert [(f["tenant"], f["crm_id"], f["milestone"]) for f in in_a] == [("acme", "CRM-A", "busy"),
                                                                          ("acme", "CRM-A", "only-a")]
    assert (await client.put("/api/v1/milestones/busy", json={**busy, "at_least": 5}, headers=b_auth)).status_code \
        == 200
    assert (await client.delete("/api/v1/milestones/busy", headers=b_auth)).status_code == 204
    assert (await client.get("/api/v1/milestones/flags", headers=a_auth)).json() == in_a
    assert (await client.get("/api/v1/milestones/busy", headers=a_auth)).json()["name"] == "Busy"


async def test_alerts_and_webhooks_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    a_auth, b_auth = ({"Authorization": f"Bearer {app.secret_key}"} for app in (a, b))
    await client.post(f"/api/v1/events?key={a.public_key}", json={"events": [event("guide_seen", "g", "v1")]})
    rule = {"name": "Busy", "metric": "active_visitors", "period": "day", "condition": "above", "value": 0}
    made = await client.post("/api/v1/alerts", headers=a_auth, json=rule)
    assert made.status_code == 201, made.text
    rule_id = made.json()["id"]
    assert len((await evaluate_on(settings, today() + timedelta(days=1))).fired) == 1
    async with own_sessionmaker(settings) as sessionmaker:
        await endpoint(sessionmaker, a.id, "http://127.0.0.1:9/refused")  # port 9: nothing listens, attempts fail
        async with app_session(sessionmaker, a.id) as session:
            await enqueue(session, a.id, "alert.fired", {"rule": rule_id})
            await session.commit()
        sender = WebhookSender(sessionmaker)
        try:
            assert await sender.send_due() == 1
        finally:
            await sender.close()
    assert len((await client.get("/api/v1/alerts/firings", headers=a_auth)).json()) == 1
    assert len((await client.get("/api/v1/webhooks/deliveries", headers=a_auth)).json()) == 1
    # B sees none of it, and cannot read, change or delete A's rule by its id
    assert (await client.get("/api/v1/alerts", headers=b_auth)).json() == []
    assert (await client.get("/api/v1/alerts/firings", headers=b_auth)).json() == []
    assert (await client.get("/api/v1/webhooks/deliveries", headers=b_auth)).json() == []
    assert (await client.get(f"/api/v1/alerts/{rule_id}", headers=b_auth)).status_code == 404
    assert (await client.put(f"/api/v1/alerts/{rule_id}", headers=b_auth, json=rule)).status_code == 404
    assert (await client.delete(f"/api/v1/alerts/{rule_id}", headers=b_auth)).status_code == 404
    assert (await client.post("/api/v1/alerts", headers=b_auth, json=rule)).status_code == 201
    assert [r["id"] for r in (await client.get("/api/v1/alerts", headers=a_auth)).json()] == [rule_id]
    assert (await client.get(f"/api/v1/alerts/{rule_id}", headers=a_auth)).json()["in_breach"] is True


async def test_cohorts_are_per_app(client: AsyncTestClient, settings: Settings) -> None:
    """Another app's key neither sees, lists, counts nor deletes a cohort; a cohort of the same id in each app
    counts its own app's visitors only, and delivery in one app never admits by the other's membership."""
    a, b = await make_app(settings, "A"), await make_app(settings, "B")
    a_auth, b_auth = {"Authorization": f"Bearer {a.secret_key}"}, {"Authorization": f"Bearer {b.secret_key}"}
    for app, visitors in ((a, ["a-1", "a-2"]), (b, ["b-1"])):
        sent = await client.post(f"/api/v1/events?key={app.public_key}", json={"events": [
            {"id": f"page-{v}", "type": "page", "visitor": v, "url": "https://h/x", "ts": at()} for v in visitors]})
        assert sent.status_code == 202, sent.text
    rule = {"name": "New", "rule": {"first_seen_within": 7}}
    assert (await client.put("/api/v1/cohorts/only-a", json=rule, headers=a_auth)).json()["size"] == 2
    assert (await client.put("/api/v1/cohorts/new", json=rule, headers=a_auth)).json()["size"] == 2
    assert (await client.put("/api/v1/cohorts/new", json=rule, headers=b_auth)).json()["size"] == 1
    assert [c["id"] for c in (await client.get("/api/v1/cohorts", headers=b_auth)).json()] == ["new"]
    assert (await client.get("/api/v1/cohorts/only-a", headers=b_auth)).status_code == 404
    assert (await client.get("/api/v1/cohorts/only-a/members", headers=b_auth)).status_code == 404
    members_b = (await client.get("/api/v1/cohorts/new/members", headers=b_auth)).json()
    assert [m["visitor"] for m in members_b["members"]] == ["b-1"]
    assert (await client.delete("/api/v1/cohorts/only-a", headers=b_auth)).status_code == 404
    assert (await client.get("/api/v1/cohorts/only-a", headers=a_auth)).json()["size"] == 2
    guide = guide_yaml("""
        id: for-only-a
        name: For only-a
        kind: announcement
        targeting:
          segment: {field: cohort, op: in, value: only-a}
        steps:
          - type: lightbox
            title: Hi
    """)
    refused = await push(client, b.secret_key, {"g.yaml": guide})
    assert refused.status_code == 422 and "'only-a' does not exist" in refused.text
