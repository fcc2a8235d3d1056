"""Hypothesis throws arbitrary JSON at the event endpoints: every answer is a 2xx or a 4xx, never a 5xx."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from waymark.app import create_app
from waymark.settings import Settings

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
TYPES = ["page", "click", "time", "track", "identify", "group", "alias", "guide_seen", "guide_step_advanced",
         "guide_snoozed", "nope", ""]
FIELDS = ["id", "ts", "visitor", "tenant", "url", "title", "referrer", "element", "ms", "name", "props", "traits",
          "previous", "guide", "guide_version", "step"]
event_like = st.fixed_dictionaries(
    {"type": st.sampled_from(TYPES)},
    optional={f: json_values | st.just("2026-11-22T10:00:00Z") | st.just("v-1") for f in FIELDS},
)
segment_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["track", "identify", "page", "screen", "group", "alias", "x"])},
    optional={f: json_values | st.just("u-1") for f in ["userId", "anonymousId", "messageId", "event",
                                                         "properties", "traits", "groupId", "previousId",
                                                         "timestamp", "context", "name"]},
)


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[tuple[TestClient, str]]:
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    app = create_app(Settings(database_url=url, snapshot_check_seconds=0.0, rate_limit_per_minute=0))
    with TestClient(app=app) as client:
        import asyncio

        from tests.support import make_app

        new = asyncio.run(make_app(Settings(database_url=url)))
        yield client, new.public_key


def _check(response: Any) -> None:
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(event_like | json_values, max_size=6), sent_at=json_values)
def test_widget_endpoint_never_fails(fuzz_client: tuple[TestClient, str], events: list[Any], sent_at: Any) -> None:
    client, key = fuzz_client
    _check(client.post(f"/api/v1/events?key={key}", content=json.dumps({"events": events, "sent_at": sent_at})))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_values)
def test_widget_endpoint_survives_any_body(fuzz_client: tuple[TestClient, str], body: Any) -> None:
    client, key = fuzz_client
    _check(client.post(f"/api/v1/events?key={key}", content=json.dumps(body)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(segment_like | json_values, max_size=6), extra=json_values)
def test_segment_batch_never_fails(fuzz_client: tuple[TestClient, str], messages: list[Any], extra: Any) -> None:
    client, key = fuzz_client
    _check(client.post("/v1/batch", content=json.dumps({"batch": messages, "sentAt": extra}), auth=(key, "")))
