"""CORS ``*`` on the public routes only: the widget's and SDKs' calls from any origin work, while the secret-key
API, the admin and the ops routes answer no other origin (preflight or not)."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient

from tests.support import make_app
from waymark.settings import Settings

ORIGIN = {"origin": "https://host.example"}
PUBLIC = {"/api/v1/guides", "/api/v1/events", "/api/v1/policy-decisions", "/v1/batch", "/v1/track", "/v1/identify",
          "/v1/page", "/v1/screen", "/v1/group", "/v1/alias", "/widget.js", "/widget-feedback.js", "/widget/{file}"}


def _preflight(method: str, headers: str = "") -> dict[str, str]:
    asked = {"access-control-request-method": method, **ORIGIN}
    return {**asked, "access-control-request-headers": headers} if headers else asked


async def test_public_routes_answer_any_origin(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    pre = await client.options("/api/v1/events", headers=_preflight("POST", "content-type"))
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == "*"
    assert pre.headers["access-control-allow-methods"] == "GET, HEAD, POST"
    assert pre.headers["access-control-allow-headers"] == "content-type"
    assert pre.headers["access-control-max-age"] == "86400"
    guides = await client.get("/api/v1/guides", params={"key": app.public_key, "url": "https://host.example/a",
                                                       "visitor": "v1"}, headers=ORIGIN)
    assert guides.status_code == 200 and guides.headers["access-control-allow-origin"] == "*"
    assert "ETag" in guides.headers["access-control-expose-headers"]
    refused = await client.post("/api/v1/events?key=pk_nope", content=b"{}", headers=ORIGIN)
    assert refused.status_code in (401, 403) and refused.headers["access-control-allow-origin"] == "*"
    segment = await client.post("/v1/track", json={}, headers=ORIGIN)
    assert segment.headers["access-control-allow-origin"] == "*"
    assert (await client.get("/widget.js", headers=ORIGIN)).headers["access-control-allow-origin"] == "*"


async def test_private_routes_answer_no_other_origin(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    secret = {"authorization": f"Bearer {app.secret_key}", **ORIGIN}
    for path in ("/api/v1/pages", "/api/v1/settings", "/api/v1/guide-definitions", "/api/v1/events/export"):
        answer = await client.get(path, headers=secret)
        assert answer.status_code == 200, (path, answer.text)
        assert "access-control-allow-origin" not in answer.headers, path
        pre = await client.options(path, headers=_preflight("GET", "authorization"))
        assert "access-control-allow-origin" not in pre.headers, path
    for path in ("/admin/", "/admin/login", "/health", "/livez"):
        answer = await client.get(path, headers=ORIGIN)
        assert "access-control-allow-origin" not in answer.headers, path
        assert "access-control-allow-origin" not in (await client.options(path, headers=_preflight("POST"))).headers


async def test_every_route_is_public_only_if_meant_to_be(client: AsyncTestClient) -> None:
    """Each route of the router, preflighted: CORS for exactly the public list; a new route is private unless added."""
    opened = set()
    for route in client.app.routes:
        path = re.sub(r"\{(\w+)(?::\w+)?\}", "x", route.path)
        pre = await client.options(path, headers=_preflight("POST"))
        if pre.headers.get("access-control-allow-origin") == "*":
            opened.add(re.sub(r"\{(\w+)(?::\w+)?\}", r"{\1}", route.path))
    assert opened == PUBLIC
