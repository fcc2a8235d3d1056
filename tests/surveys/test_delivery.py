"""Delivery of an NPS survey: a stable sample, and no new ask after an answer or, until the snooze, a dismissal."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.surveys.helpers import answer, seen, send
from tests.surveys.test_api import _nps_app
from waymark.settings import Settings


async def test_delivery_asks_a_stable_sample_and_waits_after_an_answer_or_a_dismissal(
    client: AsyncTestClient, settings: Settings
) -> None:
    public, _secret = await _nps_app(client, settings, sample=0.5)

    async def offered(visitor: str) -> list[tuple[str, bool]]:
        got = await client.get("/api/v1/guides", params={
            "key": public, "visitor": visitor, "url": "https://h.example/demo/invoices"})
        return [(g["id"], g["auto"]) for g in got.json()["guides"]]

    asked = [v for v in (f"v{i}" for i in range(40)) if await offered(v)]
    assert 8 <= len(asked) <= 32  # about half, the same on every call
    assert asked == [v for v in (f"v{i}" for i in range(40)) if await offered(v)]
    first, second = asked[0], asked[1]
    assert await offered(first) == [("nps", True)]
    step = (await client.get("/api/v1/guides", params={
        "key": public, "visitor": first, "url": "https://h.example/demo/invoices", "locale": "en"})).json()["guides"][0]
    assert step["steps"][0]["type"] == "nps" and step["steps"][0]["follow_up"]["detractor"] == "Why?"
    await send(client, public, seen(first, seconds=-5), answer("nps_response", first, score=9),
               answer("guide_completed", first))
    await send(client, public, seen(second, seconds=-5), answer("guide_dismissed", second, step=0))
    assert await offered(first) == [("nps", False)]  # answered: waits 90 days
    assert await offered(second) == [("nps", False)]  # dismissed: waits for the snooze, never scored
