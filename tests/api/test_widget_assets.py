"""Serving the widget bundle: current at /widget.js, immutable at its hashed URL, gzipped when asked."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from waymark.app import create_app
from waymark.settings import Settings

BUNDLE = b"(()=>{window.waymark_test=1})();\n" * 50


@pytest.fixture
async def widget_client(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[
    AsyncTestClient
]:
    bundle = tmp_path / "waymark.js"
    bundle.write_bytes(BUNDLE)
    monkeypatch.setenv("WAYMARK_WIDGET_PATH", str(bundle))
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


async def test_current_widget_with_etag(widget_client: AsyncTestClient) -> None:
    response = await widget_client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.content == BUNDLE
    assert response.headers["content-type"].startswith("application/javascript")
    assert "immutable" not in response.headers["cache-control"]
    again = await widget_client.get("/widget.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


async def test_hashed_url_is_immutable_and_gzipped(widget_client: AsyncTestClient) -> None:
    digest = hashlib.sha256(BUNDLE).hexdigest()[:12]
    response = await widget_client.get(f"/widget/waymark.{digest}.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == BUNDLE  # decompressed by the client
    assert "immutable" in response.headers["cache-control"]
    assert int(response.headers["content-length"]) < len(BUNDLE) / 4
    stale = await widget_client.get("/widget/waymark.000000000000.js")
    assert stale.status_code == 404
    assert f"waymark.{digest}.js" in stale.json()["detail"]


async def test_head_answers_like_get_without_a_body(widget_client: AsyncTestClient) -> None:
    got = await widget_client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    head = await widget_client.head("/widget.js", headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200, head.text
    assert head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-length"] == str(len(BUNDLE))
    digest = hashlib.sha256(BUNDLE).hexdigest()[:12]
    assert (await widget_client.head(f"/widget/waymark.{digest}.js")).status_code == 200


async def test_the_feedback_chunk_is_served_beside_the_core(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunk = b"(()=>{window.waymark._fb={}})();\n"
    (tmp_path / "waymark.js").write_bytes(BUNDLE)
    (tmp_path / "waymark-feedback.js").write_bytes(chunk)
    monkeypatch.setenv("WAYMARK_WIDGET_PATH", str(tmp_path / "waymark.js"))
    async with AsyncTestClient(app=create_app(settings)) as client:
        digest = hashlib.sha256(chunk).hexdigest()[:12]
        hashed = await client.get(f"/widget/waymark-feedback.{digest}.js")
        assert (hashed.status_code, hashed.content) == (200, chunk)
        assert "immutable" in hashed.headers["cache-control"]
        current = await client.get("/widget-feedback.js")
        assert (current.status_code, current.content) == (200, chunk)
        assert (await client.head("/widget-feedback.js")).status_code == 200
        assert (await client.get("/widget/waymark-feedback.000000000000.js")).status_code == 404


async def test_no_chunk_built_is_a_404(widget_client: AsyncTestClient) -> None:
    assert (await widget_client.get("/widget-feedback.js")).status_code == 404
