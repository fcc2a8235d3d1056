"""The demo prints its keys at every start, and its named visitors can be reset (command line and page button)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from tests.support import at
from waymark.cli import main
from waymark.settings import Settings
from waymark_demo.seed import DEMO_PUBLIC_KEY, DEMO_SECRET_KEY, seed_demo

GUIDES = Path(__file__).resolve().parents[2] / "guides"


async def _track(client: AsyncTestClient, visitor: str) -> None:
    sent = await client.post(f"/api/v1/events?key={DEMO_PUBLIC_KEY}", json={"events": [
        {"id": uuid.uuid4().hex, "type": "track", "ts": at(), "visitor": visitor, "name": "Did something"}]})
    assert sent.status_code == 202 and sent.json()["accepted"] == 1, sent.text


async def _visitors_with_events(client: AsyncTestClient) -> set[str]:
    exported = await client.get("/api/v1/events/export", headers={"Authorization": f"Bearer {DEMO_SECRET_KEY}"})
    assert exported.status_code == 200, exported.text
    return {line.split('"visitor":"')[1].split('"')[0] for line in exported.text.splitlines()}


async def test_the_page_button_resets_the_named_visitors_only(
    demo_client: AsyncTestClient, settings: Settings
) -> None:
    summary = await seed_demo(settings, GUIDES)
    assert f"demo app secret key: {DEMO_SECRET_KEY}" in summary
    for visitor in ("pat", "nina", "someone-else"):
        await _track(demo_client, visitor)
    reset = await demo_client.post("/demo/reset-visitors", follow_redirects=False)
    assert reset.status_code == 303 and reset.headers["location"] == "/demo/invoices?reset=1"
    assert await _visitors_with_events(demo_client) == {"someone-else"}


def test_the_command_prints_both_keys_every_time_and_resets(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYMARK_DATABASE_URL", database_url)
    cli = CliRunner()
    for _ in range(2):  # the keys are printed on every start, not only the first
        seeded = cli.invoke(main, ["demo", "--no-serve", "--no-history", "--guides", str(GUIDES)])
        assert seeded.exit_code == 0, seeded.output
        assert f"demo app public key: {DEMO_PUBLIC_KEY}" in seeded.output
        assert f"demo app secret key: {DEMO_SECRET_KEY}" in seeded.output
    reset = cli.invoke(main, ["demo", "--no-serve", "--no-history", "--guides", str(GUIDES), "--reset-visitors"])
    assert reset.exit_code == 0, reset.output
    assert "named demo visitors reset: none had anything stored" in reset.output
