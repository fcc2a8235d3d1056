"""End-to-end fixtures: a real Waymark server process on a free port, and Debian's Chromium."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("WAYMARK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A ``waymark serve`` process with the demo app seeded, on its own SQLite file."""

    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = tmp / "e2e.db"
        self.env = {**os.environ, "WAYMARK_DATABASE_URL": f"sqlite+aiosqlite:///{self.db_path}",
                    "WAYMARK_SNAPSHOT_CHECK_SECONDS": "0"}
        self.log = (tmp / "server.log").open("w")
        seeded = subprocess.run(
            [sys.executable, "-m", "waymark.cli", "demo", "--no-serve", "--guides", str(ROOT / "guides")],
            env=self.env, cwd=ROOT, capture_output=True, text=True, check=False,
        )
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        self.secret_key = next(
            line.rsplit(" ", 1)[1] for line in seeded.stdout.splitlines() if "secret key" in line
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "waymark.cli", "serve", "--port", str(self.port), "--no-migrate"],
            env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"waymark serve did not start; see {self.log.name}")

    def events(self, visitor: str) -> list[dict[str, Any]]:
        """Every stored event of a visitor, read straight from the server's SQLite file."""
        with sqlite3.connect(self.db_path) as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute(
                "SELECT event_id, type, visitor_id, tenant_id, guide_id, guide_version, step, url, props"
                " FROM events WHERE visitor_id = ? ORDER BY ts, id",
                (visitor,),
            ).fetchall()
        return [{**dict(r), "props": json.loads(r["props"])} for r in rows]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("e2e"))
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium is required for e2e tests and is missing at {CHROMIUM}: run `make chromium`")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
