"""A new visitor meets the welcome walkthrough in a real Chromium against a real server."""

from __future__ import annotations

from playwright.sync_api import Page, Route, expect

from e2e.conftest import Server
from e2e.support import GUIDE_TYPES, SentEvents, new_visitor, wait_until

TOUR = "welcome-tour"
FULL_TOUR = [
    ("guide_seen", TOUR, 0, {"trigger": "auto"}),
    ("guide_step_advanced", TOUR, 1, {"from": 0}),
    ("guide_step_advanced", TOUR, 2, {"from": 1}),
    ("guide_step_advanced", TOUR, 3, {"from": 2}),
    ("guide_seen", TOUR, 3, {"trigger": "resume"}),
    ("guide_step_advanced", TOUR, 4, {"from": 3}),
    ("guide_completed", TOUR, 4, {}),
]


def _stored(server: Server, visitor: str) -> list[tuple[str, str | None, int | None, dict[str, object]]]:
    return [(e["type"], e["guide_id"], e["step"], e["props"]) for e in server.events(visitor)
            if e["type"] in GUIDE_TYPES]


def test_new_visitor_walks_through_by_mouse_across_two_pages(page: Page, server: Server) -> None:
    visitor = new_visitor()
    sent = SentEvents(page)
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")

    welcome = page.get_by_role("dialog", name="Welcome to Ledgerly")
    expect(welcome).to_be_visible()
    expect(welcome).to_have_attribute("aria-modal", "true")
    expect(welcome.get_by_text("1 of 5")).to_be_visible()
    welcome.get_by_role("button", name="Next").click()

    tooltip = page.get_by_role("dialog", name="New invoice")
    expect(tooltip).to_be_visible()
    tooltip.get_by_role("button", name="Next").click()
    expect(page.get_by_role("dialog", name="All your invoices")).to_be_visible()

    page.get_by_role("link", name="INV-1001").click()  # a full page load
    expect(page).to_have_url(f"{server.url}/demo/invoices/INV-1001")
    send_it = page.get_by_role("dialog", name="Send it")
    expect(send_it).to_be_visible()
    send_it.get_by_role("button", name="Next").click()
    page.get_by_role("dialog", name="You are all set").get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    sent.wait_for(len(FULL_TOUR))
    assert sent.summary() == FULL_TOUR
    events = sent.unique()
    assert {e["visitor"] for e in events} == {visitor}
    assert {e["tenant"] for e in events} == {"demo-co"}
    assert {e["guide_version"] for e in events} == {1}
    assert events[0]["url"] == f"{server.url}/demo/invoices?visitor={visitor}"
    assert events[-1]["url"] == f"{server.url}/demo/invoices/INV-1001"
    assert len({e["id"] for e in events}) == len(events)
    # and the server stored each exactly once (read from the database: the first page's last
    # requests went as it unloaded, and their answers are not reported)
    wait_until(page, lambda: _stored(server, visitor) == FULL_TOUR)
    assert _stored(server, visitor) == FULL_TOUR


