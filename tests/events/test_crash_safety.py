"""A server killed with SIGKILL under load keeps every event it acknowledged."""

from __future__ import annotations

import signal
import threading
import uuid

import httpx
from sqlalchemy import select

from tests.support import at, make_app
from waymark.db.engine import create_engine
from waymark.db.models import Event
from waymark.settings import Settings
from waymark.testing import start_server


async def _stored_ids(settings: Settings, app_id: str) -> set[str]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return set((await conn.scalars(select(Event.event_id).where(Event.app_id == app_id))).all())
    finally:
        await engine.dispose()


async def test_sigkill_under_load_loses_no_acknowledged_event(settings: Settings) -> None:
    app = await make_app(settings)
    server, base = start_server(settings.database_url, WAYMARK_RATE_LIMIT_PER_MINUTE="0")
    acknowledged: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()
    enough = threading.Event()  # 1000 events acknowledged: the kill comes under load

    def sender() -> None:
        with httpx.Client(timeout=5) as client:
            while not stop.is_set():
                ids = [f"{uuid.uuid4().hex}" for _ in range(25)]
                batch = {"events": [{"id": i, "type": "track", "name": "Load", "ts": at(0), "visitor": f"v{n % 5}"}
                                    for n, i in enumerate(ids)]}
                try:
                    answer = client.post(f"{base}/api/v1/events?key={app.public_key}", json=batch)
                except httpx.HTTPError:
                    continue  # not acknowledged: no promise was made
                if answer.status_code == 202:
                    with lock:
                        acknowledged.update(ids)
                        if len(acknowledged) >= 1000:
                            enough.set()

    try:
        threads = [threading.Thread(target=sender) for _ in range(4)]
        for t in threads:
            t.start()
        enough.wait(30)
        server.send_signal(signal.SIGKILL)  # mid-flight: some requests are being written right now
        server.wait(10)
        stop.set()
        for t in threads:
            t.join(10)
    finally:
        if server.poll() is None:
            server.kill()
    assert len(acknowledged) >= 1000
    stored = await _stored_ids(settings, app.id)
    assert acknowledged <= stored, f"{len(acknowledged - stored)} acknowledged events were lost"
