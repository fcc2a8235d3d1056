"""The live view: the latest events at once, then new ones by server-sent events, filtered; any worker serves it."""

from __future__ import annotations

import asyncio
import html
import json
import queue
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import insert

from tests.access.helpers import PASSWORD, add_person, owner, sign_in
from tests.admin.test_shell import check_page
from tests.support import at, make_app
from waymark.access.principal import Grant, Role
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import Event
from waymark.events.live import LiveFilter, LiveReader
from waymark.settings import Settings
from waymark.testing import running_server

_STREAM = re.compile(r'data-live-stream="([^"]+)"')


def _event(kind: str, visitor: str, tenant: str = "acme", **fields: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "type": kind, "ts": at(0), "visitor": visitor, "tenant": tenant,
            "url": "https://app.example.com/invoices", **fields}


async def _send(client: AsyncTestClient | httpx.AsyncClient, key: str, *events: dict[str, Any]) -> None:
    response = await client.post(f"/api/v1/events?key={key}", json={"events": list(events)})
    assert response.status_code == 202, response.text


class _Stream:
    """An SSE response read straight from the ASGI app, chunk by chunk, as a browser would.

    The app runs in the test client's portal (its own thread and event loop, where its database
    connections live): messages cross back through a thread-safe queue.
    """

    def __init__(self) -> None:
        self.messages: queue.Queue[dict[str, str]] = queue.Queue()
        self.gone = asyncio.Event()
        self.status: int | None = None
        self.buffer = ""
        self.asked = False

    async def receive(self) -> dict[str, Any]:
        if not self.asked:
            self.asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self.buffer += message.get("body", b"").decode()
            while "\r\n\r\n" in self.buffer:
                block, self.buffer = self.buffer.split("\r\n\r\n", 1)
                fields: dict[str, str] = {}
                for line in block.split("\r\n"):
                    name, _, value = line.partition(": ")
                    fields[name] = value
                self.messages.put(fields)

    async def next_event(self, deadline: float) -> dict[str, str]:
        """The next message carrying an event (comments and the retry line skipped), within the deadline."""
        while True:
            fields = await asyncio.to_thread(self.messages.get, True, max(deadline - time.monotonic(), 0.01))
            if fields.get("event") == "stored":
                return fields


@asynccontextmanager
async def _open(client: AsyncTestClient, url: str) -> AsyncIterator[_Stream]:
    path, _, query = url.partition("?")
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"testserver.local"), (b"cookie", cookie.encode())],
             "client": ("127.0.0.1", 50000), "server": ("testserver.local", 80), "state": {}}
    stream = _Stream()
    portal = client.blocking_portal
    running = portal.start_task_soon(client.app, scope, stream.receive, stream.send)  # type: ignore[arg-type]
    try:
        yield stream
    finally:
        portal.call(stream.gone.set)
        # The viewer went away: the response ends, nothing is left running.
        await asyncio.to_thread(running.result, 10)


