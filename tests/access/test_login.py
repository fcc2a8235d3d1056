"""Signing in and out through the admin's forms: sessions, fixation, logout, CSRF, one failure message."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.access.helpers import PASSWORD, add_person, csrf_token, owner, post_form, sign_in
from tests.support import make_app
from waymark.settings import Settings


async def test_sign_in_then_out_and_the_old_cookie_is_dead(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await add_person(settings, "Owner@Example.com", owner(app.id))
    answer = await sign_in(client, "owner@example.COM", next_path=f"/admin/apps/{app.id}/people")
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/admin/apps/{app.id}/people"
    cookie = answer.cookies["waymark_session"]
    set_cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "path=/admin" in set_cookie
    assert (await client.get("/admin/")).status_code == 200
    out = await post_form(client, "/admin/logout", {}, token_from="/admin/")
    assert out.status_code == 303 and out.headers["location"] == "/admin/login"
    client.cookies.set("waymark_session", cookie, path="/admin")
    again = await client.get("/admin/", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"].startswith("/admin/login?next=")


async def test_every_failure_says_the_same(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await add_person(settings, "a@example.com", owner(app.id))
    wrong_password = await sign_in(client, "a@example.com", "not the password")
    no_such_person = await sign_in(client, "nobody@example.com", PASSWORD)
    assert wrong_password.status_code == no_such_person.status_code == 401
    for answer in (wrong_password, no_such_person):
        assert "Email or password is incorrect." in answer.text
        assert "waymark_session" not in answer.cookies


async def test_a_cookie_set_before_login_is_not_the_one_after(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await add_person(settings, "a@example.com", owner(app.id))
    planted = "planted-session-id-by-an-attacker"
    client.cookies.set("waymark_session", planted, path="/admin")
    answer = await sign_in(client, "a@example.com")
    assert answer.cookies["waymark_session"] != planted
    # the planted id signs nobody in
    client.cookies.clear()
    client.cookies.set("waymark_session", planted, path="/admin")
    assert (await client.get("/admin/", follow_redirects=False)).status_code == 303


async def test_a_form_post_without_the_csrf_token_is_refused(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await add_person(settings, "a@example.com", owner(app.id))
    await client.get("/admin/login")  # the CSRF cookie is set, but the form omits the token
    answer = await client.post("/admin/login", data={"email": "a@example.com", "password": PASSWORD},
                               follow_redirects=False)
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html") and "security token" in answer.text
    assert "waymark_session" not in answer.cookies
    # a token from another browser (its own CSRF cookie) does not pass either
    stolen = await csrf_token(client)
    client.cookies.clear()
    crossed = await client.post("/admin/login", data={"email": "a@example.com", "password": PASSWORD,
                                                     "_csrf_token": stolen}, follow_redirects=False)
    assert crossed.status_code == 403
    # the public API is not CSRF-checked (it takes keys, not cookies)
    assert (await client.post("/api/v1/people/invitations", json={})).status_code == 401
