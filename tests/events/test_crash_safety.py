"""A server killed with SIGKILL under load keeps every event it acknowledged."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import select

from tests.support import at, make_app
from waymark.db.engine import create_engine
from waymark.db.models import Event
from waymark.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _stored_ids(settings: Settings, app_id: str) -> set[str]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return set((await conn.scalars(select(Event.event_id).where(Event.app_id == app_id))).all())
    finally:
        await engine.dispose()


async def test_sigkill_under_load_loses_no_acknowledged_event(settings: Settings, tmp_path: Path) -> None:
    app = await make_app(settings)
    port = _free_port()
    env = {**os.environ, "WAYMARK_DATABASE_URL": settings.database_url, "WAYMARK_RATE_LIMIT_PER_MINUTE": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "waymark.cli", "serve", "--port", str(port), "--no-migrate"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    acknowledged: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

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

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/livez", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        threads = [threading.Thread(target=sender) for _ in range(4)]
        for t in threads:
            t.start()
        while len(acknowledged) < 1000 and time.monotonic() < deadline:
            time.sleep(0.05)
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
