"""The tenant admin in Chromium: only their tenant, every other URL a 404, their benchmark only their own position."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from e2e.admin_support import (
    ADMIN_EMAIL,
    DEMO_APP,
    OTHER_TENANT,
    TENANT,
    admin_pages,
    sign_in,
    tenant_admin_may_open,
)
from e2e.conftest import Server
from waymark.app import create_app
from waymark.settings import Settings
from waymark_demo.population import TENANTS


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any], server: Server) -> dict[str, Any]:
    return {**browser_context_args, "base_url": server.url}


def _routes(server: Server) -> Any:
    return create_app(Settings(database_url=f"sqlite+aiosqlite:///{server.db_path}"))


def test_the_tenant_admin_lands_on_their_tenant_and_every_other_url_is_a_404(page: Page, server: Server) -> None:
    sign_in(page, ADMIN_EMAIL)
    assert f"/admin/apps/{DEMO_APP}/tenants/{TENANT}" in page.url, page.url
    app = _routes(server)
    own = [p for p in admin_pages(app) if tenant_admin_may_open(p)]
    theirs = list(admin_pages(app, tenant=OTHER_TENANT))
    assert own, "no tenant page in the router"
    wrong: list[str] = []
    for p in own:
        answer = page.request.get(p.path)
        if answer.status != 200:
            wrong.append(f"{p.path}: {answer.status}, expected their own page")
    # every page of another tenant, every app-wide page, every page of another app: 404, in every format
    for p in theirs:
        if "{app_id" not in p.route:
            continue  # their own pages (home, account, their apps)
        for suffix in ("", "?format=json", "?format=csv"):
            for path in (p.path, p.path.replace(f"/apps/{DEMO_APP}", "/apps/another-app")):
                answer = page.request.get(path + suffix, max_redirects=0)
                if answer.status != 404:
                    wrong.append(f"{path}{suffix}: {answer.status}, expected 404")
                elif TENANT != OTHER_TENANT and "Umbrella Corp" in answer.text():
                    wrong.append(f"{path}{suffix}: a 404 that names the other tenant")
    assert not wrong, "\n".join(wrong)
    # in the browser, the other tenant's page says nothing of it
    opened = page.goto(f"/admin/apps/{DEMO_APP}/tenants/{OTHER_TENANT}/nps")
    assert opened is not None and opened.status == 404
    expect(page.get_by_text("Umbrella Corp")).to_have_count(0)


def test_the_tenant_admin_is_offered_only_their_tenant(page: Page, server: Server) -> None:
    sign_in(page, ADMIN_EMAIL)
    allowed = re.compile(rf"^(/admin/?$|/admin/account|/admin/static/|/admin/apps/{DEMO_APP}/tenants/{TENANT}(/|$|\?))")
    stray: list[str] = []
    for p in (p for p in admin_pages(_routes(server)) if tenant_admin_may_open(p)):
        page.goto(p.path)
        for href in page.locator("a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
            path = re.sub(r"^https?://[^/]+", "", href)
            if path.startswith("/") and not allowed.match(path):
                stray.append(f"{p.path} links to {href}")
    assert not stray, "\n".join(stray)


def test_the_tenant_admins_benchmark_shows_only_their_own_position(page: Page, server: Server) -> None:
    sign_in(page, ADMIN_EMAIL)
    path = f"/admin/apps/{DEMO_APP}/tenants/{TENANT}/benchmarks"
    answer = page.goto(path)
    assert answer is not None and answer.status == 200
    main = page.locator("main")
    expect(main.get_by_role("columnheader", name="Percentile rank")).to_be_visible()
    others = [t for t in TENANTS if t.id != TENANT]
    for body in (main.inner_text(), page.content(), page.request.get(path + "?format=json").text(),
                 page.request.get(path + "?format=csv").text()):
        named = [t.id for t in others if re.search(rf"\b{re.escape(t.id)}\b", body) or t.name in body]
        assert not named, f"the tenant admin's benchmark names other tenants: {named}"
    # their own position is there; the whole distribution is not
    data = page.request.get(path + "?format=json").json()
    placed = [b for b in data["benchmarks"] if b.get("percentile") is not None]
    assert placed, data
    for benchmark in data["benchmarks"]:
        shown = {"p25", "p50", "p75", "p90"} & set(benchmark)
        assert not shown, f"the tenant admin sees the peers' distribution ({sorted(shown)}): {benchmark}"
