"""The demo's attention budget in Chromium: an admin gets the welcome tour first, then the admin announcement."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.conftest import Server
from e2e.support import SentEvents, new_visitor


def test_an_admin_gets_the_tour_then_the_announcement_on_the_next_page(page: Page, server: Server) -> None:
    # One automatic guide per page view, highest priority first: the tour takes the first page's slot, and the
    # announcement the next page's (with a day-long interval it waited until tomorrow).
    sent = SentEvents(page)
    visitor = new_visitor()
    page.goto(f"{server.url}/demo/invoices?visitor={visitor}&role=admin")
    tour = page.get_by_role("dialog", name="Welcome to Ledgerly")
    expect(tour).to_be_visible()
    page.keyboard.press("Escape")
    expect(tour).to_be_hidden()
    sent.wait_for(2)  # seen, then closed
    sent.wait_stored()
    page.goto(f"{server.url}/demo/settings/team?visitor={visitor}&role=admin")
    expect(page.get_by_role("dialog", name="Approval workflows are here")).to_be_visible()
