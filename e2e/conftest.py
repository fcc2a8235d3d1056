"""End-to-end fixtures: a real Waymark server process on a free port, and Debian's Chromium."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from waymark.testing import start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("WAYMARK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class Server:
    """A ``waymark demo`` server (the product with the demo's host pages) seeded first, on its own SQLite file."""

    def __init__(self, tmp: Path) -> None:
        self.db_path = tmp / "e2e.db"
        env = {"WAYMARK_DATABASE_URL": f"sqlite+aiosqlite:///{self.db_path}", "WAYMARK_SNAPSHOT_CHECK_SECONDS": "0"}
        seeded = subprocess.run(
            [sys.executable, "-m", "waymark.cli", "demo", "--no-serve", "--guides", str(ROOT / "guides")],
            env={**os.environ, **env}, cwd=ROOT, capture_output=True, text=True, check=False,
        )
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        self.secret_key = next(
            line.rsplit(" ", 1)[1] for line in seeded.stdout.splitlines() if "secret key" in line
        )
        self.log = (tmp / "server.log").open("w")
        self.process, self.url = start_server(env.pop("WAYMARK_DATABASE_URL"), log=self.log,
                                              command=("demo", "--no-seed"), **env)

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
        stop_server(self.process)
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
