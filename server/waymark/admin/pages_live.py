"""The live view: the app's latest events, then each new one as it is stored, by server-sent events (READ_APP).

The stream reads the events table by increasing id (see :mod:`waymark.events.live`), so it works
behind any number of workers; it ends when the viewer goes away (Litestar cancels it on disconnect)
or after :data:`STREAM_SECONDS`, when the browser reconnects with the last id it got.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get
from litestar.exceptions import ClientException
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.access.deps import requires
from waymark.access.principal import Action
from waymark.admin.render import report_page
from waymark.db.scope import Scope, app_session
from waymark.events.live import FIRST_WINDOW, LiveEvent, LiveFilter, LiveReader, latest_events
from waymark.events.schemas import EVENT_TYPES
from waymark.policies.decisions import PolicyDecisionEvent
from waymark.wire import CONTROL_CHARACTER

__all__ = ["LATEST", "POLL_SECONDS", "STREAM_SECONDS", "TYPES", "LivePages", "follow", "read_live_filter"]

LATEST = 50
"""Events the page shows at once."""
POLL_SECONDS = 1.0
"""How often a stream looks for new events."""
STREAM_SECONDS = 300.0
"""A stream ends after this long; the browser reconnects at once, from the last id it got."""
KEEPALIVE_SECONDS = 15.0
"""A comment line after this long without events, so that proxies keep the connection open."""
_HEADERS = {"X-Accel-Buffering": "no"}
TYPES = sorted(EVENT_TYPES | {str(PolicyDecisionEvent.__struct_config__.tag)})
"""The types the filter offers: what the widget and SDKs send, and the policy decisions recorded as events."""
_TYPE = re.compile(r"[a-z_]{1,32}")


class LiveList(msgspec.Struct):
    events: list[LiveEvent]
    after: int
    """The id the stream goes on from."""


def read_live_filter(params: Mapping[str, str]) -> LiveFilter:
    """The viewer's filters (type, tenant, visitor); a bad one is a 400 saying which."""
    values = {name: (params.get(name) or "").strip() or None for name in ("type", "tenant", "visitor")}
    kind = values["type"]
    if kind is not None and not _TYPE.fullmatch(kind):
        raise ClientException(f"type={kind[:40]!r} is not an event type: use one of {', '.join(TYPES)}")
    for name in ("tenant", "visitor"):
        value = values[name]
        if value is not None and (len(value) > 200 or CONTROL_CHARACTER.search(value)):
            raise ClientException(f"{name} must be an id of at most 200 characters without control characters")
    return LiveFilter(type=kind, tenant=values["tenant"], visitor=values["visitor"])


def _after(request: Request[Any, Any, Any]) -> int:
    """Where a stream starts: the browser's Last-Event-ID on a reconnect, else the page's ``after``."""
    raw = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
    if not raw.isdigit() or len(raw) > 19:
        raise ClientException("after (or Last-Event-ID) must be an event number")
    return int(raw)


def _lifetime(request: Request[Any, Any, Any]) -> float:
    """How long the stream follows: ``seconds`` (0 looks once: what is there since ``after``, then the end)."""
    raw = request.query_params.get("seconds")
    if raw is None:
        return STREAM_SECONDS
    if not raw.isdigit() or int(raw) > STREAM_SECONDS:
        raise ClientException(f"seconds must be a whole number from 0 to {STREAM_SECONDS:.0f}")
    return float(raw)


def _message(event: LiveEvent) -> ServerSentEventMessage:
    return ServerSentEventMessage(data=msgspec.json.encode(event).decode(), id=event.id, event="stored")


async def follow(sessionmaker: async_sessionmaker[AsyncSession], app_id: str, reader: LiveReader, *,
                 poll_seconds: float = POLL_SECONDS, lifetime: float = STREAM_SECONDS
                 ) -> AsyncIterator[ServerSentEventMessage]:
    """The stream's messages: new events as they are stored, a comment now and then while there are none.

    It looks at least once, then until ``lifetime`` seconds have passed.

    A session is opened per look and closed before waiting, so an open stream holds no connection.
    """
    end = time.monotonic() + lifetime
    quiet_since = time.monotonic()
    while True:
        async with app_session(sessionmaker, app_id) as session:
            events = await reader.poll(session)
        for event in events:
            yield _message(event)
        now = time.monotonic()
        if now >= end:
            return
        if events:
            quiet_since = now
        elif now - quiet_since >= KEEPALIVE_SECONDS:
            quiet_since = now
            yield ServerSentEventMessage(data=None, comment="still here")
        await asyncio.sleep(min(poll_seconds, max(end - now, 0.0)))


class LivePages(Controller):
    """``/admin/apps/{app_id}/live``: the page and its stream."""

    path = "/admin/apps/{app_id:str}/live"
    include_in_schema = False
    guards = [requires(Action.READ_APP)]

    @get("/", name="admin-live")
    async def live(self, request: Request[Any, Any, Any], access_scope: Scope) -> Response[Any]:
        """The latest events (filtered), with the stream's address for the page's script."""
        wanted = read_live_filter(request.query_params)
        async with app_session(request.app.state.sessionmaker, access_scope.app_id) as session:
            events, after = await latest_events(session, access_scope.app_id, wanted, LATEST)
        chosen = {k: v for k, v in msgspec.structs.asdict(wanted).items() if v}
        base = f"/admin/apps/{access_scope.app_id}/live"
        return report_page(
            request, template="live/live.html", data=LiveList(events=events, after=after),
            csv_rows=[["id", "type", "ts", "visitor", "tenant", "name", "guide", "step", "url"]]
            + [[e.id, e.type, e.ts, e.visitor, e.tenant, e.name, e.guide, e.step, e.url] for e in events],
            filename=f"live-{access_scope.app_id}-{after}",
            context={"scope": access_scope, "wanted": wanted, "types": TYPES, "base": base, "window": FIRST_WINDOW,
                     "stream_url": f"{base}/stream?{urlencode({**chosen, 'after': after})}"})

    @get("/stream", name="admin-live-stream")
    async def stream(self, request: Request[Any, Any, Any], access_scope: Scope) -> ServerSentEvent:
        """Server-sent events: each stored event passing the filters, as JSON, with its id.

        ``after`` (or the Last-Event-ID header) is where it starts; ``seconds`` how long it follows
        (at most, and by default, :data:`STREAM_SECONDS`).
        """
        wanted = read_live_filter(request.query_params)
        reader = LiveReader(access_scope.app_id, wanted, _after(request))
        return ServerSentEvent(follow(request.app.state.sessionmaker, access_scope.app_id, reader,
                                      lifetime=_lifetime(request)),
                               retry_duration=2000, headers=_HEADERS)
