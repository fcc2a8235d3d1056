"""Analytics the widget captures by itself (pages, clicks, time, track, people); offline, opt-out, retries."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from e2e.conftest import Server
from e2e.support import SentEvents, new_visitor, posts, record_posts, wait_until

HIDE = """() => {
    Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
    document.dispatchEvent(new Event('visibilitychange'));
}"""


def _bare(event: dict[str, Any]) -> dict[str, Any]:
    """An event without what the widget makes up (id, ts), to compare whole payloads."""
    return {k: v for k, v in event.items() if k not in ("id", "ts")}


def _close_tour(page: Page) -> None:
    page.get_by_role("dialog", name="Welcome to Ledgerly").get_by_role("button", name="Close").click()


def test_page_views_people_clicks_track_and_time(page: Page, server: Server) -> None:
    visitor = new_visitor()
    sent = SentEvents(page, types=None)
    invoices = f"{server.url}/demo/invoices?visitor={visitor}"
    page.goto(invoices)
    base = {"visitor": visitor, "tenant": "demo-co"}

    _close_tour(page)  # a click in the widget: a guide event, not a click event
    page.locator("#new-invoice").click()
    page.locator("#invoice-search").fill("acme-secret-4242")
    page.locator("#invoice-search").click()
    page.keyboard.type("-more")
    page.evaluate("waymark.track('Exported', {rows: 4})")
    sent.wait_until(lambda: len(sent.of("track")) == 1)

    assert [_bare(e) for e in sent.of("page", "identify", "group", "alias")] == [
        {**base, "type": "identify", "url": invoices, "traits": {"role": "member", "locale": "en"}},
        {**base, "type": "group", "url": invoices, "traits": {"plan": "trial"}},
        {**base, "type": "page", "url": invoices, "title": "Invoices · Waymark demo", "referrer": ""},
    ]
    assert [_bare(e) for e in sent.of("click")] == [
        {**base, "type": "click", "url": invoices, "element": {
            "tag": "button", "id": "new-invoice", "classes": [], "attrs": {}, "text": "New invoice",
            "path": "main#main > div.page-head > div.actions > button#new-invoice"}},
        {**base, "type": "click", "url": invoices, "element": {
            "tag": "input", "id": "invoice-search", "classes": [], "attrs": {}, "text": "",
            "path": "main#main > div.page-head > div.actions > input#invoice-search"}},
    ]
    assert [_bare(e) for e in sent.of("track")] == [
        {**base, "type": "track", "url": invoices, "name": "Exported", "props": {"rows": 4}},
    ]
    assert [e["type"] for e in sent.of("guide_seen", "guide_dismissed")] == ["guide_seen", "guide_dismissed"]

    # a full page load by a link, then the settings tabs switch by pushState
    page.locator("#nav-settings").click()
    expect(page).to_have_url(f"{server.url}/demo/settings")
    page.get_by_text("Company name").click()  # the label passes the click on to its field: recorded once
    page.get_by_role("link", name="Team").click()
    expect(page).to_have_url(f"{server.url}/demo/settings/team")
    settings, team = f"{server.url}/demo/settings", f"{server.url}/demo/settings/team"
    sent.wait_until(lambda: len(sent.of("page")) == 3)
    pages = [_bare(e) for e in sent.of("page")]
    assert pages[1:] == [
        {**base, "type": "page", "url": settings, "title": "Settings · Waymark demo", "referrer": invoices},
        {**base, "type": "page", "url": team, "title": "Settings · Waymark demo", "referrer": settings},
    ]
    times = sent.of("time")
    assert [e["url"] for e in times] == [invoices, settings]  # page hide, then the SPA route change
    assert all(isinstance(e["ms"], int) and 0 < e["ms"] < 60_000 for e in times), times
    assert [_bare(e) for e in sent.of("click")[-2:]] == [
        {**base, "type": "click", "url": settings, "element": {
            "tag": "label", "id": "", "classes": [], "attrs": {}, "text": "Company name",
            "path": "main#main > section#tab-general.card > form#settings-form > label"}},
        {**base, "type": "click", "url": settings, "element": {
            "tag": "a", "id": "", "classes": [], "attrs": {"data-spa": "team"}, "text": "Team",
            "path": "main#main > nav.tabs > a"}},
    ]
    assert [e["element"]["tag"] for e in sent.of("click")] == ["button", "input", "a", "label", "a"]
    # the time on settings was reported before the page view of the team tab
    assert times[-1]["ts"] <= sent.of("page")[-1]["ts"]

    # what was typed never left the page; identify and group were not repeated on the second page
    assert not [b for b in sent.bodies if "acme-secret" in b or "-more" in b]
    assert len(sent.of("identify")) == len(sent.of("group")) == 1
    kinds = ("page", "click", "track", "identify", "group")

    def stored() -> list[str]:  # from the database: the first page's last requests went as it unloaded
        return sorted(e["event_id"] for e in server.events(visitor) if e["type"] in kinds)

    wait_until(page, lambda: stored() == sorted(e["id"] for e in sent.of(*kinds)))
    assert stored() == sorted(e["id"] for e in sent.of(*kinds))


def test_traits_are_sent_again_only_when_they_change(page: Page, server: Server) -> None:
    visitor = new_visitor()
    sent = SentEvents(page, types=None)
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    sent.wait_until(lambda: bool(sent.of("page")))
    page.reload()
    sent.wait_until(lambda: len(sent.of("page")) == 2)
    assert [e["traits"] for e in sent.of("identify")] == [{"role": "member", "locale": "en"}]
    page.evaluate("waymark.identify({role: 'admin'})")  # merged into what the host gave
    sent.wait_until(lambda: len(sent.of("identify")) == 2)
    assert sent.of("identify")[-1]["traits"] == {"role": "admin", "locale": "en"}
    assert len(sent.of("group")) == 1


def test_an_anonymous_visitor_who_logs_in_is_aliased(page: Page, server: Server) -> None:
    visitor = new_visitor()
    sent = SentEvents(page, types=None)
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    page.evaluate("waymark.reset(); waymark.identify({})")  # logged out: an anonymous id, no tenant
    anon = page.evaluate("JSON.parse(localStorage.getItem(Object.keys(localStorage).find(k => k.endsWith(':anon'))))")
    assert anon.startswith("anon-")
    page.evaluate("waymark.track('Browsed')")
    member = f"logged-{visitor}"
    page.evaluate("id => waymark.initialize({visitor: {id, role: 'admin'}, tenant: {id: 'demo-co', plan: 'trial'}})",
                  member)
    sent.wait_until(lambda: bool(sent.of("alias")))
    (alias,) = sent.of("alias")
    assert _bare(alias) == {"type": "alias", "visitor": member, "tenant": "demo-co", "url": page.url,
                            "previous": anon}
    assert [(e["visitor"], "tenant" in e) for e in sent.of("track")] == [(anon, False)]
    assert [e["traits"] for e in sent.of("identify") if e["visitor"] == member] == [{"role": "admin"}]
    assert page.evaluate("Object.keys(localStorage).filter(k => k.endsWith(':anon'))") == []
    sent.wait_stored([alias])
    assert [e["props"] for e in server.events(member) if e["type"] == "alias"] == [{"previous": anon}]


def test_events_made_offline_are_all_sent_once_back_online(page: Page, context: BrowserContext,
                                                           server: Server) -> None:
    visitor = new_visitor()
    record_posts(page)
    sent = SentEvents(page, types={"track"})
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    _close_tour(page)
    sent.wait_until(lambda: bool(sent.of("guide_dismissed")))
    context.set_offline(True)
    page.evaluate("for (let i = 0; i < 200; i++) waymark.track('Offline', {i})")
    page.evaluate(HIDE)  # the page-hide flush cannot reach the server either
    wait_until(page, lambda: all(p["done"] for p in posts(page)))  # each try has failed: queued still
    assert [p for p in posts(page) if "Offline" in p["body"]] and all(p["done"] for p in posts(page))
    queued = page.evaluate("waymark._debug.queue().filter(e => e.type == 'track').length")
    assert queued == 200
    context.set_offline(False)
    page.reload()

    def all_stored() -> bool:
        return len([e for e in server.events(visitor) if e["type"] == "track"]) >= 200

    sent.wait_until(all_stored, timeout=20)
    stored = [e for e in server.events(visitor) if e["type"] == "track"]
    assert sorted(e["props"]["i"] for e in stored) == list(range(200))  # each stored exactly once
    assert {e["event_id"] for e in stored} == {e["id"] for e in sent.unique()}
    sent.wait_until(lambda: page.evaluate("waymark._debug.queue().length") == 0)
    assert page.evaluate("waymark._debug.queue().length") == 0


def test_page_hide_splits_what_is_queued_within_the_keepalive_budget(page: Page, server: Server) -> None:
    visitor = new_visitor()
    record_posts(page)
    page.route("**/api/v1/events?*", lambda route: route.abort())  # a network failure meanwhile
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    _close_tour(page)
    page.evaluate("for (let i = 0; i < 150; i++) waymark.track('Padded', {i, pad: 'x'.repeat(400)})")
    # the failed tries are over (the widget waits a second before the next): nothing is on its way
    wait_until(page, lambda: all(p["done"] for p in posts(page)))
    assert posts(page) and all(p["done"] for p in posts(page))
    page.unroute("**/api/v1/events?*")
    before = len(posts(page))
    page.evaluate(HIDE)
    at_hide = posts(page)[before:]
    assert len(at_hide) > 1 and all(p["keepalive"] and p["n"] <= 20 for p in at_hide), at_hide
    assert sum(p["bytes"] for p in at_hide) <= 64 * 1024  # more would be refused by the browser
    assert sum(p["n"] for p in at_hide) < 150  # the rest waits for the next page or the next try

    def stored() -> int:
        return len([e for e in server.events(visitor) if e["type"] == "track"])

    wait_until(page, lambda: stored() >= 150, timeout=15)
    assert stored() == 150


def test_the_queue_is_bounded_and_counts_what_it_dropped(page: Page, context: BrowserContext,
                                                         server: Server) -> None:
    sent = SentEvents(page, types=None)
    page.goto(f"{server.url}/demo/invoices?visitor={new_visitor()}")
    sent.wait_until(lambda: bool(sent.of("page")))
    # the page's first events are sent, acknowledged and out of the queue: it will hold only what follows
    sent.wait_until(lambda: not page.evaluate("waymark._debug.queue()"))
    assert page.evaluate("waymark._debug.queue()") == []
    context.set_offline(True)
    page.evaluate("for (let i = 0; i < 1050; i++) waymark.track('Burst', {i})")
    queue = page.evaluate("waymark._debug.queue()")
    assert len(queue) == 1000
    assert [e["props"]["i"] for e in queue if e["type"] == "track"][-1] == 1049
    dropped = page.evaluate("localStorage.getItem(Object.keys(localStorage).find(k => k.endsWith(':dropped')))")
    assert int(dropped) == 1050 - len([e for e in queue if e["type"] == "track"])


def test_opted_out_visitor_sends_nothing(page: Page, server: Server) -> None:
    page.add_init_script("localStorage.setItem('waymark:optout', '1')")
    record_posts(page)
    sent = SentEvents(page, types=None)
    page.goto(f"{server.url}/demo/invoices?visitor={new_visitor()}")
    expect(page.get_by_role("dialog", name="Welcome to Ledgerly")).to_be_visible()  # guides still show
    _close_tour(page)
    page.locator("#new-invoice").click()
    page.evaluate("waymark.track('Exported', {rows: 4})")
    _hidden_sends_nothing(page, sent)
    page.get_by_role("link", name="Settings").click()  # a page load of its own
    expect(page.get_by_role("region", name="New: invite your team")).to_be_visible()  # its answer is in
    page.get_by_role("link", name="Team").click()
    expect(page).to_have_url(f"{server.url}/demo/settings/team")
    _hidden_sends_nothing(page, sent)


def _hidden_sends_nothing(page: Page, sent: SentEvents) -> None:
    """Hide the page: its flush sends at once whatever is queued. Nothing queued, nothing sent, ever."""
    page.evaluate(HIDE)
    assert posts(page) == []  # complete: each send is recorded as it is made
    assert page.evaluate("waymark._debug.queue()") == []
    assert sent.bodies == []


def _privacy(page: Page, privacy: dict[str, bool]) -> None:
    """The delivery answer as a server with these privacy settings would give it."""
    def handle(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "privacy": privacy})
    page.route("**/api/v1/guides?*", handle)


def test_tenant_opted_out_in_the_delivery_answer_sends_nothing(page: Page, server: Server) -> None:
    _privacy(page, {"opted_out": True})
    record_posts(page)
    sent = SentEvents(page, types=None)
    page.goto(f"{server.url}/demo/invoices?visitor={new_visitor()}")
    expect(page.get_by_role("dialog", name="Welcome to Ledgerly")).to_be_visible()
    _close_tour(page)
    page.locator("#new-invoice").click()
    page.evaluate("waymark.track('Exported', {rows: 4})")
    _hidden_sends_nothing(page, sent)


def test_do_not_track_is_honoured_when_the_app_says_so(page: Page, server: Server) -> None:
    _privacy(page, {"honor_dnt": True})
    page.add_init_script("Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'})")
    record_posts(page)
    sent = SentEvents(page, types=None)
    page.goto(f"{server.url}/demo/invoices?visitor={new_visitor()}")
    _close_tour(page)
    page.evaluate("waymark.track('Exported', {rows: 4})")
    _hidden_sends_nothing(page, sent)


def test_do_not_track_alone_changes_nothing(page: Page, server: Server) -> None:
    page.add_init_script("Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'})")
    sent = SentEvents(page, types=None)
    page.goto(f"{server.url}/demo/invoices?visitor={new_visitor()}")
    sent.wait_until(lambda: bool(sent.of("page")))
    assert len(sent.of("page")) == 1  # the app does not honour Do Not Track: events flow


@pytest.mark.parametrize("status", [503, 429])
def test_server_unavailable_then_the_same_events_arrive(page: Page, server: Server, status: int) -> None:
    visitor = new_visitor()
    sent = SentEvents(page, types=None)
    answered: list[tuple[float, int]] = []

    def handle(route: Route) -> None:
        if not answered:
            answered.append((time.monotonic(), status))
            route.fulfill(status=status, headers={"Retry-After": "2"}, body="busy")
        else:
            answered.append((time.monotonic(), 202))
            route.continue_()

    page.route("**/api/v1/events?*", handle)
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    sent.wait_until(lambda: len(sent.requests) >= 2, timeout=8)
    first, second = sent.requests[0]["events"], sent.requests[1]["events"]
    assert [e["id"] for e in second[: len(first)]] == [e["id"] for e in first]  # the same events, again
    assert second[: len(first)] == first
    assert answered[1][0] - answered[0][0] >= 1.9  # Retry-After: 2 (the backoff alone would be 1 s)
    sent.wait_stored(first)
    stored = {e["event_id"] for e in server.events(visitor)}
    assert {e["id"] for e in first} <= stored


def test_a_refused_batch_is_dropped_not_resent(page: Page, server: Server) -> None:
    visitor = new_visitor()
    sent = SentEvents(page, types=None)
    refused: list[str] = []

    def handle(route: Route) -> None:
        if not refused:
            refused.extend(e["id"] for e in json.loads(route.request.post_data or "{}")["events"])
            route.fulfill(status=400, json={"detail": "no"})
        else:
            route.continue_()

    page.route("**/api/v1/events?*", handle)
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    sent.wait_until(lambda: bool(refused))
    page.evaluate("waymark.track('After', {})")
    sent.wait_until(lambda: bool(sent.of("track")))
    # events leave in queue order: had the refused ones been kept for a retry, they would go with this one
    sent.wait_stored(sent.of("track"))
    assert refused
    assert [sent.times_sent(i) for i in refused] == [1] * len(refused)
    queued = {e["id"] for e in page.evaluate("waymark._debug.queue()")}
    assert not queued & set(refused)
    stored = {e["event_id"] for e in server.events(visitor)}
    assert not stored & set(refused)
    assert sent.of("track")[0]["id"] in stored


def test_visible_time_is_reported_every_30_seconds(page: Page, server: Server) -> None:
    page.clock.install()
    sent = SentEvents(page, types={"time"})
    url = f"{server.url}/demo/invoices?visitor={new_visitor()}"
    page.goto(url)
    page.get_by_role("dialog", name="Welcome to Ledgerly").wait_for()
    page.clock.run_for(61_500)
    sent.wait_until(lambda: len(sent.unique()) >= 2)
    assert [(e["url"], e["ms"]) for e in sent.unique()] == [(url, 30_000), (url, 30_000)]
