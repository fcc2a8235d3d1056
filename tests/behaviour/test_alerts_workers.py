"""One worker of two evaluates: each worker has its own engine on the same database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json

from litestar.testing import AsyncTestClient

from tests.analytics.summary_helpers import ago, on, send
from tests.behaviour.alerts_helpers import firings_of, make_rule, morning
from tests.support import make_app
from tests.webhooks.helpers import endpoint, own_sessionmaker
from tests.webhooks.receiver import Receiver
from waymark.alerts.evaluate import LOCK_NAME, evaluate, evaluate_all
from waymark.alerts.exclusive import only_one_worker
from waymark.alerts.job import PeriodicAlerts
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.settings import Settings


async def test_one_of_two_workers_evaluates_and_the_rule_fires_once(client: AsyncTestClient,
                                                                    settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, on("page", "only", "acme", 1))
    await make_rule(client, app.secret_key, name="Quiet", metric="active_visitors", period="day",
                    condition="below", value=3)
    engines = [create_engine(settings.database_url) for _ in range(2)]
    first, second = (make_sessionmaker(e) for e in engines)
    try:
        async with only_one_worker(first, LOCK_NAME) as held:
            assert held
            # while the first worker holds the evaluation, the second skips it
            skipped = await evaluate(second, morning(ago(0)))
            assert not skipped.ran and skipped.fired == []
            async with only_one_worker(second, LOCK_NAME) as also:
                assert not also
            rules, fired = await evaluate_all(first, morning(ago(0)))
            assert rules == 1 and len(fired) == 1
        # released: the other worker may evaluate now, and finds the breach already fired
        later = await evaluate(second, morning(ago(0)))
        assert later.ran and later.fired == []
        # both at once, on a new breach: one firing whichever worker wins
        await make_rule(client, app.secret_key, name="Quiet too", metric="active_visitors", period="day",
                        condition="below", value=2)
        raced = await asyncio.gather(evaluate(first, morning(ago(0))), evaluate(second, morning(ago(0))))
        assert any(r.ran for r in raced)
        assert sum(len(r.fired) for r in raced) == 1
    finally:
        for engine in engines:
            await engine.dispose()
    assert [f.value for f in await firings_of(settings, app.id)] == [1.0, 1.0]


async def test_the_periodic_job_evaluates_then_posts_the_webhook(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, on("page", "only", "acme", 1))  # yesterday: 1 visitor
    await make_rule(client, app.secret_key, name="Quiet", metric="active_visitors", period="day",
                    condition="below", value=3)
    async with own_sessionmaker(settings) as sessionmaker, Receiver.answering() as receiver:
        await endpoint(sessionmaker, app.id, receiver.url)
        job = PeriodicAlerts(sessionmaker, 60)
        try:
            await job.run_once()  # what each worker does every WAYMARK_ALERTS_INTERVAL_SECONDS
            await job.run_once()  # the breach goes on: nothing new to post
        finally:
            await job.stop()
    [got] = receiver.received
    body = json.loads(got.body)
    assert got.headers["waymark-event"] == "alert.fired"
    assert (body["data"]["rule"]["name"], body["data"]["value"], body["data"]["period"]["start"]) == (
        "Quiet", 1.0, ago(1).isoformat())
    off = PeriodicAlerts(sessionmaker, 0)
    await off.start()
    assert off.task is None  # 0 turns the job off: start() makes no task
