"""The people and audit pages: owners invite, change roles, remove, reset; others get 404; everything is audited."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient

from tests.access.helpers import PASSWORD, add_person, owner, post_form, sign_in
from tests.support import make_app
from waymark.access.principal import Grant, Role
from waymark.settings import Settings

_LINK = re.compile(r'id="one-time-link" type="text" readonly value="([^"]+)"')


async def test_an_owner_invites_and_the_invited_person_signs_in(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await add_person(settings, "owner@example.com", owner(app.id))
    await sign_in(client, "owner@example.com")
    people = f"/admin/apps/{app.id}/people"
    page = await client.get(people)
    assert page.status_code == 200 and "owner@example.com" in page.text
    answer = await post_form(client, f"{people}/invite", {"email": "New@Example.com", "role": "analyst"},
                             token_from=people)
    assert answer.status_code == 200, answer.text
    link = _LINK.search(answer.text)
    assert link, answer.text
    path = link.group(1).split("testserver.local", 1)[1]
    assert path.startswith("/admin/invite/")

    client.cookies.clear()
    form = await client.get(path)
    assert form.status_code == 200 and "new@example.com" in form.text
    set_password = await post_form(client, path, {"password": PASSWORD, "confirm": PASSWORD}, token_from=path)
    assert set_password.status_code == 303 and set_password.headers["location"] == "/admin/"
    assert (await client.get(f"/admin/apps/{app.id}/", follow_redirects=False)).status_code != 303
    # an analyst does not manage people: the page is not there for them
    assert (await client.get(people)).status_code == 404
    # the link worked once
    client.cookies.clear()
    assert (await client.get(path)).status_code == 404

    client.cookies.clear()
    await sign_in(client, "owner@example.com")
    audit = await client.get(f"/admin/apps/{app.id}/audit")
    assert audit.status_code == 200
    assert "people.invite" in audit.text and "new@example.com as analyst" in audit.text


async def test_roles_change_and_the_last_owner_stays(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    owner_id = await add_person(settings, "owner@example.com", owner(app.id))
    other = await add_person(settings, "other@example.com", [Grant(app.id, Role.AUTHOR)])
    await sign_in(client, "owner@example.com")
    people = f"/admin/apps/{app.id}/people"
    demote_self = await post_form(client, f"{people}/{owner_id}/role", {"role": "analyst"}, token_from=people)
    assert demote_self.status_code == 400 and "at least one owner" in demote_self.text
    tenant_admin = await post_form(client, f"{people}/{other}/role", {"role": "tenant_admin", "tenant": "acme"},
                                   token_from=people)
    assert tenant_admin.status_code == 200 and "tenant admin" in tenant_admin.text
    no_tenant = await post_form(client, f"{people}/{other}/role", {"role": "tenant_admin"}, token_from=people)
    assert no_tenant.status_code == 400
    removed = await post_form(client, f"{people}/{other}/remove", {}, token_from=people)
    assert removed.status_code == 200 and "no longer has access" in removed.text
    assert "other@example.com" not in (await client.get(people)).text
    gone = await post_form(client, f"{people}/{other}/remove", {}, token_from=people)
    assert gone.status_code == 404


async def test_a_reset_link_is_shown_only_for_people_wholly_in_apps_the_owner_owns(
    client: AsyncTestClient, settings: Settings
) -> None:
    app, elsewhere = await make_app(settings), await make_app(settings, "elsewhere")
    await add_person(settings, "owner@example.com", owner(app.id))
    only_here = await add_person(settings, "here@example.com", [Grant(app.id, Role.ANALYST)])
    both = await add_person(settings, "both@example.com",
                            [Grant(app.id, Role.ANALYST), Grant(elsewhere.id, Role.OWNER)])
    await sign_in(client, "owner@example.com")
    people = f"/admin/apps/{app.id}/people"
    refused = await post_form(client, f"{people}/{both}/reset", {}, token_from=people)
    assert refused.status_code == 400 and not _LINK.search(refused.text)
    shown = await post_form(client, f"{people}/{only_here}/reset", {}, token_from=people)
    link = _LINK.search(shown.text)
    assert shown.status_code == 200 and link
    path = link.group(1).split("testserver.local", 1)[1]
    client.cookies.clear()
    new = "another long password"
    assert (await post_form(client, path, {"password": new, "confirm": new}, token_from=path)).status_code == 303
    client.cookies.clear()
    assert (await sign_in(client, "here@example.com", PASSWORD)).status_code == 401
    assert (await sign_in(client, "here@example.com", new)).status_code == 303


async def test_a_tenant_admin_sees_nothing_of_the_app_or_other_tenants(
    client: AsyncTestClient, settings: Settings
) -> None:
    app, other_app = await make_app(settings), await make_app(settings, "other")
    await add_person(settings, "admin@acme.test", [Grant(app.id, Role.TENANT_ADMIN, "acme")])
    await sign_in(client, "admin@acme.test")
    for path in (f"/admin/apps/{app.id}/people", f"/admin/apps/{app.id}/audit",
                 f"/admin/apps/{other_app.id}/people", f"/admin/apps/{other_app.id}/audit"):
        assert (await client.get(path, follow_redirects=False)).status_code == 404, path
    answer = await post_form(client, f"/admin/apps/{app.id}/people/invite", {"email": "x@y.z", "role": "owner"},
                             token_from="/admin/account")
    assert answer.status_code == 404
