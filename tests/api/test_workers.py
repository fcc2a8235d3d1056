"""Several worker processes: a push handled by one worker reaches the snapshots of all of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx

from tests.support import guide_yaml
from waymark.testing import running_server

GUIDE = guide_yaml("""
    id: news
    name: News
    steps:
      - type: lightbox
        title: "{title}"
""")


def test_push_reaches_every_worker(database_url: str) -> None:
    env = {**os.environ, "WAYMARK_DATABASE_URL": database_url, "WAYMARK_SNAPSHOT_CHECK_SECONDS": "0.2"}
    created = subprocess.run(
        [sys.executable, "-m", "waymark.cli", "apps", "create", "multi", "--json"],
        env=env, capture_output=True, text=True, check=True,
    )
    app = json.loads(created.stdout)
    with running_server(database_url, workers=2, WAYMARK_SNAPSHOT_CHECK_SECONDS="0.2") as base:
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
