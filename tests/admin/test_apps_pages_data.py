"""Settings, privacy and content in the admin: saved from a form and in effect at once, refused with the field named
when wrong, audited; a visitor's export and erasure; archive and roll back (authors only)."""

from __future__ import annotations

import html
import json

from litestar.testing import AsyncTestClient

from tests.access.helpers import owner
from tests.admin.pages_support import audited, post_page, signed_in
from tests.policies.support import push_policy
from tests.privacy.helpers import auth, send, track
from tests.support import guide_yaml, make_app, push
from waymark.access.principal import Grant, Role
from waymark.settings import Settings

OWNER = "owner@example.test"
GOOD = {"throttle_seconds": "0", "max_auto_guides_per_day": "3", "retention_days": "30", "honor_dnt": "on"}


async def test_settings_are_saved_and_take_effect(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await signed_in(client, settings, OWNER, owner(app.id))
    url = f"/admin/apps/{app.id}/settings"
    shown = await client.get(url)
    assert shown.status_code == 200 and 'name="throttle_seconds" type="number" value="86400"' in shown.text
    saved = await post_page(client, url, url, GOOD)
    assert saved.status_code == 200 and "Settings saved." in saved.text
    assert (await client.get("/api/v1/settings", headers=auth(app.secret_key))).json() == {
        "honor_dnt": True, "retention_days": 30, "throttle_seconds": 0, "max_auto_guides_per_day": 3}
    refused = await send(client, app.public_key, track("v1"), DNT="1")
    assert refused["accepted"] == 0 and "Do Not Track" in refused["rejected"][0]["reason"]
    delivery = {"key": app.public_key, "visitor": "v1", "url": "https://h/app"}
    assert (await client.get("/api/v1/guides", params=delivery)).status_code == 200
    await post_page(client, url, url, {**GOOD, "require_identity": "on"})
    assert (await client.get("/api/v1/guides", params=delivery)).status_code == 403
    assert [a[1] for a in await audited(settings, app.id)] == ["settings.update", "settings.update"]


async def test_wrong_settings_name_the_field_and_change_nothing(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await signed_in(client, settings, OWNER, owner(app.id))
    url = f"/admin/apps/{app.id}/settings"
    answer = await post_page(client, url, url, {**GOOD, "throttle_seconds": "-5", "retention_days": "forever"})
    assert answer.status_code == 400
    text = html.unescape(answer.text)
    assert "Time between automatic guides: '-5' is not a whole number from 0 to 31536000." in text
    assert "Keep events for: 'forever' is not a whole number" in text
    assert answer.text.count('aria-invalid="true"') == 2 and 'value="forever"' in answer.text
    stored = (await client.get("/api/v1/settings", headers=auth(app.secret_key))).json()
    assert stored["throttle_seconds"] == 86400 and stored["honor_dnt"] is False
    assert await audited(settings, app.id) == []


async def test_a_tenants_privacy_is_set_from_the_page(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await signed_in(client, settings, OWNER, owner(app.id))
    url = f"/admin/apps/{app.id}/privacy"
    saved = await post_page(client, url, f"{url}/tenant",
                            {"tenant_id": "acme", "opted_out": "on", "drop_fields": "email,\nname, email"})
    assert saved.status_code == 200 and "Tenant acme: opted out of collection; fields never stored: email, name" \
        in saved.text
    assert (await client.get("/api/v1/tenants/acme/privacy", headers=auth(app.secret_key))).json() == {
        "opted_out": True, "drop_fields": ["email", "name"]}
    assert "<td>acme</td><td>yes</td><td>email, name</td>" in (await client.get(url)).text
    found = await client.get(url, params={"tenant": "acme"})
    assert 'name="drop_fields" rows="2"' in found.text and ">email, name</textarea>" in found.text
    wrong = await post_page(client, url, f"{url}/tenant", {"tenant_id": "acme", "drop_fields": "id"})
    assert wrong.status_code == 400 and "the visitor id cannot be dropped" in wrong.text
    assert (await client.get("/api/v1/tenants/acme/privacy", headers=auth(app.secret_key))).json()["opted_out"]
    assert [a[1:] for a in await audited(settings, app.id)] == [
        ("tenant_privacy.update", "acme: opted_out=True drop=email,name")]


async def test_a_visitor_is_exported_and_erased_from_the_page(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, track("ann", "acme"), track("ann", "acme"), track("bob", "acme"))
    await signed_in(client, settings, OWNER, owner(app.id))
    url = f"/admin/apps/{app.id}/privacy"
    exported = await post_page(client, url, f"{url}/export", {"visitor_id": "ann"})
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == 'attachment; filename="visitor-ann.json"'
    body = json.loads(exported.content)
    assert body["profile"]["id"] == "ann" and len(body["events"]) == 2
    erased = await post_page(client, url, f"{url}/erase", {"visitor_id": "ann"})
    assert erased.status_code == 200 and "Visitor ann erased: 2 events deleted" in erased.text
    assert "<td>ann</td>" in erased.text, "the erasure is listed"
    left = await client.get("/api/v1/events/export", headers=auth(app.secret_key))
    assert {json.loads(line)["visitor"] for line in left.text.splitlines()} == {"bob"}
    unknown = await post_page(client, url, f"{url}/export", {"visitor_id": "nobody"})
    assert unknown.status_code == 404 and "No data is stored for visitor" in unknown.text
    assert [a[1:] for a in await audited(settings, app.id)] == [("visitor.export", "ann"), ("visitor.erase", "ann")]


def _tour(title: str) -> str:
    return guide_yaml(f"""
        id: tour
        name: Tour
        kind: announcement
        steps:
          - type: banner
            title: {title}
    """)


async def test_content_is_archived_and_rolled_back_by_authors(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    for title in ("First", "Second"):
        assert (await push(client, app.secret_key, {"tour.yaml": _tour(title)})).status_code == 200
    assert (await push_policy(client, app.secret_key, version=1)).status_code == 200
    await signed_in(client, settings, "author@example.test", [Grant(app.id, Role.AUTHOR)])
    url = f"/admin/apps/{app.id}/content"
    page = await client.get(url)
    assert page.status_code == 200
    assert "<code>tour</code>" in page.text and "2 versions (latest v2)" in page.text
    assert "<code>terms</code>" in page.text and "Policy text versions: 1" in page.text
    back = await post_page(client, url, f"{url}/tour/rollback")
    assert back.status_code == 200 and "tour is rolled back: v1 is published." in back.text
    listed = {g["id"]: g for g in (await client.get("/api/v1/guide-definitions", headers=auth(app.secret_key))).json()}
    assert listed["tour"]["published_version"] == 1
    again = await post_page(client, url, f"{url}/tour/rollback")
    assert again.status_code == 409 and "no version before v1" in again.text
    gone = await post_page(client, url, f"{url}/tour/archive")
    assert gone.status_code == 200 and "tour is archived" in gone.text
    delivered = await client.get("/api/v1/guides", params={"key": app.public_key, "visitor": "v", "url": "https://h/a"})
    assert "tour" not in {g["id"] for g in delivered.json()["guides"]}
    assert [a[1:] for a in await audited(settings, app.id)] == [("guide.rollback", "tour -> v1"),
                                                                ("guide.archive", "tour v1")]


async def test_an_analyst_reads_content_but_cannot_change_it(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await push(client, app.secret_key, {"tour.yaml": _tour("First")})
    await signed_in(client, settings, "analyst@example.test", [Grant(app.id, Role.ANALYST)])
    url = f"/admin/apps/{app.id}/content"
    page = await client.get(url)
    assert page.status_code == 200 and "<code>tour</code>" in page.text and "/archive" not in page.text
    assert (await post_page(client, url, f"{url}/tour/archive")).status_code == 404
    for hidden in ("privacy", "settings", "keys"):
        assert (await client.get(f"/admin/apps/{app.id}/{hidden}")).status_code == 404
