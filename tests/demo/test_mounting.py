"""``/demo/`` exists only on the demo's server: a plain ``waymark serve`` answers 404 there."""

from __future__ import annotations

from litestar.testing import AsyncTestClient


async def test_a_plain_server_has_no_demo_pages(client: AsyncTestClient) -> None:
    for path in ("/demo/", "/demo/invoices", "/demo/static/demo.js"):
        assert (await client.get(path, follow_redirects=False)).status_code == 404, path
    assert (await client.get("/livez")).status_code == 200


async def test_the_demo_server_serves_the_host_pages_and_the_product(demo_client: AsyncTestClient) -> None:
    page = await demo_client.get("/demo/invoices")
    assert page.status_code == 200 and "Ledgerly" in page.text
    assert (await demo_client.get("/demo/static/demo.js")).status_code == 200
    assert (await demo_client.get("/livez")).status_code == 200
