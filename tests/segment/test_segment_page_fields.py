"""A Segment ``page`` call's name and category, and a ``screen`` call's name and category, are kept on the stored
page view (its properties) and come back in the event export (both databases)."""

from __future__ import annotations

import json
from typing import Any

from litestar.testing import AsyncTestClient

from tests.support import make_app
from waymark.segment.mapping import to_events
from waymark.settings import Settings


def test_mapping_keeps_name_and_category() -> None:
    (page,) = to_events({"type": "page", "userId": "u", "name": "Invoices", "category": "Billing",
                         "properties": {"title": "Invoices · Acme", "url": "https://h/invoices"}})
    assert (page["type"], page["name"], page["category"], page["title"]) == ("page", "Invoices", "Billing", "Invoices")
    (screen,) = to_events({"type": "screen", "userId": "u", "name": "Settings", "properties": {"category": "Account"}})
    assert (screen["type"], screen["name"], screen["category"]) == ("page", "Settings", "Account")
    (bare,) = to_events({"type": "page", "userId": "u", "properties": {"title": "Home"}})
    assert "name" not in bare and "category" not in bare and bare["title"] == "Home"


async def test_page_and_screen_calls_keep_name_and_category_in_the_export(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    basic = (app.public_key, "")

    async def call(path: str, body: dict[str, Any]) -> None:
        answer = await client.post(path, json=body, auth=basic)
        assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text

    await call("/v1/page", {"userId": "u1", "messageId": "p-1", "name": "Invoices", "category": "Billing",
                            "properties": {"url": "https://app.example/invoices", "title": "Invoices · Acme"}})
    await call("/v1/screen", {"userId": "u1", "messageId": "s-1", "name": "Settings", "category": "Account"})
    await call("/v1/batch", {"batch": [{"type": "page", "userId": "u1", "messageId": "p-2", "name": "Home"}]})
    exported = await client.get("/api/v1/events/export", params={"type": "page"},
                                headers={"Authorization": f"Bearer {app.secret_key}"})
    assert exported.status_code == 200, exported.text
    props = {e["id"]: e["props"] for e in map(json.loads, exported.text.splitlines())}
    assert props["p-1"] == {"title": "Invoices", "name": "Invoices", "category": "Billing"}
    assert props["s-1"] == {"title": "Settings", "name": "Settings", "category": "Account"}
    assert props["p-2"] == {"title": "Home", "name": "Home"}
