"""The alerts API and admin pages: CRUD, hostile input answered 400 naming the field, who may edit, the banner."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.admin.pages_support import post_page, signed_in
from tests.analytics.summary_helpers import ago, on, send
from tests.behaviour.alerts_helpers import evaluate_on, make_rule
from tests.support import make_app, on_shared_server
from waymark.access.principal import Grant, Role
from waymark.settings import Settings

GOOD: dict[str, Any] = {"name": "Quiet", "metric": "active_visitors", "period": "day", "condition": "below",
                        "value": 3}


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_rules_are_created_read_replaced_and_deleted(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    rule = await make_rule(client, app.secret_key, **GOOD)
    got = (await client.get(f"/api/v1/alerts/{rule}", headers=_auth(app.secret_key))).json()
    assert {k: got[k] for k in ("name", "metric", "target", "period", "condition", "value", "enabled",
                                "in_breach")} == {**GOOD, "target": "", "value": 3.0, "enabled": True,
                                                  "in_breach": False}
    replaced = await client.put(f"/api/v1/alerts/{rule}", headers=_auth(app.secret_key), json={
        **GOOD, "name": "Signups", "metric": "event_count", "target": "event:Signup", "condition": "above",
        "value": 100, "enabled": False})
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["target"], replaced.json()["enabled"]) == ("event:Signup", False)
    assert [r["name"] for r in (await client.get("/api/v1/alerts", headers=_auth(app.secret_key))).json()] == [
        "Signups"]
    assert (await client.delete(f"/api/v1/alerts/{rule}", headers=_auth(app.secret_key))).status_code == 204
    assert (await client.get(f"/api/v1/alerts/{rule}", headers=_auth(app.secret_key))).status_code == 404
    assert (await client.delete(f"/api/v1/alerts/{rule}", headers=_auth(app.secret_key))).status_code == 404
    assert (await client.put(f"/api/v1/alerts/{rule}", headers=_auth(app.secret_key), json=GOOD)).status_code == 404


@on_shared_server
@pytest.mark.parametrize(("body", "field"), [
    ({**GOOD, "metric": "funnel_conversion", "target": "steps=event:A,event:B&breakdown=browser"}, "target"),
    ({**GOOD, "metric": "funnel_conversion", "target": "steps=event:A,nonsense"}, "target"),
    ({**GOOD, "metric": ""}, "metric"),
    ({**GOOD, "period": "hour"}, "period"),
    ({**GOOD, "condition": "equals"}, "condition"),
    ({**GOOD, "value": -1}, "value"),
    ({**GOOD, "value": 1e300}, "value"),
    ({**GOOD, "condition": "rises_by", "value": 0}, "value"),
    ({**GOOD, "metric": "nps", "target": "nps", "value": 250}, "value"),
    ({**GOOD, "name": ""}, "name"),
    ({**GOOD, "target": "page:home"}, "target"),
    ({**GOOD, "metric": "event_count", "target": "event:Signup[plan=pro]"}, "target"),
    ({**GOOD, "metric": "event_count", "target": "nonsense"}, "target"),
    ({**GOOD, "metric": "policy_coverage", "target": "<script>"}, "target"),
])
async def test_a_wrong_field_answers_400_naming_it(server: AsyncTestClient, shared_settings: Settings,
                                                    body: dict[str, Any], field: str) -> None:
    app = await make_app(shared_settings)
    answer = await server.post("/api/v1/alerts", json=body, headers=_auth(app.secret_key))
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"].startswith(f"{field}: ")
    assert answer.json()["extra"][0]["key"] == field


@on_shared_server
@pytest.mark.parametrize(("body", "named"), [
    ({**GOOD, "value": "three"}, "value"),
    ({**GOOD, "value": None}, "value"),
    ({**GOOD, "metric": 7}, "metric"),
    ({**GOOD, "extra": 1}, "extra"),
    ({**GOOD, "name": "bad\x00name"}, "name"),
    ({**GOOD, "metric": "x" * 101}, "metric"),
    ({"name": "No metric", "period": "day", "condition": "below", "value": 1}, "metric"),
])
async def test_a_malformed_body_answers_400_naming_the_field(server: AsyncTestClient, shared_settings: Settings,
                                                              body: dict[str, Any], named: str) -> None:
    app = await make_app(shared_settings)
    answer = await server.post("/api/v1/alerts", json=body, headers=_auth(app.secret_key))
    assert answer.status_code == 400, answer.text
    assert named in answer.text


async def test_an_id_out_of_range_is_a_400_not_a_database_error(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    for method in ("GET", "DELETE"):
        answer = await client.request(method, "/api/v1/alerts/51427409906233052758016", headers=_auth(app.secret_key))
        assert answer.status_code == 400, answer.text
    assert (await client.put("/api/v1/alerts/0", json=GOOD, headers=_auth(app.secret_key))).status_code == 400


async def test_the_admin_page_edits_rules_for_owners_and_shows_them_to_analysts(
        client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    page = f"/admin/apps/{app.id}/alerts"
    await signed_in(client, settings, "owner@example.com", [Grant(app.id, Role.OWNER)])
    bad = await post_page(client, page, page, {"name": "Bad", "metric": "active_visitors", "period": "day",
                                               "condition": "below", "value": "lots", "enabled": "on"})
    assert bad.status_code == 400 and "Value: give a finite number" in bad.text
    made = await post_page(client, page, page, {"name": "Quiet days", "metric": "active_visitors", "period": "day",
                                                "condition": "below", "value": "3", "enabled": "on"})
    assert made.status_code == 200 and "Quiet days" in made.text
    [rule] = (await client.get("/api/v1/alerts", headers=_auth(app.secret_key))).json()
    edited = await post_page(client, page, page, {"rule_id": str(rule["id"]), "name": "Quiet days", "metric":
                                                  "active_visitors", "period": "week", "condition": "below",
                                                  "value": "5"})
    assert edited.status_code == 200
    [rule] = (await client.get("/api/v1/alerts", headers=_auth(app.secret_key))).json()
    assert (rule["period"], rule["value"], rule["enabled"]) == ("week", 5.0, False)
    form = (await client.get(f"{page}?edit={rule['id']}")).text
    assert f'name="rule_id" value="{rule["id"]}"' in form
    client.cookies.clear()
    await signed_in(client, settings, "analyst@example.com", [Grant(app.id, Role.ANALYST)])
    shown = await client.get(page)
    assert shown.status_code == 200 and "Quiet days" in shown.text and "Save the rule" not in shown.text
    refused = await client.post(f"{page}/{rule['id']}/delete", data={"_csrf_token": "x"})
    assert refused.status_code in (403, 404)
    assert len((await client.get("/api/v1/alerts", headers=_auth(app.secret_key))).json()) == 1


async def test_a_firing_shows_a_banner_on_the_apps_pages(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, on("page", "only", "acme", 1))
    await make_rule(client, app.secret_key, **GOOD)
    await signed_in(client, settings, "analyst@example.com", [Grant(app.id, Role.ANALYST)])
    assert "alert-banner" not in (await client.get(f"/admin/apps/{app.id}/nps")).text
    assert len((await evaluate_on(settings, ago(0))).fired) == 1
    for path in ("nps", "alerts", "guides"):
        shown = (await client.get(f"/admin/apps/{app.id}/{path}")).text
        assert "alert-banner" in shown and "1 alert is firing" in shown, path
    client.cookies.clear()
    await signed_in(client, settings, "tenant@example.com", [Grant(app.id, Role.TENANT_ADMIN, "acme")])
    tenant_page = await client.get(f"/admin/apps/{app.id}/tenants/acme/nps")
    assert tenant_page.status_code == 200 and "alert-banner" not in tenant_page.text
    # a rule turned off closes its firing: no banner stays up for a breach nothing judges any more
    [rule] = (await client.get("/api/v1/alerts", headers=_auth(app.secret_key))).json()
    off = await client.put(f"/api/v1/alerts/{rule['id']}", headers=_auth(app.secret_key),
                           json={**GOOD, "enabled": False})
    assert off.status_code == 200 and not off.json()["in_breach"]
    [firing] = (await client.get("/api/v1/alerts/firings", headers=_auth(app.secret_key))).json()
    assert firing["recovered_at"] is not None
    client.cookies.clear()
    await signed_in(client, settings, "analyst2@example.com", [Grant(app.id, Role.ANALYST)])
    assert "alert-banner" not in (await client.get(f"/admin/apps/{app.id}/nps")).text


async def test_webhook_endpoints_refuse_other_schemes_in_the_admin(client: AsyncTestClient,
                                                                   settings: Settings) -> None:
    app = await make_app(settings)
    page = f"/admin/apps/{app.id}/webhooks"
    await signed_in(client, settings, "owner@example.com", [Grant(app.id, Role.OWNER)])
    for url in ("ftp://files.example.com/", "javascript:alert(1)", "hooks.example.com", "http://"):
        refused = await post_page(client, page, f"{page}/endpoints", {"url": url})
        assert refused.status_code == 400 and "url: " in refused.text, url
    added = await post_page(client, page, f"{page}/endpoints", {"url": "https://hooks.example.com/w"})
    assert added.status_code == 200 and "whsec_" in added.text and "will not be shown again" in added.text
    secret = added.text.split('value="whsec_')[1].split('"')[0]
    shown = (await client.get(page)).text
    assert secret not in shown and "https://hooks.example.com/w" in shown  # shown once
    rotated = await post_page(client, page, f"{page}/secret/rotate")
    assert rotated.status_code == 200 and "whsec_" in rotated.text and secret not in rotated.text
