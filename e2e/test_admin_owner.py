"""The owner in Chromium: signs in (also with TOTP), sees a chart and a table on every report page, exports CSV."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.admin_support import DEMO_APP, OWNER_EMAIL, AdminPage, admin_pages, sign_in, sign_out
from e2e.conftest import Server
from waymark.app import create_app
from waymark.settings import Settings


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any], server: Server) -> dict[str, Any]:
    return {**browser_context_args, "base_url": server.url}


def _report_pages(server: Server) -> list[AdminPage]:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{server.db_path}"))
    return [p for p in admin_pages(app) if p.entry.report and p.entry.chart]


def test_the_owner_sees_a_chart_and_a_table_on_every_report_page(page: Page, server: Server) -> None:
    sign_in(page, OWNER_EMAIL)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    pages = _report_pages(server)
    assert len(pages) >= 10, [p.path for p in pages]
    missing: list[str] = []
    for p in pages:
        answer = page.goto(p.path)
        assert answer is not None and answer.status == 200, f"{p.path}: {answer and answer.status}"
        main = page.locator("main")
        # a chart: uPlot's canvas (drawn by admin.js under the page's CSP) or a server-rendered SVG
        chart, table = main.locator("canvas, svg").first, main.locator("table").first
        for what, locator in (("chart", chart), ("table", table)):
            try:
                expect(locator).to_be_visible()
            except AssertionError:
                missing.append(f"{p.path}: no {what}")
    assert not missing, "\n".join(missing)


def test_the_owner_exports_a_report_as_csv(page: Page, server: Server) -> None:
    sign_in(page, OWNER_EMAIL)
    path = "/admin/apps/demo/nps"
    page.goto(path)
    with page.expect_download() as download_info:
        page.locator("main").get_by_role("link", name="CSV", exact=True).first.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv"), download.suggested_filename
    rows = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    assert len(rows) >= 2, rows
    header = rows[0]
    assert len(header) >= 2 and all(cell.strip() for cell in header), header
    # the file is the page's own data: the same header and rows as the URL answers with ?format=csv
    same = list(csv.reader(io.StringIO(page.request.get(path + "?format=csv").text())))
    assert rows == same


def _code(secret: str, steps_later: int = 0) -> str:
    """What the authenticator app shows now, or ``steps_later`` 30-second steps from now (the server allows one
    step of clock drift either way, and takes each code once)."""
    return pyotp.TOTP(secret).at(datetime.now(UTC), counter_offset=steps_later)


def test_an_invited_owner_turns_on_totp_and_signs_in_with_a_code(page: Page, browser: Browser,
                                                                 server: Server) -> None:
    # the demo's owner invites a second owner (so the demo's own login keeps working without a code)
    email = f"second-owner-{uuid.uuid4().hex[:8]}@ledgerly.test"
    sign_in(page, OWNER_EMAIL, next_path=f"/admin/apps/{DEMO_APP}/people")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Role").last.select_option("owner")
    page.get_by_role("button", name="Invite").click()
    link = page.get_by_label("Link", exact=True).input_value()
    assert "/admin/invite/" in link, link
    # the new owner opens the link in a browser of their own and chooses a password
    context = browser.new_context(base_url=server.url)
    try:
        newcomer = context.new_page()
        newcomer.goto(link)
        newcomer.get_by_label("Password", exact=True).fill("a long enough password")
        newcomer.get_by_label("Password again").fill("a long enough password")
        newcomer.get_by_role("button", name="Set password and sign in").click()
        newcomer.wait_for_url(lambda url: "/admin/invite/" not in url)
        # TOTP: start, read the key from the page, confirm with a code pyotp computes
        newcomer.goto("/admin/account")
        newcomer.get_by_role("button", name="Set up a second factor").click()
        secret = newcomer.locator("#totp-secret").inner_text().strip()
        newcomer.get_by_label("Code", exact=True).fill(_code(secret))
        newcomer.get_by_role("button", name="Turn the second factor on").click()
        expect(newcomer.get_by_role("heading", name="Your recovery codes")).to_be_visible()
        assert newcomer.locator("ul.codes li").count() >= 5
        sign_out(newcomer)
        # the password alone is not enough any more; a code is (the next one: the one that confirmed is spent)
        sign_in(newcomer, email, "a long enough password", code=_code(secret, steps_later=1),
                next_path=f"/admin/apps/{DEMO_APP}/nps")
        assert newcomer.url.endswith(f"/admin/apps/{DEMO_APP}/nps"), newcomer.url
        expect(newcomer.locator("main table").first).to_be_visible()
        # a wrong code is refused and signs nobody in
        sign_out(newcomer)
        newcomer.goto("/admin/login")
        newcomer.get_by_label("Email").fill(email)
        newcomer.get_by_label("Password").fill("a long enough password")
        newcomer.get_by_role("button", name="Sign in").click()
        newcomer.wait_for_url("**/admin/login/code**")
        wrong = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"
        newcomer.get_by_label("Code").fill(wrong)
        newcomer.get_by_role("button", name="Continue").click()
        expect(newcomer.get_by_role("alert")).to_contain_text("That code is not right")
        assert newcomer.request.get(f"/admin/apps/{DEMO_APP}/nps", max_redirects=0).status == 303
    finally:
        context.close()
