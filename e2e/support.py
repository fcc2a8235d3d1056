"""What the e2e tests share: a unique visitor per test, and the events the widget sent."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from playwright.sync_api import Page, Request

__all__ = ["EVENT_KEYS", "SentEvents", "new_visitor"]

EVENT_KEYS = {"id", "type", "ts", "visitor", "tenant", "url", "guide", "guide_version", "step", "props"}
_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def new_visitor(prefix: str = "e2e") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class SentEvents:
    """Every event the widget posted from a page (resends included), checked for shape as they go."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[dict[str, Any]] = []
        page.on("request", self._on_request)

    def _on_request(self, request: Request) -> None:
        if "/api/v1/events" not in request.url or request.method != "POST":
            return
        assert request.headers.get("content-type", "").startswith("text/plain"), request.headers
        body = json.loads(request.post_data or "{}")
        assert _ISO.match(body["sent_at"]), body["sent_at"]
        for ev in body["events"]:
            assert set(ev) == EVENT_KEYS, sorted(ev)
            assert _ISO.match(ev["ts"]), ev["ts"]
        self.requests.append(body)

    def unique(self) -> list[dict[str, Any]]:
        """Events in the order first sent, each once (the server deduplicates resends by id)."""
        seen: dict[str, dict[str, Any]] = {}
        for body in self.requests:
            for ev in body["events"]:
                if ev["id"] in seen:
                    assert seen[ev["id"]] == ev, "a resend must be byte-for-byte the same event"
                seen.setdefault(ev["id"], ev)
        return sorted(seen.values(), key=lambda e: e["ts"])

    def summary(self) -> list[tuple[str, str, int, dict[str, Any]]]:
        return [(e["type"], e["guide"], e["step"], e["props"]) for e in self.unique()]

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.unique()) < count and time.monotonic() < deadline:
            self.page.wait_for_timeout(100)  # lets Playwright deliver request events (time.sleep would not)
