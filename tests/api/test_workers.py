"""Several worker processes: a push handled by one worker reaches the snapshots of all of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from tests.support import eventually, guide_yaml
from waymark.testing import running_server

GUIDE = guide_yaml("""
    id: news
    name: News
    steps:
      - type: lightbox
        title: "{title}"
""")


@pytest.mark.long
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
        seen: list[set[str]] = []

        def every_worker_serves(title: str) -> bool:
            # New connections each time, so that both workers answer: a worker still serving the old
            # title shows up in one of twenty answers, unless it is never picked at all (one in a million).
            titles = {
                g["steps"][0]["title"]
                for _ in range(20)
                for g in httpx.get(base + "/api/v1/guides", params=params, timeout=5).json()["guides"]
            }
            seen.append(titles)
            return titles == {title}

        for title in ("first", "second"):
            pushed = httpx.post(base + "/api/v1/guide-definitions/push", headers=auth, timeout=10,
                                json={"files": [{"name": "news.yaml", "content": GUIDE.format(title=title)}]})
            assert pushed.status_code == 200, pushed.text
            assert eventually(lambda title=title: every_worker_serves(title)), seen[-1]
        rolled = httpx.post(base + "/api/v1/guide-definitions/news/rollback", headers=auth, timeout=10)
        assert rolled.status_code == 200
        assert eventually(lambda: every_worker_serves("first")), seen[-1]
