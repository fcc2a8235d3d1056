"""The real segment-analytics-python client, pointed at a running Waymark, read back from the raw export."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest
from segment.analytics.client import Client

from tests.support import make_app
from waymark.settings import Settings
from waymark.testing import running_server


def export(base: str, secret: str, **filters: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{base}/api/v1/events/export", params=filters,
                         headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


@pytest.mark.parametrize("use_gzip", [False, True], ids=["plain", "gzip"])
async def test_segment_sdk_round_trip(settings: Settings, use_gzip: bool) -> None:
    app = await make_app(settings)
    with running_server(settings.database_url) as base:
        client = Client(app.public_key, host=base, gzip=use_gzip, sync_mode=True, max_retries=1)
        client.identify("anon-7", {"plan": "trial"}, anonymous_id="anon-7")
        client.group("user-1", "acme", {"plan": "pro", "industry": "retail"})
        client.identify("user-1", {"email": "u1@example.com", "role": "admin"}, anonymous_id="anon-7")
        client.track("user-1", "Invoice Sent", {"amount": 120, "currency": "EUR"})
        client.page("user-1", category=None, name="Invoices", properties={"url": "https://app.example/invoices"})
        client.alias("anon-9", "user-1")
        client.flush()
        client.track(anonymous_id="anon-7", event="Before login")  # resolved to user-1 through the alias
        client.flush()

        events = export(base, app.secret_key)
        by_type: dict[str, list[dict[str, Any]]] = {}
        for e in events:
            by_type.setdefault(e["type"], []).append(e)
        assert {e["visitor"] for e in events} == {"user-1"}  # anon-7's events were merged into user-1
        (track_sent,) = [e for e in by_type["track"] if e["name"] == "Invoice Sent"]
        assert track_sent["props"] == {"amount": 120, "currency": "EUR"}
        assert track_sent["tenant"] == "acme"  # learnt from the group call
        (before,) = [e for e in by_type["track"] if e["name"] == "Before login"]
        assert before["visitor"] == "user-1"
        (page,) = by_type["page"]
        assert page["props"]["title"] == "Invoices"
        assert page["url"] == "https://app.example/invoices"
        assert {e["props"]["previous"] for e in by_type["alias"]} == {"anon-7", "anon-9"}
        (group,) = by_type["group"]
        assert group["tenant"] == "acme" and group["props"]["traits"] == {"plan": "pro", "industry": "retail"}
        assert all(e["ts"].endswith("Z") or "+00:00" in e["ts"] for e in events)

        # the client's own retries and our resends are stored once
        client.track("user-1", "Invoice Sent", {"amount": 1}, message_id=track_sent["id"])
        client.flush()
        assert len(export(base, app.secret_key, type="track")) == 2

        # filters
        assert {e["type"] for e in export(base, app.secret_key, type="identify")} == {"identify"}
        assert export(base, app.secret_key, visitor="nobody") == []
        assert {e["tenant"] for e in export(base, app.secret_key, tenant="acme")} == {"acme"}


async def test_segment_http_api_errors(settings: Settings) -> None:
    app = await make_app(settings)
    with running_server(settings.database_url) as base:
        def post(path: str, body: Any, **headers: str) -> httpx.Response:
            return httpx.post(base + path, content=json.dumps(body), timeout=10,
                              headers={"Content-Type": "application/json", **headers})

        basic = httpx.BasicAuth(app.public_key, "")
        missing = post("/v1/track", {"userId": "u", "event": "x"})
        assert missing.status_code == 401
        wrong = httpx.post(base + "/v1/track", json={"userId": "u", "event": "x"}, auth=("pk_nope", ""), timeout=10)
        assert wrong.status_code == 403
        # explicit nulls and +00:00 timestamps, as the Python SDK sends them
        ok = httpx.post(base + "/v1/track", auth=basic, timeout=10, json={
            "userId": None, "anonymousId": "a-1", "event": "Signed Up", "properties": {},
            "timestamp": "2026-11-22T10:00:00.123456+00:00", "messageId": "m-1",
        })
        assert ok.status_code == 200, ok.text
        assert ok.json()["accepted"] == 1
        batch = httpx.post(base + "/v1/batch", auth=basic, timeout=10, json={"batch": [
            {"type": "track", "userId": "u", "event": "Good", "messageId": "m-2"},
            {"type": "track", "event": "No one", "messageId": "m-3"},
            {"type": "launch", "userId": "u", "messageId": "m-4"},
            {"type": "group", "userId": "u", "messageId": "m-5"},
        ], "writeKey": app.public_key})
        body = batch.json()
        assert batch.status_code == 200
        assert body["accepted"] == 1
        assert {r["index"]: r["reason"] for r in body["rejected"]} == {
            1: "userId or anonymousId is required",
            2: "unknown message type 'launch' (use one of: alias, group, identify, page, screen, track)",
            3: "groupId is required for a group call",
        }
        body_key = post("/v1/batch", {"batch": [{"type": "track", "userId": "u", "event": "k", "messageId": "m-6"}],
                                      "writeKey": app.public_key})
        assert body_key.json()["accepted"] == 1
        bomb = gzip.compress(b'{"batch": [' + b" " * 2_000_000 + b"]}")
        too_big = httpx.post(base + "/v1/batch", content=bomb, auth=basic, timeout=10,
                             headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
        assert too_big.status_code == 413
        not_json = httpx.post(base + "/v1/batch", content=b"{nope", auth=basic, timeout=10)
        assert not_json.status_code == 400
        no_secret = httpx.get(base + "/api/v1/events/export", headers={"Authorization": f"Bearer {app.public_key}"})
        assert no_secret.status_code == 403
