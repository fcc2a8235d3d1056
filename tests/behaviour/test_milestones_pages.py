"""The milestones page (owner: form, chart and table, CSV), the badges in the tenants list and the profile, and
who sees which flags (an analyst reads, a tenant admin sees their own tenant's flags only)."""

from __future__ import annotations

import csv
import io

from litestar.testing import AsyncTestClient

from tests.access.helpers import add_person, csrf_token, owner, sign_in
from tests.admin.test_shell import check_page
from tests.analytics.summary_helpers import ago, define, on, refresh, send, today
from tests.behaviour.milestone_helpers import day_start
from tests.support import make_app
from waymark.access.principal import Grant, Role
from waymark.settings import Settings

FORM = {"id": "exporters", "name": "Two exporters", "kind": "visitors_did", "ref": "feature:export",
        "at_least": "2", "within_days": "7", "field": "", "percent": "", "days": ""}


async def _app(client: AsyncTestClient, settings: Settings) -> tuple[str, str]:
    app = await make_app(settings)
    await define(client, app.secret_key)
    await send(client, app.public_key,
               on("group", "a1", "acme", 5, traits={"crm_id": "CRM-7", "account": "SF-1"}),
               on("click", "a1", "acme", 5), on("click", "a2", "acme", 3),
               on("group", "g1", "globex", 5, traits={"crm_id": "CRM-9"}), on("click", "g1", "globex", 5))
    await refresh(settings, app.id)
    return app.id, app.secret_key


async def _post(client: AsyncTestClient, page: str, action: str, form: dict[str, str]) -> object:
    return await client.post(action, data={**form, "_csrf_token": await csrf_token(client, page)},
                             follow_redirects=False)