def test_walkthrough_by_keyboard(page: Page, server: Server) -> None:
    visitor = new_visitor()
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    welcome = page.get_by_role("dialog", name="Welcome to Ledgerly")
    expect(welcome).to_be_visible()
    # focus is moved into the dialog, on its primary button
    expect(welcome.get_by_role("button", name="Next")).to_be_focused()
    # Tab and Shift-Tab stay inside the dialog
    for _ in range(6):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement && document.activeElement.id") == "waymark-root"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "waymark-root"
    welcome.get_by_role("button", name="Next").focus()
    page.keyboard.press("Enter")

    tooltip = page.get_by_role("dialog", name="New invoice")
    expect(tooltip).to_be_visible()
    expect(tooltip.get_by_role("button", name="Next")).to_be_focused()
    page.keyboard.press("Enter")
    table_step = page.get_by_role("dialog", name="All your invoices")
    expect(table_step).to_be_visible()
    page.keyboard.press("Enter")  # Next on the last step of this page: the tour waits for an invoice page
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.goto(f"{server.url}/demo/invoices/INV-1002")
    send_it = page.get_by_role("dialog", name="Send it")
    expect(send_it).to_be_visible()
    expect(send_it.get_by_role("button", name="Next")).to_be_focused()
    page.keyboard.press("Enter")
    done = page.get_by_role("dialog", name="You are all set")
    expect(done.get_by_role("button", name="Done")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_escape_dismisses_and_restores_focus(page: Page, server: Server) -> None:
    visitor = new_visitor()
    sent = SentEvents(page)
    # the delivery answer waits until the visitor is in the search field: the tour opens over it
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route("**/api/v1/guides?*", hold)
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    wait_until(page, lambda: bool(held))
    search = page.locator("#invoice-search")
    search.focus()
    held[0].continue_()
    page.unroute("**/api/v1/guides?*")
    welcome = page.get_by_role("dialog", name="Welcome to Ledgerly")
    expect(welcome.get_by_role("button", name="Next")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(search).to_be_focused()  # back where the visitor was
    sent.wait_for(2)
    assert sent.summary()[:2] == [
        ("guide_seen", TOUR, 0, {"trigger": "auto"}),
        ("guide_dismissed", TOUR, 0, {}),
    ]
    sent.wait_stored()
    since = sent.now()
    page.reload()
    sent.wait_decided(since)
    expect(page.get_by_role("dialog", name="Welcome to Ledgerly")).to_have_count(0)


def test_reload_midway_continues_at_the_same_step(page: Page, server: Server) -> None:
    visitor = new_visitor()
    sent = SentEvents(page)
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    page.get_by_role("dialog", name="Welcome to Ledgerly").get_by_role("button", name="Next").click()
    expect(page.get_by_role("dialog", name="New invoice")).to_be_visible()

    page.reload()
    resumed = page.get_by_role("dialog", name="New invoice")
    expect(resumed).to_be_visible()
    expect(resumed.get_by_text("2 of 5")).to_be_visible()
    sent.wait_for(3)
    assert sent.summary() == [
        ("guide_seen", TOUR, 0, {"trigger": "auto"}),
        ("guide_step_advanced", TOUR, 1, {"from": 0}),
        ("guide_seen", TOUR, 1, {"trigger": "resume"}),
    ]


def test_resume_survives_a_new_browser_tab_from_server_state(page: Page, server: Server) -> None:
    """Local storage gone (another device): the server's state alone resumes the tour."""
    visitor = new_visitor()
    sent = SentEvents(page)
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    page.get_by_role("dialog", name="Welcome to Ledgerly").get_by_role("button", name="Next").click()
    expect(page.get_by_role("dialog", name="New invoice")).to_be_visible()
    sent.wait_for(2)  # seen, advanced
    sent.wait_stored()  # the server knows the step before the next page asks
    page.evaluate("localStorage.clear()")
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    expect(page.get_by_role("dialog", name="New invoice")).to_be_visible()


def test_completed_walkthrough_never_comes_back(page: Page, server: Server) -> None:
    visitor = new_visitor()
    sent = SentEvents(page)
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    page.get_by_role("dialog", name="Welcome to Ledgerly").get_by_role("button", name="Next").click()
    page.get_by_role("dialog", name="New invoice").get_by_role("button", name="Next").click()
    page.get_by_role("dialog", name="All your invoices").wait_for()
    page.get_by_role("link", name="INV-1001").click()
    page.get_by_role("dialog", name="Send it").get_by_role("button", name="Next").click()
    page.get_by_role("dialog", name="You are all set").get_by_role("button", name="Done").click()
    sent.wait_for(len(FULL_TOUR))
    wait_until(page, lambda: _stored(server, visitor) == FULL_TOUR)  # across two pages: see the first test
    assert _stored(server, visitor) == FULL_TOUR

    for path in ("/demo/invoices", "/demo/invoices/INV-1001", "/demo/invoices"):
        since = sent.now()
        page.goto(server.url + path)
        sent.wait_decided(since)
        expect(page.get_by_role("dialog", name="Welcome to Ledgerly")).to_have_count(0)
        expect(page.get_by_role("dialog", name="Send it")).to_have_count(0)
    # even with local storage wiped, the server remembers
    page.evaluate("localStorage.clear()")
    since = sent.now()
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}")
    sent.wait_decided(since)
    expect(page.get_by_role("dialog", name="Welcome to Ledgerly")).to_have_count(0)
