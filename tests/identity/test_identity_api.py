"""Apps that require verified identities: unsigned, expired or wrongly signed visitors get nothing stored."""

from __future__ import annotations

import json
import time

import jwt
from litestar.testing import AsyncTestClient

from tests.support import event, guide_yaml, make_app, push
from waymark.settings import Settings

GUIDE = guide_yaml("""
    id: hello
    name: Hello
    steps:
      - type: lightbox
        title: Hi
""")


def signed(secret: str, visitor: str = "u-1", **claims: object) -> str:
    return jwt.encode({"sub": visitor, "exp": int(time.time()) + 600, **claims}, secret, algorithm="HS256")


async def test_required_identity_end_to_end(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    auth = {"Authorization": f"Bearer {app.secret_key}"}
    await push(client, app.secret_key, {"hello.yaml": GUIDE})
    first = (await client.post("/api/v1/identity/secrets", headers=auth)).json()
    assert first["secret"].startswith("is_")
    turned_on = await client.put("/api/v1/identity", json={"required": True}, headers=auth)
    assert turned_on.json() == {"required": True, "active_secret_ids": [first["id"]]}

    def deliver(**extra: str) -> object:
        return client.get("/api/v1/guides", params={"key": app.public_key, "visitor": "u-1", "url": "https://h/",
                                                    **extra})

    unsigned = await deliver()
    assert unsigned.status_code == 403
    assert "requires a verified identity" in unsigned.json()["detail"]
    assert (await deliver(identity=signed("is_wrong"))).status_code == 403
    assert (await deliver(identity=signed(first["secret"], visitor="u-2"))).status_code == 403
    ok = await deliver(identity=signed(first["secret"]))
    assert ok.status_code == 200
    assert [g["id"] for g in ok.json()["guides"]] == ["hello"]

    batch = {"events": [event("guide_seen", "hello", visitor="u-1", id="e-1"),
                        event("guide_seen", "hello", visitor="u-2", id="e-2")]}
    refused = (await client.post(f"/api/v1/events?key={app.public_key}", json=batch)).json()
    assert refused["accepted"] == 0
    assert {r["id"] for r in refused["rejected"]} == {"e-1", "e-2"}
    expired = signed(first["secret"], exp=int(time.time()) - 300)
    answer = (await client.post(f"/api/v1/events?key={app.public_key}", json={**batch, "identity": expired})).json()
    assert answer["accepted"] == 0
    assert {r["reason"] for r in answer["rejected"]} == {"identity token has expired"}
    answer = (await client.post(f"/api/v1/events?key={app.public_key}",
                                json={**batch, "identity": signed(first["secret"])})).json()
    assert answer["accepted"] == 1  # u-1 only: the token does not speak for u-2
    assert answer["rejected"][0]["reason"] == "identity token is for another visitor"

    # rotation: a second secret works alongside the first; revoking the first refuses its tokens
    second = (await client.post("/api/v1/identity/secrets", headers=auth)).json()
    assert (await deliver(identity=signed(second["secret"]))).status_code == 200
    assert (await deliver(identity=signed(first["secret"]))).status_code == 200
    assert (await client.delete(f"/api/v1/identity/secrets/{first['id']}", headers=auth)).status_code == 200
    assert (await deliver(identity=signed(first["secret"]))).status_code == 403
    assert (await deliver(identity=signed(second["secret"]))).status_code == 200
    assert (await client.delete(f"/api/v1/identity/secrets/{first['id']}", headers=auth)).status_code == 404

    # server-side Segment calls need a secret key once identities are verified
    public = await client.post("/v1/track", json={"userId": "u-1", "event": "x"}, auth=(app.public_key, ""))
    assert public.status_code == 403
    secret = await client.post("/v1/track", json={"userId": "u-1", "event": "x"}, auth=(app.secret_key, ""))
    assert secret.status_code == 200 and secret.json()["accepted"] == 1

    exported = await client.get("/api/v1/events/export", headers=auth)
    assert sorted(json.loads(line)["id"] for line in exported.text.splitlines()) == sorted(
        ["e-1", json.loads(exported.text.splitlines()[-1])["id"]]
    )


async def test_identity_is_optional_until_required(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    answer = await client.get("/api/v1/guides", params={"key": app.public_key, "visitor": "u", "url": "https://h/"})
    assert answer.status_code == 200
    other = await make_app(settings, "other")
    auth = {"Authorization": f"Bearer {other.secret_key}"}
    assert (await client.put("/api/v1/identity", json={"required": "yes"}, headers=auth)).status_code == 400
    assert (await client.get("/api/v1/identity", headers=auth)).json() == {"required": False, "active_secret_ids": []}