async def test_an_owner_defines_a_milestone_and_sees_it_on_the_page_the_list_and_the_profile(
        client: AsyncTestClient, settings: Settings) -> None:
    app_id, _ = await _app(client, settings)
    await add_person(settings, "owner@example.test", owner(app_id))
    assert (await sign_in(client, "owner@example.test")).status_code == 303
    page = f"/admin/apps/{app_id}/milestones"
    saved = await client.post(page, data={**FORM, "_csrf_token": await csrf_token(client, page)},
                              follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=exporters")
    shown = await client.get(page)
    assert shown.status_code == 200
    check_page(shown)
    html = shown.text
    assert 'class="bar-chart"' in html and "<table>" in html and "Two exporters" in html
    assert "2 or more visitors did feature:export within 7 days" in html and 'name="_csrf_token"' in html
    data = (await client.get(page, params={"format": "json"})).json()
    assert [(m["id"], m["flagged"]) for m in data["milestones"]] == [("exporters", 1)]
    rows = list(csv.reader(io.StringIO((await client.get(page, params={"format": "csv"})).content.decode("utf-8-sig"))))
    assert rows[1] == ["acme", "CRM-7", "exporters", "Two exporters", "true", day_start(ago(3)).replace("Z", "+00:00"),
                       ""]
    # the CRM id comes from another metadata field once the app says so
    moved = await client.post(f"{page}/settings", data={"crm_field": "account",
                                                        "_csrf_token": await csrf_token(client, page)},
                              follow_redirects=False)
    assert moved.status_code == 303
    rows = list(csv.reader(io.StringIO((await client.get(page, params={"format": "csv"})).content.decode("utf-8-sig"))))
    assert rows[1][:2] == ["acme", "SF-1"]
    # the tenants list shows the badge, the profile the time it became true
    tenants = await client.get(f"/admin/apps/{app_id}/tenants", params={"from": ago(6).isoformat(),
                                                                         "to": today().isoformat()})
    assert tenants.status_code == 200 and 'class="badge" title="since' in tenants.text
    listed = (await client.get(f"/admin/apps/{app_id}/tenants", params={"format": "json"})).json()
    assert {t["tenant"]: [m["milestone"] for m in t["milestones"]] for t in listed["tenants"]} == {
        "acme": ["exporters"], "globex": []}
    profile = await client.get(f"/admin/apps/{app_id}/tenants/acme/")
    assert profile.status_code == 200 and "Two exporters" in profile.text
    assert ago(3).isoformat() + " 00:00 UTC" in profile.text
    check_page(profile)
    # edit: the form comes filled in; a bad field is a 400 naming it, and nothing changes
    edit = await client.get(page, params={"edit": "exporters"})
    assert 'value="Two exporters"' in edit.text
    bad = await client.post(page, data={**FORM, "at_least": "two", "_csrf_token": await csrf_token(client, page)})
    assert bad.status_code == 400 and "at_least: give a whole number" in bad.text and 'aria-invalid="true"' in bad.text
    bad = await client.post(page, data={**FORM, "ref": "event:X[a=b]", "_csrf_token": await csrf_token(client, page)})
    assert bad.status_code == 400 and "ref:" in bad.text
    bad = await client.post(f"{page}/settings", data={"crm_field": "no spaces",
                                                      "_csrf_token": await csrf_token(client, page)})
    assert bad.status_code == 400 and "crm_field" in bad.text
    # deleting takes the flags with it
    gone = await client.post(f"{page}/exporters/delete", data={"_csrf_token": await csrf_token(client, page)},
                             follow_redirects=False)
    assert gone.status_code == 303
    assert (await client.get(page, params={"format": "json"})).json()["flags"] == []
    assert (await client.post(f"{page}/exporters/delete",
                              data={"_csrf_token": await csrf_token(client, page)})).status_code == 404


async def test_a_post_without_the_csrf_token_is_refused(client: AsyncTestClient, settings: Settings) -> None:
    app_id, _ = await _app(client, settings)
    await add_person(settings, "owner@example.test", owner(app_id))
    assert (await sign_in(client, "owner@example.test")).status_code == 303
    answer = await client.post(f"/admin/apps/{app_id}/milestones", data=FORM, follow_redirects=False)
    assert answer.status_code == 403
    assert (await client.get(f"/admin/apps/{app_id}/milestones", params={"format": "json"})).json()["milestones"] == []


async def test_an_analyst_reads_and_a_tenant_admin_sees_only_their_tenants_flags(client: AsyncTestClient,
                                                                                settings: Settings) -> None:
    app_id, secret = await _app(client, settings)
    answer = await client.put("/api/v1/milestones/exporters", headers={"Authorization": f"Bearer {secret}"},
                              json={"kind": "visitors_did", "name": "One exporter", "ref": "feature:export",
                                    "at_least": 1, "within_days": 7})
    assert answer.json()["flagged"] == 2
    await add_person(settings, "analyst@example.test", [Grant(app_id, Role.ANALYST)])
    await add_person(settings, "admin@acme.test", [Grant(app_id, Role.TENANT_ADMIN, "acme")])
    assert (await sign_in(client, "analyst@example.test")).status_code == 303
    page = await client.get(f"/admin/apps/{app_id}/milestones")
    assert page.status_code == 200 and "globex" in page.text and 'id="milestone-form"' not in page.text
    token = await csrf_token(client, f"/admin/apps/{app_id}/milestones")
    refused = await client.post(f"/admin/apps/{app_id}/milestones", data={**FORM, "_csrf_token": token})
    assert refused.status_code == 404
    client.cookies.clear()
    assert (await sign_in(client, "admin@acme.test", next_path=f"/admin/apps/{app_id}/tenants/acme/")).status_code \
        == 303
    own = await client.get(f"/admin/apps/{app_id}/tenants/acme/", params={"format": "json"})
    assert [(m["milestone"], m["active"]) for m in own.json()["milestones"]] == [("exporters", True)]
    assert "CRM-9" not in own.text and "globex" not in own.text
    assert (await client.get(f"/admin/apps/{app_id}/tenants/globex/")).status_code == 404
    assert (await client.get(f"/admin/apps/{app_id}/milestones")).status_code == 404
    assert (await client.get(f"/admin/apps/{app_id}/milestones", params={"format": "csv"})).status_code == 404
