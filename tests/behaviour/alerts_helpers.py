"""What the alert tests share: a rule made through the API, an evaluation at a chosen moment, what was stored."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.webhooks.helpers import own_sessionmaker
from waymark.alerts.evaluate import Evaluation, evaluate
from waymark.alerts.models import AlertFiring
from waymark.db.scope import app_session
from waymark.settings import Settings
from waymark.webhooks.models import WebhookMessage

__all__ = ["evaluate_on", "firings_of", "make_rule", "messages_of", "morning"]


def morning(day: date) -> datetime:
    """01:00 UTC of ``day``: an evaluation then judges the day before."""
    return datetime.combine(day, time(1), tzinfo=UTC)


async def make_rule(client: AsyncTestClient, secret_key: str, **rule: Any) -> int:
    answer = await client.post("/api/v1/alerts", json=rule, headers={"Authorization": f"Bearer {secret_key}"})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


async def evaluate_on(settings: Settings, day: date) -> Evaluation:
    """An evaluation by a worker of its own (its own engine), on the morning of ``day``."""
    async with own_sessionmaker(settings) as sessionmaker:
        return await evaluate(sessionmaker, morning(day))


async def firings_of(settings: Settings, app_id: str) -> list[AlertFiring]:
    async with own_sessionmaker(settings) as sessionmaker, app_session(sessionmaker, app_id) as session:
        return list((await session.scalars(select(AlertFiring).order_by(AlertFiring.id))).all())


async def messages_of(settings: Settings, app_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(kind, data) of the app's outbox, oldest first."""
    async with own_sessionmaker(settings) as sessionmaker, app_session(sessionmaker, app_id) as session:
        rows = (await session.scalars(select(WebhookMessage).order_by(WebhookMessage.id))).all()
    return [(m.kind, json.loads(m.body)["data"]) for m in rows]
