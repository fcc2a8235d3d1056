"""Publishing guides over REST: atomic push, versions, rollback, and who may do it."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.support import guide_yaml, make_app, push
from waymark.settings import Settings

TOUR_V1 = guide_yaml("""
    id: tour
    name: Tour
    kind: walkthrough
    steps:
      - type: lightbox
        title: Welcome v1
        body: Hello
      - type: tooltip
        anchor: "#go"
        title: Go
""")
TOUR_V2 = TOUR_V1.replace("Welcome v1", "Welcome v2")
TIP = guide_yaml("""
    id: tip
    name: Tip
    kind: tooltip
    steps:
      - type: tooltip
        anchor: "#x"
        title: Tip
""")
BROKEN = guide_yaml("""
    id: broken
    name: Broken
    steps:
      - type: tooltip
        title: no anchor here
""")


async def _titles(client: AsyncTestClient, public_key: str) -> dict[str, str]:
    response = await client.get(
        "/api/v1/guides", params={"key": public_key, "visitor": "v", "url": "http://h/any"}
    )
    assert response.status_code == 200, response.text
    return {g["id"]: g["steps"][0]["title"] for g in response.json()["guides"]}


async def test_push_publishes_and_delivery_sees_it(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    response = await push(client, app.secret_key, {"tour.yaml": TOUR_V1, "tip.yaml": TIP})
    assert response.status_code == 200, response.text
    assert {(p["id"], p["version"], p["changed"]) for p in response.json()["published"]} == {
        ("tour", 1, True), ("tip", 1, True),
    }
    assert await _titles(client, app.public_key) == {"tour": "Welcome v1", "tip": "Tip"}


async def test_push_is_atomic_one_bad_file_publishes_nothing(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    response = await push(client, app.secret_key, {"tour.yaml": TOUR_V1, "broken.yaml": BROKEN})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == ["broken.yaml:4: steps[0].anchor: required for a tooltip step"]
    assert await _titles(client, app.public_key) == {}


async def test_unchanged_push_makes_no_new_version(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await push(client, app.secret_key, {"tour.yaml": TOUR_V1})
    again = await push(client, app.secret_key, {"tour.yaml": TOUR_V1})
    assert again.json()["published"] == [{"id": "tour", "version": 1, "changed": False}]


async def test_rollback_restores_previous_version(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    auth = {"Authorization": f"Bearer {app.secret_key}"}
    await push(client, app.secret_key, {"tour.yaml": TOUR_V1})
    await push(client, app.secret_key, {"tour.yaml": TOUR_V2})
    assert await _titles(client, app.public_key) == {"tour": "Welcome v2"}

    rolled = await client.post("/api/v1/guide-definitions/tour/rollback", headers=auth)
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["version"] == 1
    assert await _titles(client, app.public_key) == {"tour": "Welcome v1"}

    versions = (await client.get("/api/v1/guide-definitions/tour/versions", headers=auth)).json()
    assert [(v["version"], v["published"]) for v in versions] == [(2, False), (1, True)]

    nothing = await client.post("/api/v1/guide-definitions/tour/rollback", headers=auth)
    assert nothing.status_code == 404
    assert "no version before v1" in nothing.json()["detail"]

    # a push after a rollback becomes the newest version
    third = await push(client, app.secret_key, {"tour.yaml": TOUR_V2.replace("v2", "v3")})
    assert third.json()["published"][0]["version"] == 3


async def test_writing_guides_needs_the_secret_key(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    files = {"tour.yaml": TOUR_V1}
    missing = await client.post("/api/v1/guide-definitions/push", json={"files": []})
    assert missing.status_code == 401
    public = await push(client, app.public_key, files)
    assert public.status_code == 403
    assert "secret key" in public.json()["detail"]
    wrong = await push(client, "sk_not-a-real-key", files)
    assert wrong.status_code == 403
    assert await _titles(client, app.public_key) == {}


async def test_secret_key_of_one_app_cannot_touch_another(client: AsyncTestClient, settings: Settings) -> None:
    first, second = await make_app(settings, "first"), await make_app(settings, "second")
    await push(client, first.secret_key, {"tour.yaml": TOUR_V1})
    await push(client, second.secret_key, {"tip.yaml": TIP})
    assert await _titles(client, first.public_key) == {"tour": "Welcome v1"}
    assert await _titles(client, second.public_key) == {"tip": "Tip"}
    auth = {"Authorization": f"Bearer {second.secret_key}"}
    assert (await client.post("/api/v1/guide-definitions/tour/rollback", headers=auth)).status_code == 404
    assert (await client.get("/api/v1/guide-definitions/tour/versions", headers=auth)).status_code == 404
    listed = (await client.get("/api/v1/guide-definitions", headers=auth)).json()
    assert [g["id"] for g in listed] == ["tip"]


async def test_bad_push_body_is_a_clear_400(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    response = await client.post(
        "/api/v1/guide-definitions/push", json={"files": [{"name": "x.yaml"}]},
        headers={"Authorization": f"Bearer {app.secret_key}"},
    )
    assert response.status_code == 400
    assert "content" in response.text
