"""``/demo/`` exists only on the demo's server: a plain ``waymark serve`` answers 404 there."""

from __future__ import annotations

import httpx
from litestar.testing import AsyncTestClient

from waymark.testing import running_server, start_server, stop_server


async def test_a_plain_server_has_no_demo_pages(client: AsyncTestClient) -> None:
    for path in ("/demo/", "/demo/invoices", "/demo/static/demo.js"):
        assert (await client.get(path, follow_redirects=False)).status_code == 404, path
    assert (await client.get("/livez")).status_code == 200


async def test_the_demo_server_serves_the_host_pages_and_the_product(demo_client: AsyncTestClient) -> None:
    page = await demo_client.get("/demo/invoices")
    assert page.status_code == 200 and "Ledgerly" in page.text
    assert (await demo_client.get("/demo/static/demo.js")).status_code == 200
    assert (await demo_client.get("/livez")).status_code == 200


def test_waymark_serve_has_no_demo_and_waymark_demo_serves_it(database_url: str) -> None:
    """The real commands, as processes: ``serve`` runs the product only; ``demo`` mounts the host app beside it."""
    with running_server(database_url) as base:
        assert httpx.get(base + "/demo/invoices", timeout=10).status_code == 404
        assert httpx.get(base + "/livez", timeout=10).status_code == 200
    process, base = start_server(database_url, command=("demo", "--no-seed"))
    try:
        assert httpx.get(base + "/demo/invoices", timeout=10).status_code == 200
    finally:
        stop_server(process)
