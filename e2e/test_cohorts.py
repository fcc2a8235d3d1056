"""A guide targeted at a cohort, in Chromium: a member of the cohort is shown it, a visitor outside it is not."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from playwright.sync_api import Page, expect

from e2e.conftest import Server
from e2e.support import new_visitor
from waymark_demo.seed import DEMO_PUBLIC_KEY

GUIDE = """\
id: e2e-cohort-news
name: For exporters
kind: announcement
priority: 100
ignore_throttle: true
targeting:
  pages: ["/demo/invoices/*"]
  segment: {field: cohort, op: in, value: e2e-exporters}
steps:
  - type: lightbox
    title: Exporters only
    body: You export a lot; here is a shortcut.
"""


def _track(server: Server, visitor: str, name: str) -> None:
    ts = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    sent = httpx.post(f"{server.url}/api/v1/events?key={DEMO_PUBLIC_KEY}", json={"events": [
        {"id": uuid.uuid4().hex, "type": "track", "name": name, "visitor": visitor, "ts": ts,
         "url": f"{server.url}/demo/invoices"}]})
    assert sent.status_code == 202 and not sent.json()["rejected"], sent.text


def test_a_cohort_targeted_guide_is_shown_to_members_only(page: Page, server: Server) -> None:
    member, outsider = new_visitor("member"), new_visitor("outsider")
    _track(server, member, "e2e-export")
    _track(server, outsider, "e2e-other")
    auth = {"Authorization": f"Bearer {server.secret_key}"}
    cohort = httpx.put(f"{server.url}/api/v1/cohorts/e2e-exporters", headers=auth, json={
        "name": "E2E exporters", "rule": {"did": "event:e2e-export", "at_least": 1, "days": 1}})
    assert cohort.status_code in (200, 201), cohort.text
    members = httpx.get(f"{server.url}/api/v1/cohorts/e2e-exporters/members", headers=auth).json()["members"]
    assert [m["visitor"] for m in members] == [member]
    pushed = httpx.post(f"{server.url}/api/v1/guide-definitions/push", headers=auth,
                        json={"files": [{"name": "e2e-cohort-news.yaml", "content": GUIDE}]})
    assert pushed.status_code == 200, pushed.text

    dialog = page.get_by_role("dialog", name="Exporters only")
    with page.expect_response(lambda r: "/api/v1/guides?" in r.url) as answered:
        page.goto(f"{server.url}/demo/invoices/INV-1001?visitor={outsider}")
    assert "e2e-cohort-news" not in {g["id"] for g in answered.value.json()["guides"]}
    expect(dialog).to_have_count(0)

    page.goto(f"{server.url}/demo/invoices/INV-1001?visitor={member}")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("here is a shortcut")
