"""Hypothesis throws arbitrary JSON at the event endpoints, on both databases: a 2xx or a 4xx, never a 5xx.

The strategies reach the classes that once gave 500s on PostgreSQL only: control characters
(NUL above all) in every string, integers far past 64 bits, moments across the whole calendar
with extreme offsets, and nesting deeper than the decoder will follow.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from tests.support import make_app
from waymark.app import create_app
from waymark.settings import Settings

hostile_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ["a\u0000b", "\u0000", "\u0007", "\u001b[0m", "\u007f", "\ud7ff", "tab\there", "line\nbreak"]
)
moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),  # ± a day, so that any offset stays in range
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-14))]),
).map(lambda d: d.isoformat())
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | hostile_text | moments,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=12,
)
DEEP = "<deep>"
"""Replaced by nesting past the decoder's limit when the body is written (``json.dumps`` cannot write it)."""
deep_values = st.integers(20, 3000).map(lambda n: "[" * n + "]" * n)


def body(value: Any, deep: str) -> str:
    return json.dumps(value).replace(json.dumps(DEEP), deep)


TYPES = ["page", "click", "time", "track", "identify", "group", "alias", "guide_seen", "guide_step_advanced",
         "guide_snoozed", "nope", ""]
FIELDS = ["id", "ts", "visitor", "tenant", "url", "title", "referrer", "element", "ms", "name", "props", "traits",
          "previous", "guide", "guide_version", "step"]
event_like = st.fixed_dictionaries(
    {"type": st.sampled_from(TYPES)},
    optional={f: json_values | moments | st.just(DEEP) | st.just("v-1") for f in FIELDS},
)
SEGMENT_FIELDS = ["userId", "anonymousId", "messageId", "event", "properties", "traits", "groupId", "previousId",
                  "timestamp", "context", "name"]
segment_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["track", "identify", "page", "screen", "group", "alias", "x"])},
    optional={f: json_values | moments | st.just(DEEP) | st.just("u-1") for f in SEGMENT_FIELDS},
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[TestClient[Any], str]]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_migrated")
    app = create_app(Settings(database_url=url, snapshot_check_seconds=0.0, rate_limit_per_minute=0))
    new = asyncio.run(make_app(Settings(database_url=url)))
    with TestClient(app=app) as client:
        yield client, new.public_key


def _check(response: Any) -> None:
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(event_like | json_values, max_size=6), sent_at=json_values | moments, deep=deep_values)
def test_widget_endpoint_never_fails(
    fuzz_client: tuple[TestClient[Any], str], events: list[Any], sent_at: Any, deep: str
) -> None:
    client, key = fuzz_client
    _check(client.post(f"/api/v1/events?key={key}", content=body({"events": events, "sent_at": sent_at}, deep)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values | st.just(DEEP), deep=deep_values)
def test_widget_endpoint_survives_any_body(fuzz_client: tuple[TestClient[Any], str], value: Any, deep: str) -> None:
    client, key = fuzz_client
    _check(client.post(f"/api/v1/events?key={key}", content=body(value, deep)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(segment_like | json_values, max_size=6), extra=json_values | moments, deep=deep_values)
def test_segment_batch_never_fails(
    fuzz_client: tuple[TestClient[Any], str], messages: list[Any], extra: Any, deep: str
) -> None:
    client, key = fuzz_client
    _check(client.post("/v1/batch", content=body({"batch": messages, "sentAt": extra}, deep), auth=(key, "")))
