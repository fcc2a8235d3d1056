"""The admin shell in Chromium under its own CSP: no violation on any page, uPlot draws, a filter updates the report
in place (htmx), the copy button copies, and the keys page works at 390 px and by keyboard."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from litestar.response import ServerSentEvent
from playwright.sync_api import Page, expect

from e2e.admin_support import DEMO_APP, OWNER_EMAIL, admin_pages, scrolls_sideways, sign_in
from e2e.conftest import Server
from waymark.app import create_app
from waymark.settings import Settings

_WATCH = """window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"""


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any], server: Server) -> dict[str, Any]:
    return {**browser_context_args, "base_url": server.url}


def _violations(page: Page, console: list[str]) -> list[str]:
    found: list[str] = page.evaluate("() => window.__violations || []")
    return found + [m for m in console if "Content Security Policy" in m or "Refused to" in m]


def test_no_admin_page_breaks_its_csp(page: Page, server: Server) -> None:
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.add_init_script(_WATCH)
    sign_in(page, OWNER_EMAIL)
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{server.db_path}"))
    streams = {r.path for r in app.routes for h in getattr(r, "route_handlers", ())
               if h.parsed_fn_signature.return_type.annotation is ServerSentEvent}
    pages = [p for p in admin_pages(app) if p.route not in streams]
    assert len(pages) >= 15
    for p in pages:
        answer = page.goto(p.path)
        assert answer is not None and answer.status < 500, p.path
        page.wait_for_load_state("load")
        assert _violations(page, console) == [], p.path


def test_a_filter_updates_the_report_in_place_and_the_chart_is_drawn(page: Page) -> None:
    sign_in(page, OWNER_EMAIL)
    page.goto(f"/admin/apps/{DEMO_APP}/")
    report = page.locator("#report")
    expect(report.locator("canvas").first).to_be_visible()  # uPlot, drawn by admin.js
    page.evaluate("() => { window.__kept = 'same page' }")
    start = page.get_by_label("From", exact=True)
    week = [date.today() - timedelta(days=6), date.today()]
    start.fill(week[0].isoformat())
    page.get_by_label("To", exact=True).fill(week[1].isoformat())
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(f"**from={week[0].isoformat()}**")
    # the data table, not the chart's legend (also a table, drawn by uPlot whenever the chart is)
    expect(report.locator("table:not(.u-legend)").first.locator("tbody tr")).to_have_count(7)
    expect(report.locator("canvas").first).to_be_visible()
    assert page.evaluate("() => window.__kept") == "same page", "htmx swapped the report, not the page"


def test_the_keys_page_copies_and_works_at_390_px_by_keyboard(page: Page) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, OWNER_EMAIL)
    page.goto(f"/admin/apps/{DEMO_APP}/keys")
    assert not scrolls_sideways(page)
    snippet = page.get_by_role("textbox", name="Embed snippet", exact=False)
    assert "data-key=\"pk_" in snippet.input_value()
    copy = page.locator('button.copy[data-copy="embed-snippet"]')
    copy.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".copyable", has=copy).get_by_role("status")).to_have_text("Copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == snippet.input_value()
    page.keyboard.press("Shift+Tab")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused element shows where focus is"
