"""The live view in Chromium: the latest events at once, then each new one appended as it is stored (SSE)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from e2e.admin_support import DEMO_APP, OWNER_EMAIL, sign_in
from e2e.conftest import Server
from e2e.support import new_visitor
from waymark_demo.seed import DEMO_PUBLIC_KEY


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any], server: Server) -> dict[str, Any]:
    return {**browser_context_args, "base_url": server.url}


def _store(server: Server, visitor: str, kind: str = "track", **fields: Any) -> None:
    event = {"id": uuid.uuid4().hex, "type": kind, "visitor": visitor, "tenant": "acme",
             "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
             "url": "http://127.0.0.1/demo/invoices"}
    event.update(fields)
    answer = httpx.post(f"{server.url}/api/v1/events", params={"key": DEMO_PUBLIC_KEY}, json={"events": [event]},
                        timeout=10)
    assert answer.status_code == 202, answer.text


def test_new_events_are_appended_as_they_arrive_and_the_filters_hold(page: Page, server: Server) -> None:
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    visitor = new_visitor("live")
    sign_in(page, OWNER_EMAIL)
    _store(server, visitor, name="Already there")
    page.goto(f"/admin/apps/{DEMO_APP}/live?type=track&visitor={visitor}")
    rows = page.locator("#live-rows tr")
    expect(rows).to_have_count(1)  # the latest, at once: the one event this visitor has
    expect(page.locator("#live-status")).to_contain_text("Connected")
    # stored after the page was made: another visitor, another type, then the one the filters let through
    _store(server, new_visitor("other"), name="Not this visitor")
    _store(server, visitor, kind="page", url="http://127.0.0.1/demo/not-a-track-event")
    _store(server, visitor, name="Export clicked")
    expect(rows).to_have_count(2)
    expect(rows.last).to_contain_text("Export clicked")
    expect(rows.last).to_contain_text(visitor)
    expect(page.locator("#live-rows")).not_to_contain_text("Not this visitor")
    expect(page.locator("#live-rows")).not_to_contain_text("not-a-track-event")
    assert not [m for m in console if "Content Security Policy" in m or "Refused to" in m], console
