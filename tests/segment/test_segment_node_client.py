"""The real Segment Node client (@segment/analytics-node), default concurrent batching, against a running Waymark.

Its batches of one session arrive together, some in one group commit, some in the next: every
event must still carry the tenant of the user's group call, and so must the roll-ups.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.segment.test_segment_client import export
from tests.support import make_app
from waymark.settings import Settings
from waymark.testing import running_server

NODE_PACKAGE = Path(__file__).parent / "node"
TRACKS = 40
USERS = ("user-1", "user-2", "user-3")


def node() -> str:
    binary = shutil.which("node")
    assert binary, "Node is required (it builds the widget too)"
    assert (NODE_PACKAGE / "node_modules" / "@segment" / "analytics-node").is_dir(), (
        f"the Segment Node client is not installed: run `make segment-node` (npm ci in {NODE_PACKAGE})"
    )
    return binary


@pytest.mark.parametrize("workers", [1, 2], ids=["one-worker", "two-workers"])
async def test_node_client_sessions_carry_the_tenant_on_every_event(settings: Settings, workers: int) -> None:
    """With two workers, batches of one session are written by different processes at the same time."""
    binary = node()
    app = await make_app(settings)
    with running_server(settings.database_url, workers=workers) as base:
        # one process per user, all at once: their batches share group commits too
        senders = [
            subprocess.Popen([binary, "send.mjs", base, app.public_key, user, f"tenant-of-{user}", str(TRACKS)],
                             cwd=NODE_PACKAGE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for user in USERS
        ]
        for sender in senders:
            out, err = sender.communicate(timeout=60)
            assert sender.returncode == 0, out + err
            summary = json.loads(out)
            assert summary["failures"] == []
            assert summary["batches"] >= 3  # 42 messages, 15 a batch: several batches in flight

        events = export(base, app.secret_key)
        assert len(events) == len(USERS) * (TRACKS + 2)
        for user in USERS:
            own = [e for e in events if e["visitor"] == user]
            assert sorted(e["type"] for e in own).count("track") == TRACKS
            assert {e["type"] for e in own} == {"identify", "group", "track"}
            untenanted = [e for e in own if e.get("tenant") != f"tenant-of-{user}"]
            assert untenanted == [], f"{len(untenanted)} of {user}'s events lack the tenant"

            response = httpx.get(f"{base}/api/v1/reports/usage", params={"tenant": f"tenant-of-{user}"},
                                 headers={"Authorization": f"Bearer {app.secret_key}"}, timeout=10)
            assert response.status_code == 200, response.text
            usage = response.json()
            assert usage["events"] == [{"name": "Invoice Sent", "count": TRACKS, "visitors": 1}]
            assert [(v["visitor"], v["events"]) for v in usage["visitors"]] == [(user, TRACKS + 2)]
            assert sum(d["events"] for d in usage["days"]) == TRACKS + 2