async def test_the_page_lists_the_latest_and_the_stream_adds_new_events_filtered(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    await _send(client, app.public_key, _event("page", "old-visitor"))
    await add_person(settings, "owner@example.test", owner(app.id))
    assert (await sign_in(client, "owner@example.test")).status_code == 303
    page = await client.get(f"/admin/apps/{app.id}/live", params={"type": "track", "visitor": "ana"})
    assert page.status_code == 200, page.text
    check_page(page)
    assert "old-visitor" not in page.text  # the filters hold for the list too
    everything = await client.get(f"/admin/apps/{app.id}/live")
    assert "old-visitor" in everything.text and (await client.get(
        f"/admin/apps/{app.id}/live?format=json")).json()["events"][0]["visitor"] == "old-visitor"
    found = _STREAM.search(page.text)
    assert found
    async with _open(client, html.unescape(found.group(1))) as stream:
        deadline = time.monotonic() + 15
        # what the filters leave out is stored first; then the one event they let through
        await _send(client, app.public_key, _event("page", "ana"), _event("track", "bob", name="Export"))
        await _send(client, app.public_key, _event("track", "ana", name="Export"))
        message = await stream.next_event(deadline)
        assert stream.status == 200
        event = json.loads(message["data"])
        assert (event["type"], event["visitor"], event["name"], event["tenant"]) == ("track", "ana", "Export", "acme")
        assert int(message["id"]) == event["id"]
        # and the next one after it, from a later batch
        await _send(client, app.public_key, _event("track", "ana", name="Send"))
        assert json.loads((await stream.next_event(deadline))["data"])["name"] == "Send"
        assert all(m.get("event") != "stored" for m in list(stream.messages.queue))


async def test_a_reconnect_goes_on_from_the_last_event_id_and_bad_filters_are_refused(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    await add_person(settings, "owner@example.test", owner(app.id))
    assert (await sign_in(client, "owner@example.test")).status_code == 303
    await _send(client, app.public_key, _event("track", "ana", name="first"), _event("track", "ana", name="second"))
    listed = (await client.get(f"/admin/apps/{app.id}/live?format=json")).json()
    first_id = listed["events"][0]["id"]
    async with _open(client, f"/admin/apps/{app.id}/live/stream?after={first_id}") as stream:
        event = json.loads((await stream.next_event(time.monotonic() + 15))["data"])
        assert event["name"] == "second"
    # any well-formed type filters (policy decisions are events too); one nobody sent lists nothing
    assert (await client.get(f"/admin/apps/{app.id}/live?type=policy_decision&format=json")).json()["events"] == []
    assert 'value="policy_decision"' in (await client.get(f"/admin/apps/{app.id}/live")).text
    # seconds=0: one look, what is there since `after`, then the end (a plain client can read it whole)
    caught_up = await client.get(f"/admin/apps/{app.id}/live/stream", params={"after": first_id, "seconds": 0})
    assert caught_up.headers["content-type"].startswith("text/event-stream")
    sent = [json.loads(line[6:]) for line in caught_up.text.splitlines() if line.startswith("data: ")]
    assert [e["name"] for e in sent] == ["second"]
    for query in ("type=Not%20a%20type", "visitor=" + "v" * 201, "after=-1", "seconds=301", "seconds=x"):
        for path in ("live", "live/stream"):
            if path == "live" and query.startswith(("after", "seconds")):
                continue
            response = await client.get(f"/admin/apps/{app.id}/{path}?{query}")
            assert response.status_code == 400 and response.json()["detail"], (path, query)


async def test_a_tenant_admin_gets_404(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await add_person(settings, "admin@acme.test", [Grant(app.id, Role.TENANT_ADMIN, "acme")])
    assert (await sign_in(client, "admin@acme.test")).status_code == 303
    for path in ("live", "live?format=json", "live?format=csv", "live/stream"):
        assert (await client.get(f"/admin/apps/{app.id}/{path}")).status_code == 404


async def test_an_event_committed_late_with_a_smaller_id_is_still_sent(settings: Settings) -> None:
    app = await make_app(settings)
    engine = create_engine(settings.database_url)
    now = datetime.now(UTC)

    def row(number: int) -> dict[str, Any]:
        return {"id": number, "app_id": app.id, "event_id": f"e{number}", "type": "page", "visitor_id": "v",
                "ts": now, "received_at": now, "props": {}}

    try:
        async with make_sessionmaker(engine)() as session:
            await session.execute(insert(Event), [row(100)])
            await session.commit()
            reader = LiveReader(app.id, LiveFilter(), after=99)
            assert [e.id for e in await reader.poll(session)] == [100]
            await session.execute(insert(Event), [row(101), row(97)])  # 97: drawn earlier, committed after 100
            await session.commit()
            assert [e.id for e in await reader.poll(session)] == [97, 101]
            assert await reader.poll(session) == []
    finally:
        await engine.dispose()


@pytest.mark.long
def test_any_worker_streams_what_another_stored(database_url: str, settings: Settings) -> None:
    app = asyncio.run(make_app(settings))
    asyncio.run(add_person(settings, "owner@example.test", owner(app.id)))
    with running_server(database_url, workers=2) as base, httpx.Client(base_url=base, timeout=10) as http:
        login = http.get("/admin/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', login.text)
        assert token
        signed = http.post("/admin/login", data={"email": "owner@example.test", "password": PASSWORD,
                                                 "next": "/admin/", "_csrf_token": token.group(1)})
        assert signed.status_code in (200, 303), signed.text
        listed = http.get(f"/admin/apps/{app.id}/live", params={"visitor": "ana"})
        found = _STREAM.search(listed.text)
        assert listed.status_code == 200 and found, listed.text[:300]
        with http.stream("GET", html.unescape(found.group(1)), timeout=httpx.Timeout(10, read=15)) as stream:
            assert stream.status_code == 200
            # new connections for the posts: either worker takes them
            for n in range(4):
                posted = httpx.post(f"{base}/api/v1/events?key={app.public_key}", timeout=10,
                                    json={"events": [_event("track", "ana", name=f"n{n}")]})
                assert posted.status_code == 202
            names = []
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    names.append(json.loads(line[6:])["name"])
                    if len(names) == 4:
                        break
            assert names == ["n0", "n1", "n2", "n3"]
