"""The owner in Chromium: signs in (also with TOTP), sees a chart and a table on every report page, exports CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from e2e.admin_support import OWNER_EMAIL, AdminPage, admin_pages, sign_in
from e2e.conftest import Server
from waymark.app import create_app
from waymark.settings import Settings


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any], server: Server) -> dict[str, Any]:
    return {**browser_context_args, "base_url": server.url}


def _report_pages(server: Server) -> list[AdminPage]:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{server.db_path}"))
    return [p for p in admin_pages(app) if p.entry.report]


def test_the_owner_sees_a_chart_and_a_table_on_every_report_page(page: Page, server: Server) -> None:
    sign_in(page, OWNER_EMAIL)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    pages = _report_pages(server)
    assert len(pages) >= 10, [p.path for p in pages]
    for p in pages:
        answer = page.goto(p.path)
        assert answer is not None and answer.status == 200, f"{p.path}: {answer and answer.status}"
        main = page.locator("main")
        # a chart: uPlot's canvas (drawn by admin.js under the page's CSP) or a server-rendered SVG
        expect(main.locator("canvas, svg").first, f"{p.path}: no chart").to_be_visible()
        expect(main.locator("table").first, f"{p.path}: no table").to_be_visible()
        expect(main.locator("table tbody tr").first, f"{p.path}: an empty table").to_be_attached()


def test_the_owner_exports_a_report_as_csv(page: Page, server: Server) -> None:
    sign_in(page, OWNER_EMAIL)
    path = "/admin/apps/demo/nps"
    page.goto(path)
    with page.expect_download() as download_info:
        page.locator("main").get_by_role("link", name="CSV", exact=True).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv"), download.suggested_filename
    rows = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    assert len(rows) >= 2, rows
    header = rows[0]
    assert len(header) >= 2 and all(cell.strip() for cell in header), header
    # the file is the page's own data: the same header and rows as the URL answers with ?format=csv
    same = list(csv.reader(io.StringIO(page.request.get(path + "?format=csv").text())))
    assert rows == same
