"""The guide loop as a new user meets it: archiving (by id, or by pruning a push), walkthrough steps inheriting their
page, Next's destination, and the widget's words in the visitor's language, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from tests.policies.support import decide, prompt, push_policy
from tests.support import guide_yaml, make_app, push
from waymark.delivery.strings import STRINGS
from waymark.settings import Settings

TOUR = guide_yaml("""
    id: tour
    name: Tour
    kind: walkthrough
    targeting:
      pages: ["/app/invoices"]
    steps:
      - type: lightbox
        title: Welcome
      - type: tooltip
        anchor: "#new-invoice"
        title: New invoice
        next_url: /app/invoices/1001
      - type: tooltip
        page: "/app/invoices/*"
        anchor: "#send"
        title: Send it
      - type: lightbox
        title: All set
""")
TIP = guide_yaml("""
    id: tip
    name: Tip
    kind: tooltip
    steps:
      - type: tooltip
        anchor: "#x"
        title: Tip
""")


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def _delivered(client: AsyncTestClient, public: str, url: str = "http://h/app/invoices",
                     locale: str = "en") -> dict[str, Any]:
    answer = await client.get("/api/v1/guides", params={"key": public, "visitor": "v", "url": url, "locale": locale})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def _ids(client: AsyncTestClient, public: str) -> set[str]:
    return {g["id"] for g in (await _delivered(client, public))["guides"]}


async def test_prune_archives_what_the_files_no_longer_hold(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    auth = _auth(app.secret_key)
    assert (await push(client, app.secret_key, {"tour.yaml": TOUR, "tip.yaml": TIP})).status_code == 200
    assert await _ids(client, app.public_key) == {"tour", "tip"}

    # Without --prune a file left out is left alone.
    kept = await push(client, app.secret_key, {"tour.yaml": TOUR})
    assert kept.json()["archived"] == []
    assert await _ids(client, app.public_key) == {"tour", "tip"}

    pruned = await client.post("/api/v1/guide-definitions/push", headers=auth, json={
        "files": [{"name": "tour.yaml", "content": TOUR}], "prune": True})
    assert pruned.status_code == 200, pruned.text
    assert pruned.json()["archived"] == [{"id": "tip", "version": 1, "changed": True}]
    assert await _ids(client, app.public_key) == {"tour"}

    # History is kept: listed as archived, its versions still there.
    listed = {g["id"]: g for g in (await client.get("/api/v1/guide-definitions", headers=auth)).json()}
    assert listed["tip"]["archived"] is True and listed["tip"]["published_version"] is None
    assert listed["tour"]["archived"] is False
    versions = (await client.get("/api/v1/guide-definitions/tip/versions", headers=auth)).json()
    assert [(v["version"], v["published"]) for v in versions] == [(1, False)]

    # Pushed again as it was: published again under the same version, and delivered.
    back = await push(client, app.secret_key, {"tip.yaml": TIP})
    assert back.json()["published"] == [{"id": "tip", "version": 1, "changed": True}]
    assert await _ids(client, app.public_key) == {"tour", "tip"}
    again = await push(client, app.secret_key, {"tip.yaml": TIP})
    assert again.json()["published"] == [{"id": "tip", "version": 1, "changed": False}]


async def test_archive_by_id(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    auth = _auth(app.secret_key)
    await push(client, app.secret_key, {"tour.yaml": TOUR, "tip.yaml": TIP})
    archived = await client.post("/api/v1/guide-definitions/tour/archive", headers=auth)
    assert archived.status_code == 200, archived.text
    assert archived.json() == {"id": "tour", "version": 1, "changed": True}
    assert await _ids(client, app.public_key) == {"tip"}
    twice = await client.post("/api/v1/guide-definitions/tour/archive", headers=auth)
    assert twice.json() == {"id": "tour", "version": None, "changed": False}
    assert (await client.post("/api/v1/guide-definitions/nope/archive", headers=auth)).status_code == 404
    # Rolling back an archived guide says how to bring it back instead.
    rollback = await client.post("/api/v1/guide-definitions/tour/rollback", headers=auth)
    assert rollback.status_code == 404 and "archived" in rollback.json()["detail"]
    # A changed file publishes a new version.
    changed = await push(client, app.secret_key, {"tour.yaml": TOUR.replace("All set", "Done!")})
    assert changed.json()["published"] == [{"id": "tour", "version": 2, "changed": True}]
    assert await _ids(client, app.public_key) == {"tip", "tour"}


async def test_prune_leaves_policies_archive_by_id_keeps_their_evidence(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    auth = _auth(app.secret_key)
    assert (await push_policy(client, app.secret_key)).status_code == 200
    guide = await prompt(client, app.public_key, "pat")
    assert guide is not None
    assert (await decide(client, app.public_key, guide, "pat")).status_code == 200

    pruned = await client.post("/api/v1/guide-definitions/push", headers=auth, json={
        "files": [{"name": "tip.yaml", "content": TIP}], "prune": True})
    assert pruned.json()["archived"] == []
    assert await prompt(client, app.public_key, "newcomer") is not None

    archived = await client.post("/api/v1/guide-definitions/terms/archive", headers=auth)
    assert archived.json() == {"id": "terms", "version": 1, "changed": True}
    assert await prompt(client, app.public_key, "newcomer") is None
    # The versions and the evidence are untouched, and the chain still verifies.
    evidence = (await client.get("/api/v1/policies/terms/evidence", headers=auth)).json()
    assert [(r["visitor"], r["decision"]) for r in evidence] == [("pat", "accepted")]
    assert [p["versions"] for p in (await client.get("/api/v1/policies", headers=auth)).json()] == [[1]]
    assert (await client.get("/api/v1/policies/verify", headers=auth)).json()["intact"] is True
    # Pushed again, the same version asks again only those who have not decided.
    await push_policy(client, app.secret_key)
    assert await prompt(client, app.public_key, "newcomer") is not None


async def test_walkthrough_steps_inherit_the_previous_page(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await push(client, app.secret_key, {"tour.yaml": TOUR, "tip.yaml": TIP})
    answer = await _delivered(client, app.public_key)
    tour = next(g for g in answer["guides"] if g["id"] == "tour")
    assert [s.get("page") for s in tour["steps"]] == [
        {"path": "/app/invoices"}, {"path": "/app/invoices"}, {"path": "/app/invoices/*"}, {"path": "/app/invoices/*"},
    ]
    assert [s.get("next_url") for s in tour["steps"]] == [None, "/app/invoices/1001", None, None]
    # Not a walkthrough: a step's page is only what it says.
    tip = next(g for g in answer["guides"] if g["id"] == "tip")
    assert "page" not in tip["steps"][0]


async def test_first_step_of_a_walkthrough_on_several_pages_gets_them_all(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    several = TOUR.replace('pages: ["/app/invoices"]', 'pages: ["/app/invoices", {path: "/app/bills", host: "h"}]')
    await push(client, app.secret_key, {"tour.yaml": several})
    tour = (await _delivered(client, app.public_key))["guides"][0]
    assert tour["steps"][0]["page"] == [{"path": "/app/invoices"}, {"path": "/app/bills", "host": "h"}]
    assert tour["steps"][1]["page"] == tour["steps"][0]["page"]
    assert tour["steps"][2]["page"] == {"path": "/app/invoices/*"}


async def test_next_url_must_be_a_path_or_http(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    for bad in ("javascript:alert(1)", "//evil.example/x", "relative/path"):
        refused = await push(client, app.secret_key, {"tour.yaml": TOUR.replace("/app/invoices/1001", bad)})
        assert refused.status_code == 422, (bad, refused.text)
        assert any("next_url" in e for e in refused.json()["errors"]), refused.json()
    ok = await push(client, app.secret_key, {"tour.yaml": TOUR.replace("/app/invoices/1001", "https://x.test/a?b=1")})
    assert ok.status_code == 200, ok.text


async def test_widget_words_follow_the_visitor_language(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await push(client, app.secret_key, {"tour.yaml": TOUR})
    assert "strings" not in await _delivered(client, app.public_key, locale="en-GB")
    assert "strings" not in await _delivered(client, app.public_key, locale="pt-BR")  # not shipped: English
    french = await _delivered(client, app.public_key, locale="fr-CA")
    assert french["strings"]["next"] == "Suivant" and french["strings"]["of"] == "{n} sur {t}"
    for language in ("de", "es"):
        assert (await _delivered(client, app.public_key, locale=language))["strings"] == STRINGS[language]


def test_every_language_has_every_word() -> None:
    for language, words in STRINGS.items():
        assert set(words) == set(STRINGS["en"]), language
        assert all(w.strip() for w in words.values()), language


def test_the_widget_carries_the_same_english() -> None:
    widget: dict[str, str] = {}
    for name in ("i18n.js", "feedback.js"):  # the core's words, and the lazily loaded chunk's
        source = (Path(__file__).resolve().parents[2] / "widget" / "src" / name).read_text(encoding="utf-8")
        table = source[source.index("const EN = {"):source.index("}\n", source.index("const EN = {"))]
        widget.update(re.findall(r"^\s+(\w+): '([^']*)',?$", table, re.M))
    assert widget == STRINGS["en"]
