"""What the e2e tests share: a unique visitor per test, the events the widget sent and what the server answered."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Collection
from typing import Any

from playwright.sync_api import Page, Request, Response

__all__ = [
    "ELEMENT_KEYS", "EVENT_KEYS", "GUIDE_TYPES", "SentEvents", "new_visitor", "posts", "record_posts", "wait_until",
]

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

# Every events POST the page's code makes, recorded as fetch() is called: unlike Playwright's request
# events, which arrive later, this is complete the moment a page.evaluate() returns. ``done`` turns true
# one task after the request settled, so after the widget's own handlers of that answer have run.
_RECORD_POSTS = """(() => {
    const fetch0 = window.fetch;
    window.__waymarkPosts = [];
    window.fetch = function (url, o) {
        const sent = fetch0.apply(this, arguments);
        if (String(url).includes('/api/v1/events')) {
            const post = {keepalive: !!(o && o.keepalive), bytes: new Blob([o.body]).size,
                          n: JSON.parse(o.body).events.length, body: o.body, done: false};
            window.__waymarkPosts.push(post);
            const settled = () => setTimeout(() => { post.done = true; });
            sent.then(settled, settled);
        }
        return sent;
    };
})()"""


def new_visitor(prefix: str = "e2e") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wait_until(page: Page, done: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``done`` until it is true or the deadline passes; the caller asserts what it needs afterwards."""
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # lets Playwright deliver its events (time.sleep would not)


def record_posts(page: Page) -> None:
    """From the next page load on, record every events POST as the page makes it (see ``posts``)."""
    page.add_init_script(_RECORD_POSTS)


def posts(page: Page) -> list[dict[str, Any]]:
    """The events POSTs this page load made so far: ``keepalive``, ``bytes``, ``n`` (events), ``body``, ``done``."""
    return page.evaluate("window.__waymarkPosts")


class SentEvents:
    """Every event the widget posted from a page (resends included), checked for shape as they go,
    and which of them the server acknowledged (202: stored and committed).

    ``unique``, ``summary`` and ``wait_for`` count the events of ``types`` (guide events unless
    told otherwise; ``None``: all); ``of(type)`` reads any type.
    """

    def __init__(self, page: Page, types: Collection[str] | None = GUIDE_TYPES) -> None:
        self.page = page
        self.types = types
        self.requests: list[dict[str, Any]] = []
        self.bodies: list[str] = []
        """Every request body as sent, for checks that something never left the page."""
        self.acknowledged: list[dict[str, Any]] = []
        """Every event of a batch the server answered 202, in the order of the answers."""
        self.outcomes: dict[Request, int | None] = {}
        """Per events request: its status, 0 when it failed, None while there is no answer."""
        page.on("request", self._on_request)
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_failed)

    @staticmethod
    def _is_post(request: Request) -> bool:
        return "/api/v1/events" in request.url and request.method == "POST"

    def _on_request(self, request: Request) -> None:
        if not self._is_post(request):
            return
        self.outcomes[request] = None
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

    def _on_response(self, response: Response) -> None:
        request = response.request
        if not self._is_post(request):
            return
        self.outcomes[request] = response.status
        if response.status == 202:
            self.acknowledged.extend(json.loads(request.post_data or "{}")["events"])

    def _on_failed(self, request: Request) -> None:
        if not self._is_post(request):
            return
        if request not in self.outcomes:
            self._on_request(request)  # made as the page went away: its request event can be lost, not this one
        if self.outcomes[request] is None:  # answered, then cut off by the page going away: the answer counts
            self.outcomes[request] = 0

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
        wait_until(self.page, done, timeout)

    def now(self) -> str:
        """The browser's clock, as the widget stamps events: to tell this page load's events from earlier ones."""
        return str(self.page.evaluate("new Date().toISOString()"))

    def stored(self, ids: Collection[str]) -> bool:
        """Did the server acknowledge (store and commit) each of these events?"""
        return set(ids) <= {e["id"] for e in self.acknowledged}

    def wait_stored(self, events: Collection[dict[str, Any]] | None = None, timeout: float = 10.0) -> None:
        """Wait until the server acknowledged ``events`` (all unique events of ``types`` sent so far if None).

        Only for events sent by the page still loaded: the answer to a request a page made as it went
        away is never reported (the request counts as failed), so read the database for those.
        """
        wanted = list(self.unique() if events is None else events)
        ids = {e["id"] for e in wanted}
        self.wait_until(lambda: self.stored(ids), timeout)
        missing = ids - {e["id"] for e in self.acknowledged}
        statuses = [(r.url.split("?")[0], status) for r, status in self.outcomes.items()]
        assert not missing, f"never acknowledged: {[e for e in wanted if e['id'] in missing]}; answers: {statuses}"

    def wait_decided(self, since: str, timeout: float = 10.0) -> None:
        """Wait until the page loaded after ``since`` (see ``now``) has applied its delivery answer.

        The widget sends nothing until the first delivery answer of a page load has been applied, and
        it applies the guides in the same step as the answer's privacy settings. So once the server has
        acknowledged a page view made after ``since``, that page has decided what it shows by itself.
        """
        def decided() -> bool:
            return any(e["type"] == "page" and e["ts"] >= since for e in self.acknowledged)

        self.wait_until(decided, timeout)
        assert decided(), f"no page view made after {since} was acknowledged"
