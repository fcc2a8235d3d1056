"""Several worker processes: a push handled by one worker reaches the snapshots of all of them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import guide_yaml

GUIDE = guide_yaml("""
    id: news
    name: News
    steps:
      - type: lightbox
        title: "{title}"
""")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_push_reaches_every_worker(database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "WAYMARK_DATABASE_URL": database_url, "WAYMARK_SNAPSHOT_CHECK_SECONDS": "0.2"}
    created = subprocess.run(
        [sys.executable, "-m", "waymark.cli", "apps", "create", "multi", "--json"],
        env=env, capture_output=True, text=True, check=True,
    )
    app = json.loads(created.stdout)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "waymark.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
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
        params = {"key": app["public_key"], "visitor": "v", "url": "https://h/"}
        auth = {"Authorization": f"Bearer {app['secret_key']}"}

        def titles_seen(n: int) -> set[str]:
            # new connections each time, so that both workers answer
            return {
                g["steps"][0]["title"]
                for _ in range(n)
                for g in httpx.get(base + "/api/v1/guides", params=params, timeout=5).json()["guides"]
            }

        for title in ("first", "second"):
            pushed = httpx.post(base + "/api/v1/guide-definitions/push", headers=auth, timeout=10,
                                json={"files": [{"name": "news.yaml", "content": GUIDE.format(title=title)}]})
            assert pushed.status_code == 200, pushed.text
            time.sleep(0.5)  # longer than the staleness check interval
            assert titles_seen(20) == {title}
        rolled = httpx.post(base + "/api/v1/guide-definitions/news/rollback", headers=auth, timeout=10)
        assert rolled.status_code == 200
        time.sleep(0.5)
        assert titles_seen(20) == {"first"}
    finally:
        server.terminate()
        server.wait(10)
