"""A tenant's milestone flag changing reaches the app's webhook: signed, once per change, with what changed."""

from __future__ import annotations

import json

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.analytics.summary_helpers import ago, define, on, send
from tests.behaviour.milestone_helpers import day_start, evaluate, pending, put_milestone
from tests.support import make_app
from tests.webhooks.helpers import endpoint, readme_verify
from tests.webhooks.receiver import Receiver
from waymark.settings import Settings
from waymark.webhooks.sender import WebhookSender


async def test_a_flag_change_is_posted_once_to_the_apps_webhook(
        client: AsyncTestClient, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    app = await make_app(settings)
    await define(client, app.secret_key)
    await send(client, app.public_key, on("click", "a1", "acme", 3), on("click", "a2", "acme", 2),
               on("click", "b1", "beta", 2))
    async with Receiver.answering() as receiver:
        secret = await endpoint(sessionmaker, app.id, receiver.url)
        assert secret is not None
        saved = await put_milestone(client, app.secret_key, "exporters", kind="visitors_did", name="Two exporters",
                                    ref="feature:export", at_least=2, within_days=7)
        assert saved["flagged"] == 1
        assert await pending(settings, app.id) == []  # handed to the outbox with the change itself
        assert await evaluate(settings) == {app.id: 0}  # nothing changed: nothing more to post
        sender = WebhookSender(sessionmaker)
        try:
            assert await sender.send_due() == 1
            assert await sender.send_due() == 0
        finally:
            await sender.close()
    [got] = receiver.received
    assert readme_verify()(secret, got.headers["waymark-signature"], got.body)
    body = json.loads(got.body)
    assert body["event"] == got.headers["waymark-event"] == "tenant.milestone_changed"
    data = body["data"]
    assert (data["tenant"], data["milestone"], data["change"]) == ("acme", "exporters", "became_true")
    assert data["at"].replace("+00:00", "Z") == day_start(ago(2))
