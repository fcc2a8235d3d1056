"""Apps and keys in the admin: a new app and its owner, the embed snippet, secret keys created, rotated and revoked
(a revoked key refused at once by every worker), identity secrets; owners only, CSRF-checked and audited."""

from __future__ import annotations

import html as html_lib
import re

from litestar.testing import AsyncTestClient

from tests.access.helpers import owner
from tests.admin.pages_support import audited, post_page, secret_on_page, signed_in
from tests.support import make_app
from waymark.access.principal import Grant, Role
from waymark.app import create_app
from waymark.apps.secret_keys import SecretKeyInfo, list_secret_keys
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.scope import app_session
from waymark.settings import Settings

OWNER = "owner@example.test"


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_the_keys_page_shows_the_public_key_and_a_snippet_to_copy(client: AsyncTestClient,
                                                                        settings: Settings) -> None:
    app = await make_app(settings)
    await signed_in(client, settings, OWNER, owner(app.id))
    page = await client.get(f"/admin/apps/{app.id}/keys")
    assert page.status_code == 200
    text = html_lib.unescape(page.text)
    assert f'value="{app.public_key}"' in page.text
    assert f'src="{settings.public_url}/widget.js" data-key="{app.public_key}"' in text
    assert 'data-copy="embed-snippet"' in page.text and 'data-copy="public-key"' in page.text
    assert app.secret_key not in page.text and app.secret_key[:10] in page.text


async def test_a_revoked_key_is_refused_at_once_by_every_worker(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await signed_in(client, settings, OWNER, owner(app.id))
    keys = f"/admin/apps/{app.id}/keys"
    created = await post_page(client, keys, f"{keys}/secret-keys")
    assert created.status_code == 200 and "will not be shown again" in created.text
    new_key = secret_on_page(created.text)
    assert new_key not in (await client.get(keys)).text, "a new key is shown once"
    other = create_app(settings)  # a second worker on the same database
    async with AsyncTestClient(app=other) as second:
        for worker in (client, second):  # both have used (and could have cached) the key
            assert (await worker.get("/api/v1/pages", headers=_bearer(new_key))).status_code == 200
        key_id = next(k.id for k in await _keys(settings, app.id) if k.prefix == new_key[:10])
        revoked = await post_page(client, keys, f"{keys}/secret-keys/{key_id}/revoke")
        assert revoked.status_code == 200 and "is revoked" in revoked.text
        for worker in (second, client):
            refused = await worker.get("/api/v1/pages", headers=_bearer(new_key))
            assert refused.status_code == 403, refused.text
        assert (await second.get("/api/v1/pages", headers=_bearer(app.secret_key))).status_code == 200
    again = await post_page(client, keys, f"{keys}/secret-keys/{key_id}/revoke")
    assert again.status_code == 404
    assert [a[1:] for a in await audited(settings, app.id)] == [
        ("secret_key.create", new_key[:10]), ("secret_key.revoke", new_key[:10])]


async def _keys(settings: Settings, app_id: str) -> list[SecretKeyInfo]:
    engine = create_engine(settings.database_url)
    try:
        async with app_session(make_sessionmaker(engine), app_id) as session:
            return await list_secret_keys(session, app_id)
    finally:
        await engine.dispose()


async def test_rotating_a_key_replaces_it(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await signed_in(client, settings, OWNER, owner(app.id))
    keys = f"/admin/apps/{app.id}/keys"
    key_id = (await _keys(settings, app.id))[0].id
    rotated = await post_page(client, keys, f"{keys}/secret-keys/{key_id}/rotate")
    assert rotated.status_code == 200
    fresh = secret_on_page(rotated.text)
    assert fresh != app.secret_key
    assert (await client.get("/api/v1/pages", headers=_bearer(app.secret_key))).status_code == 403
    assert (await client.get("/api/v1/pages", headers=_bearer(fresh))).status_code == 200
    assert (await audited(settings, app.id))[-1][1:] == ("secret_key.rotate", f"{app.secret_key[:10]} -> {fresh[:10]}")


async def test_identity_secrets_are_created_once_and_revoked(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await signed_in(client, settings, OWNER, owner(app.id))
    keys = f"/admin/apps/{app.id}/keys"
    made = await post_page(client, keys, f"{keys}/identity-secrets")
    assert made.status_code == 200 and "will not be shown again" in made.text
    listed = (await client.get("/api/v1/identity", headers=_bearer(app.secret_key))).json()
    assert len(listed["active_secret_ids"]) == 1
    secret_id = listed["active_secret_ids"][0]
    gone = await post_page(client, keys, f"{keys}/identity-secrets/{secret_id}/revoke")
    assert gone.status_code == 200 and f"#{secret_id} is revoked" in gone.text
    assert (await client.get("/api/v1/identity", headers=_bearer(app.secret_key))).json()["active_secret_ids"] == []


async def test_only_owners_reach_keys_and_a_post_needs_its_token(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await signed_in(client, settings, "analyst@example.test", [Grant(app.id, Role.ANALYST)])
    assert (await client.get(f"/admin/apps/{app.id}/keys")).status_code == 404
    assert (await client.get(f"/admin/apps/{app.id}/settings")).status_code == 404
    other = await make_app(settings, "Other")
    await signed_in(client, settings, OWNER, owner(other.id))
    assert (await client.get(f"/admin/apps/{app.id}/keys")).status_code == 404
    forged = await client.post(f"/admin/apps/{other.id}/keys/secret-keys", data={})
    assert forged.status_code == 403
    assert await audited(settings, other.id) == []


async def test_a_new_app_belongs_to_its_creator(client: AsyncTestClient, settings: Settings) -> None:
    first = await make_app(settings)
    await signed_in(client, settings, OWNER, owner(first.id))
    made = await post_page(client, "/admin/apps", "/admin/apps", {"name": "  Ledger   two "})
    assert made.status_code == 200 and "Ledger two is created" in made.text
    secret = secret_on_page(made.text)
    assert (await client.get("/api/v1/pages", headers=_bearer(secret))).status_code == 200
    new_id = next(a["id"] for a in _listed((await client.get("/admin/apps")).text) if a["name"] == "Ledger two")
    assert (await client.get(f"/admin/apps/{new_id}/keys")).status_code == 200, "the creator owns it"
    assert (await audited(settings, new_id))[0][1:] == ("app.create", f"{new_id} Ledger two")
    empty = await post_page(client, "/admin/apps", "/admin/apps", {"name": "   "})
    assert empty.status_code == 400 and "give the app a name" in empty.text


def _listed(page: str) -> list[dict[str, str]]:
    return [{"id": m.group(2), "name": html_lib.unescape(m.group(1))}
            for m in re.finditer(r'<td><a href="[^"]+">([^<]+)</a></td><td><code>([0-9a-f]+)</code>', page)]


async def test_a_tenant_admin_cannot_create_apps(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await signed_in(client, settings, "admin@acme.test", [Grant(app.id, Role.TENANT_ADMIN, "acme")])
    page = await client.get("/admin/apps")
    assert page.status_code == 200 and 'action="/admin/apps"' not in page.text
    refused = await post_page(client, "/admin/apps", "/admin/apps", {"name": "Mine"})
    assert refused.status_code == 403 and "Mine" not in str(_listed((await client.get("/admin/apps")).text))
    assert (await client.get("/admin/", follow_redirects=False)).headers["location"] == (
        f"/admin/apps/{app.id}/tenants/acme/")
