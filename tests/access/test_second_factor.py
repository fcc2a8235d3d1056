"""TOTP: set up on the account page, asked at sign-in, recovery codes work once, an owner can require it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyotp
from litestar.testing import AsyncTestClient

from tests.access.helpers import add_person, owner, post_form, sign_in
from tests.support import make_app
from waymark.access.principal import Grant, Role
from waymark.settings import Settings

_SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
_CODES = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


async def _turn_on(client: AsyncTestClient) -> tuple[str, list[str], str]:
    """Turns TOTP on; the secret, the recovery codes and the code that confirmed it."""
    started = await post_form(client, "/admin/account/totp/start", {}, token_from="/admin/account")
    secret = _SECRET.search(started.text)
    assert started.status_code == 200 and secret, started.text
    assert "otpauth://totp/" in started.text
    wrong = await post_form(client, "/admin/account/totp/confirm", {"code": "000000"}, token_from="/admin/account")
    assert wrong.status_code == 400
    code = pyotp.TOTP(secret.group(1)).at(datetime.now(UTC))
    confirmed = await post_form(client, "/admin/account/totp/confirm", {"code": code}, token_from="/admin/account")
    codes = _CODES.findall(confirmed.text)
    assert confirmed.status_code == 200 and len(codes) == 10
    assert _CODES.findall((await client.get("/admin/account")).text) == []  # shown once
    return secret.group(1), codes, code


async def test_totp_sign_in_and_single_use_recovery_codes(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await add_person(settings, "a@example.com", owner(app.id))
    await sign_in(client, "a@example.com")
    secret, codes, used = await _turn_on(client)
    await post_form(client, "/admin/logout", {}, token_from="/admin/account")

    first = await sign_in(client, "a@example.com", next_path="/admin/account")
    assert first.status_code == 303 and first.headers["location"].startswith("/admin/login/code")
    # the password alone signs nobody in
    assert (await client.get("/admin/account", follow_redirects=False)).status_code == 303
    wrong = await post_form(client, first.headers["location"], {"code": "123456"}, token_from="/admin/login/code")
    assert wrong.status_code == 401
    # the code that turned TOTP on was used: within its ~90 s life it is refused, the next step's is taken
    replayed = await post_form(client, first.headers["location"], {"code": used}, token_from="/admin/login/code")
    assert replayed.status_code == 401
    code = pyotp.TOTP(secret).at(datetime.now(UTC), counter_offset=1)
    done = await post_form(client, first.headers["location"], {"code": code}, token_from="/admin/login/code")
    assert done.status_code == 303 and done.headers["location"] == "/admin/account"
    assert (await client.get("/admin/account")).status_code == 200
    await post_form(client, "/admin/logout", {}, token_from="/admin/account")
    again = await sign_in(client, "a@example.com")
    reused = await post_form(client, again.headers["location"], {"code": code}, token_from="/admin/login/code")
    assert reused.status_code == 401  # the same code a second time, however soon

    for attempt in ("first use", "second use"):
        step = await sign_in(client, "a@example.com")
        answer = await post_form(client, step.headers["location"], {"code": codes[0].upper()},
                                 token_from="/admin/login/code")
        if attempt == "first use":
            assert answer.status_code == 303, answer.text
            await post_form(client, "/admin/logout", {}, token_from="/admin/account")
        else:
            assert answer.status_code == 401


async def test_an_owner_can_require_totp_of_everyone(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await add_person(settings, "owner@example.com", owner(app.id))
    await add_person(settings, "analyst@example.com", [Grant(app.id, Role.ANALYST)])
    await sign_in(client, "owner@example.com")
    people = f"/admin/apps/{app.id}/people"
    switched = await post_form(client, f"{people}/second-factor", {"require_totp": "on"}, token_from=people)
    assert switched.status_code == 200
    await post_form(client, "/admin/logout", {}, token_from="/admin/account")

    await sign_in(client, "analyst@example.com")
    sent = await client.get(f"/admin/apps/{app.id}/", follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/admin/account")
    assert "requires a second factor" in (await client.get(sent.headers["location"])).text
    await _turn_on(client)
    assert (await client.get(f"/admin/apps/{app.id}/", follow_redirects=False)).status_code != 303
    refused = await post_form(client, "/admin/account/totp/off", {"code": "000000"}, token_from="/admin/account")
    assert refused.status_code == 400 and "stays on" in refused.text
