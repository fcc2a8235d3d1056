"""What the e2e tests share: a unique visitor per test, and the events the widget sent."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Collection
from typing import Any

from playwright.sync_api import Page, Request

__all__ = ["ELEMENT_KEYS", "EVENT_KEYS", "GUIDE_TYPES", "SentEvents", "new_visitor"]

_BASE = {"id", "type", "ts", "visitor", "tenant", "url"}
GUIDE_TYPES = frozenset({
    "guide_seen", "guide_step_advanced", "guide_dismissed", "guide_completed", "guide_snoozed",
    "guide_anchor_missing",
})
EVENT_KEYS: dict[str, set[str]] = {
    **{t: _BASE | {"guide", "guide_version", "step", "props"} for t in GUIDE_TYPES},
    "page": _BASE | {"title", "referrer"},
    "click": _BASE | {"element"},
    "time": _BASE | {"ms"},
    "track": _BASE | {"name", "props"},
    "identify": _BASE | {"traits"},
    "group": _BASE | {"traits"},
    "alias": _BASE | {"previous"},
}
"""The exact keys the widget sends, per event type (``tenant`` only when there is one)."""
ELEMENT_KEYS = {"tag", "id", "classes", "attrs", "text", "path"}
_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def new_visitor(prefix: str = "e2e") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class SentEvents:
    """Every event the widget posted from a page (resends included), checked for shape as they go.

    ``unique``, ``summary`` and ``wait_for`` count the events of ``types`` (guide events unless
    told otherwise; ``None``: all); ``of(type)`` reads any type.
    """

    def __init__(self, page: Page, types: Collection[str] | None = GUIDE_TYPES) -> None:
        self.page = page
        self.types = types
        self.requests: list[dict[str, Any]] = []
        self.bodies: list[str] = []
        """Every request body as sent, for checks that something never left the page."""
        page.on("request", self._on_request)

    def _on_request(self, request: Request) -> None:
        if "/api/v1/events" not in request.url or request.method != "POST":
            return
        assert request.headers.get("content-type", "").startswith("text/plain"), request.headers
        self.bodies.append(request.post_data or "")
        body = json.loads(request.post_data or "{}")
        assert _ISO.match(body["sent_at"]), body["sent_at"]
        assert 1 <= len(body["events"]) <= 20, len(body["events"])
        for ev in body["events"]:
            assert set(ev) | {"tenant"} == EVENT_KEYS[ev["type"]], (ev["type"], sorted(ev))  # tenant: optional
            assert _ISO.match(ev["ts"]), ev["ts"]
            if ev["type"] == "click":
                assert set(ev["element"]) == ELEMENT_KEYS, sorted(ev["element"])
        self.requests.append(body)

    def _all(self) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for body in self.requests:
            for ev in body["events"]:
                if ev["id"] in seen:
                    assert seen[ev["id"]] == ev, "a resend must be byte-for-byte the same event"
                seen.setdefault(ev["id"], ev)
        return sorted(seen.values(), key=lambda e: e["ts"])

    def unique(self) -> list[dict[str, Any]]:
        """Events of ``types`` in the order first sent, each once (the server deduplicates resends by id)."""
        return [e for e in self._all() if self.types is None or e["type"] in self.types]

    def of(self, *types: str) -> list[dict[str, Any]]:
        """Unique events of these types, whatever ``types`` the instance counts."""
        return [e for e in self._all() if e["type"] in types]

    def times_sent(self, event_id: str) -> int:
        return sum(ev["id"] == event_id for body in self.requests for ev in body["events"])

    def summary(self) -> list[tuple[str, str, int, dict[str, Any]]]:
        return [(e["type"], e["guide"], e["step"], e["props"]) for e in self.unique()]

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        self.wait_until(lambda: len(self.unique()) >= count, timeout)

    def wait_until(self, done: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:
            self.page.wait_for_timeout(100)  # lets Playwright deliver request events (time.sleep would not)
