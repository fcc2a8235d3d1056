"""Starting guides: by a click on an element, from the JS API, for a segment, in a locale; late and missing anchors."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.sync_api import Page, expect

from e2e.conftest import Server
from e2e.support import SentEvents, new_visitor


def _push_for(server: Server, visitor: str, guide_id: str, steps: str, extra: str = "") -> None:
    content = (
        f"id: {guide_id}\nname: {guide_id}\nkind: tooltip\npriority: 900\nignore_throttle: true\n{extra}"
        f"targeting:\n  pages: ['/demo/settings/team']\n  segment: {{field: visitor.id, op: eq, value: {visitor}}}\n"
        f"steps:\n{steps}"
    )
    pushed = httpx.post(
        f"{server.url}/api/v1/guide-definitions/push", headers={"Authorization": f"Bearer {server.secret_key}"},
        json={"files": [{"name": f"{guide_id}.yaml", "content": content}]}, timeout=10,
    )
    assert pushed.status_code == 200, pushed.text


def test_click_on_an_element_starts_its_guide(page: Page, server: Server) -> None:
    sent = SentEvents(page)
    since = sent.now()
    page.goto(f"{server.url}/demo/settings/team?visitor={new_visitor()}")
    sent.wait_decided(since)
    expect(page.get_by_role("dialog", name="Need a hand?")).to_have_count(0)  # not by itself
    page.get_by_role("button", name="Help").click()
    help_tip = page.get_by_role("dialog", name="Need a hand?")
    expect(help_tip).to_be_visible()
    expect(help_tip.get_by_role("link", name="support@example.com")).to_have_attribute(
        "href", "mailto:support@example.com"
    )
    help_tip.get_by_role("button", name="Done").click()
    sent.wait_for(2)
    assert sent.summary() == [
        ("guide_seen", "help-tooltip", 0, {"trigger": "click"}),
        ("guide_completed", "help-tooltip", 0, {}),
    ]


def test_show_guide_from_the_js_api(page: Page, server: Server) -> None:
    sent = SentEvents(page)
    since = sent.now()
    page.goto(f"{server.url}/demo/settings/team?visitor={new_visitor()}")
    sent.wait_decided(since)  # the guides are there: showGuide() opens one at once, not when they arrive
    page.evaluate("waymark.showGuide('help-tooltip')")
    expect(page.get_by_role("dialog", name="Need a hand?")).to_be_visible()
    sent.wait_for(1)
    assert sent.summary()[0] == ("guide_seen", "help-tooltip", 0, {"trigger": "api"})


def test_admins_see_their_announcement_in_their_language(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/demo/settings/team?visitor=alice")  # Alice: admin, English
    expect(page.get_by_role("dialog", name="Approval workflows are here")).to_be_visible()
    page.goto(f"{server.url}/demo/settings/team?visitor={new_visitor()}&role=admin&locale=fr")
    expect(page.get_by_role("dialog", name="Les circuits d'approbation sont arrivés")).to_be_visible()


def test_members_do_not_and_french_visitors_read_french(page: Page, server: Server) -> None:
    with page.expect_response(lambda r: "/api/v1/guides?" in r.url) as delivery:
        page.goto(f"{server.url}/demo/invoices?visitor=bruno")  # Bruno: member, French
    tour = page.get_by_role("dialog", name="Bienvenue dans Ledgerly")
    expect(tour).to_be_visible()
    expect(tour.get_by_role("button", name="Suivant")).to_be_visible()
    # one guide at a time is on screen: what decides that a member never gets the admin announcement is the answer
    listed = [g["id"] for g in delivery.value.json()["guides"]]
    assert "welcome-tour" in listed and "admin-announcement" not in listed, listed


def test_missing_anchor_skips_the_guide_and_says_why(page: Page, server: Server) -> None:
    visitor = new_visitor()
    _push_for(server, visitor, "e2e-missing-anchor",
              "  - type: tooltip\n    anchor: '#never-there'\n    wait_ms: 600\n    title: Lost\n")
    sent = SentEvents(page)
    page.goto(f"{server.url}/demo/settings/team?visitor={visitor}")
    sent.wait_for(1)  # the widget gave up on the anchor: it has decided
    expect(page.get_by_role("dialog", name="Lost")).to_have_count(0)  # never shown detached
    (event,) = [e for e in sent.unique() if e["guide"] == "e2e-missing-anchor"]
    assert event["type"] == "guide_anchor_missing"
    assert event["props"]["anchor"] == "#never-there"
    assert 600 <= event["props"]["waited_ms"] < 2000


def test_late_anchor_is_found_when_it_appears(page: Page, server: Server) -> None:
    visitor = new_visitor()
    _push_for(server, visitor, "e2e-late-anchor",
              "  - type: tooltip\n    anchor: '#late-button'\n    wait_ms: 5000\n    title: Found you\n")
    sent = SentEvents(page)
    since = sent.now()
    page.goto(f"{server.url}/demo/settings/team?visitor={visitor}")
    sent.wait_decided(since)  # the tooltip is waiting for its anchor
    expect(page.get_by_role("dialog", name="Found you")).to_have_count(0)
    page.evaluate("""() => {
        const b = document.createElement('button'); b.id = 'late-button'; b.textContent = 'Late';
        document.querySelector('main').append(b);
    }""")
    tip = page.get_by_role("dialog", name="Found you")
    expect(tip).to_be_visible()
    t, a = tip.bounding_box(), page.locator("#late-button").bounding_box()
    assert t and a
    gap = max(a["x"] - (t["x"] + t["width"]), t["x"] - (a["x"] + a["width"]),
              a["y"] - (t["y"] + t["height"]), t["y"] - (a["y"] + a["height"]))
    assert 0 <= gap <= 24, (t, a)  # beside its anchor, not detached


def test_signed_identity_travels_with_every_request(page: Page, server: Server) -> None:
    token = "header.payload.signature-for-e2e"
    seen: dict[str, list[str]] = {"delivery": [], "events": []}

    def record(request: object) -> None:
        url, body = request.url, request.post_data  # type: ignore[attr-defined]
        if "/api/v1/guides?" in url:
            seen["delivery"].append(parse_qs(urlsplit(url).query).get("identity", [""])[0])
        elif "/api/v1/events" in url and body:
            seen["events"].append(json.loads(body).get("identity"))

    page.on("request", record)
    sent = SentEvents(page)
    page.goto(f"{server.url}/demo/invoices?visitor={new_visitor()}&identity={token}")
    page.get_by_role("dialog", name="Welcome to Ledgerly").get_by_role("button", name="Close").click()
    sent.wait_for(2)  # seen, dismissed (``record`` hears each request before ``sent`` does)
    assert seen["delivery"] and set(seen["delivery"]) == {token}
    assert seen["events"] and set(seen["events"]) == {token}
