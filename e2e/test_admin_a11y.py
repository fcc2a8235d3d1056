"""Accessibility of every admin page in Chromium: axe-core finds no serious or critical violation; usable at 390 px."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize

from e2e.admin_support import (
    ADMIN_EMAIL,
    OWNER_EMAIL,
    accessibility_problems,
    admin_pages,
    scrolls_sideways,
    sign_in,
    tenant_admin_may_open,
)
from e2e.conftest import Server
from waymark.app import create_app
from waymark.settings import Settings

_NARROW: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any], server: Server) -> dict[str, Any]:
    return {**browser_context_args, "base_url": server.url}


def _pages(server: Server) -> list[Any]:
    return list(admin_pages(create_app(Settings(database_url=f"sqlite+aiosqlite:///{server.db_path}"))))


def _check(page: Page, path: str) -> list[str]:
    answer = page.goto(path)
    if answer is None or answer.status != 200:
        return [f"{path}: answered {answer and answer.status}"]
    page.locator("main").wait_for()
    page.wait_for_load_state("load")  # admin.js (deferred) has drawn the charts
    return accessibility_problems(page)


def test_the_login_page_has_no_serious_accessibility_problem(page: Page) -> None:
    problems = _check(page, "/admin/login")
    page.set_viewport_size(_NARROW)
    assert not scrolls_sideways(page), "/admin/login scrolls sideways at 390 px"
    assert not problems, "\n".join(problems)


def test_no_owner_page_has_a_serious_accessibility_problem(page: Page, server: Server) -> None:
    sign_in(page, OWNER_EMAIL)
    problems = [problem for p in _pages(server) for problem in _check(page, p.path)]
    assert not problems, "\n".join(problems)


def test_no_tenant_admin_page_has_a_serious_accessibility_problem(page: Page, server: Server) -> None:
    sign_in(page, ADMIN_EMAIL)
    pages = [p for p in _pages(server) if tenant_admin_may_open(p)]
    assert pages
    problems = [problem for p in pages for problem in _check(page, p.path)]
    assert not problems, "\n".join(problems)


def test_every_admin_page_is_usable_at_390_px(page: Page, server: Server) -> None:
    page.set_viewport_size(_NARROW)
    sign_in(page, OWNER_EMAIL)
    wide = []
    for p in _pages(server):
        answer = page.goto(p.path)
        assert answer is not None and answer.status == 200, p.path
        if scrolls_sideways(page):
            wide.append(p.path)
    assert not wide, f"these pages scroll sideways at 390 px: {wide}"
