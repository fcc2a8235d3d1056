"""Privacy settings of an app and of its tenants, over the API: round trips, clear refusals, their effect."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.privacy.helpers import auth, export_lines, send, track
from tests.support import make_app
from waymark.settings import Settings


async def test_app_settings_round_trip(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    got = await client.get("/api/v1/settings", headers=auth(app.secret_key))
    assert got.status_code == 200
    budget = {"throttle_seconds": 86400, "max_auto_guides_per_day": 0}  # the budget is unchanged when not given
    assert got.json() == {"honor_dnt": False, "retention_days": None, **budget}
    put = await client.put("/api/v1/settings", json={"honor_dnt": True, "retention_days": 30},
                           headers=auth(app.secret_key))
    assert put.status_code == 200, put.text
    assert put.json() == {"honor_dnt": True, "retention_days": 30, **budget}
    assert (await client.get("/api/v1/settings", headers=auth(app.secret_key))).json() == put.json()
    back = await client.put("/api/v1/settings", json={"honor_dnt": False, "retention_days": None},
                            headers=auth(app.secret_key))
    assert back.json() == {"honor_dnt": False, "retention_days": None, **budget}


async def test_settings_reach_the_widget_through_delivery(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await client.put("/api/v1/settings", json={"honor_dnt": True, "retention_days": None},
                     headers=auth(app.secret_key))
    await client.put("/api/v1/tenants/quiet/privacy", json={"opted_out": True, "drop_fields": []},
                     headers=auth(app.secret_key))
    answer = await client.get("/api/v1/guides", params={"key": app.public_key, "visitor": "v", "url": "https://h/",
                                                        "tenant": "quiet"})
    assert answer.json()["privacy"] == {"opted_out": True, "honor_dnt": True}


async def test_bad_settings_are_refused_naming_the_problem(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    cases = [
        ({"honor_dnt": True, "retention_days": 0}, "retention_days", ">= 1"),
        ({"honor_dnt": True, "retention_days": "thirty"}, "retention_days", "Expected `int | null`"),
        ({"honor_dnt": True, "retention_days": 1.5}, "retention_days", "Expected `int | null`"),
        ({"honor_dnt": True}, "retention_days", "missing required field"),
        ({"honor_dnt": "yes", "retention_days": 3}, "honor_dnt", "Expected `bool`"),
        ({"honor_dnt": True, "retention_days": 3, "retention_day": 3}, "retention_day", "unknown field"),
    ]
    for body, field, words in cases:
        response = await client.put("/api/v1/settings", json=body, headers=auth(app.secret_key))
        assert response.status_code == 400, body
        assert field in response.text and words in response.text, response.text
    assert (await client.get("/api/v1/settings", headers=auth(app.secret_key))).json() == {
        "honor_dnt": False, "retention_days": None, "throttle_seconds": 86400, "max_auto_guides_per_day": 0}


async def test_privacy_routes_need_a_secret_key(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    assert (await client.get("/api/v1/settings")).status_code == 401
    public = await client.get("/api/v1/settings", headers=auth(app.public_key))
    assert public.status_code == 403
    assert "needs a secret key" in public.json()["detail"]
    assert (await client.get("/api/v1/erasures", headers=auth("sk_unknown"))).status_code == 403


async def test_tenant_privacy_is_created_by_put_and_round_trips(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    unknown = await client.get("/api/v1/tenants/acme/privacy", headers=auth(app.secret_key))
    assert unknown.status_code == 404
    assert "unknown tenant 'acme'" in unknown.json()["detail"]
    put = await client.put("/api/v1/tenants/acme/privacy", json={"opted_out": False,
                                                                 "drop_fields": ["email", "phone", "email"]},
                           headers=auth(app.secret_key))
    assert put.status_code == 200, put.text
    assert put.json() == {"opted_out": False, "drop_fields": ["email", "phone"]}
    got = await client.get("/api/v1/tenants/acme/privacy", headers=auth(app.secret_key))
    assert got.json() == {"opted_out": False, "drop_fields": ["email", "phone"]}


async def test_bad_tenant_privacy_is_refused_naming_the_problem(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    cases = [
        ("acme", {"opted_out": True}, "drop_fields"),
        ("acme", {"opted_out": True, "drop_fields": ["id"]}, "drop_fields cannot contain 'id'"),
        ("acme", {"opted_out": True, "drop_fields": [""]}, "drop_fields"),
        ("acme", {"opted_out": True, "drop_fields": "email"}, "drop_fields"),
        ("acme", {"opted_out": "maybe", "drop_fields": []}, "opted_out"),
        ("x" * 201, {"opted_out": True, "drop_fields": []}, "tenant id is 201 characters; the limit is 200"),
    ]
    for tenant, body, words in cases:
        response = await client.put(f"/api/v1/tenants/{tenant}/privacy", json=body, headers=auth(app.secret_key))
        assert response.status_code == 400, (body, response.text)
        assert words in response.text, response.text
    assert (await client.get("/api/v1/tenants/acme/privacy", headers=auth(app.secret_key))).status_code == 404


async def test_an_opted_out_tenant_sends_nothing_that_is_kept(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    first = await send(client, app.public_key, track("v1", "acme"), track("v2", "other"))
    assert first["accepted"] == 2
    await client.put("/api/v1/tenants/acme/privacy", json={"opted_out": True, "drop_fields": []},
                     headers=auth(app.secret_key))
    # an event naming the tenant, and one of a visitor known to belong to it, are both refused
    later = [track("v1", "acme", id="named"), track("v1", id="known"), track("v2", "other", id="kept")]
    answer = await send(client, app.public_key, *later)
    assert answer["accepted"] == 1
    assert answer["rejected"] == [
        {"index": 0, "id": "named", "reason": "the tenant has opted out of collection", "code": None},
        {"index": 1, "id": "known", "reason": "the tenant has opted out of collection", "code": None},
    ]
    stored = await export_lines(client, app.secret_key)
    assert sorted((e["visitor"], e.get("tenant")) for e in stored) == [
        ("v1", "acme"), ("v2", "other"), ("v2", "other")]
    # opting in again lets events through
    await client.put("/api/v1/tenants/acme/privacy", json={"opted_out": False, "drop_fields": []},
                     headers=auth(app.secret_key))
    assert (await send(client, app.public_key, track("v1", "acme")))["accepted"] == 1


async def test_dropped_fields_leave_stored_and_later_data(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    traits = {"email": "ann@acme.test", "role": "admin", "phone": "+1 555"}
    await send(client, app.public_key,
               track("ann", "acme", type="identify", traits=traits, id="old-identify"),
               track("bob", "beta", type="identify", traits={"email": "bob@beta.test"}))

    async def profile(visitor: str) -> dict[str, object]:
        response = await client.get(f"/api/v1/visitors/{visitor}/export", headers=auth(app.secret_key))
        return response.json()  # type: ignore[no-any-return]

    assert (await profile("ann"))["profile"]["meta"] == traits
    put = await client.put("/api/v1/tenants/acme/privacy", json={"opted_out": False, "drop_fields": ["email", "phone"]},
                           headers=auth(app.secret_key))
    assert put.status_code == 200, put.text
    ann = await profile("ann")
    assert ann["profile"]["meta"] == {"role": "admin"}
    # the identify event stored before keeps no trace either
    assert [e["props"] for e in ann["events"]] == [{"traits": {"role": "admin"}}]
    assert "ann@acme.test" not in (await client.get("/api/v1/events/export", headers=auth(app.secret_key))).text
    # later identify events lose the fields before anything is written
    await send(client, app.public_key,
               track("ann", type="identify", traits={"email": "new@acme.test", "locale": "de"}))
    ann = await profile("ann")
    assert ann["profile"]["meta"] == {"role": "admin", "locale": "de"}
    assert "new@acme.test" not in str(ann)
    # another tenant's visitors keep theirs
    assert (await profile("bob"))["profile"]["meta"] == {"email": "bob@beta.test"}


async def test_privacy_routes_are_documented(client: AsyncTestClient) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    operations = {
        (method.upper(), path): op["operationId"]
        for path, ops in document["paths"].items() for method, op in ops.items() if "privacy" in op.get("tags", [])
    }
    assert operations == {
        ("GET", "/api/v1/settings"): "GetAppSettings",
        ("PUT", "/api/v1/settings"): "SetAppSettings",
        ("GET", "/api/v1/tenants/{tenant_id}/privacy"): "GetTenantPrivacy",
        ("PUT", "/api/v1/tenants/{tenant_id}/privacy"): "SetTenantPrivacy",
        ("POST", "/api/v1/retention/purge"): "PurgeExpiredEvents",
        ("GET", "/api/v1/visitors/{visitor_id}/export"): "ExportVisitor",
        ("DELETE", "/api/v1/visitors/{visitor_id}"): "EraseVisitor",
        ("GET", "/api/v1/erasures"): "ListErasures",
    }
