"""Helpers for the guide figures' tests: a three-step walkthrough, events as the widget sends them, the report."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from tests.support import guide_yaml
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.scope import Scope
from waymark.guidestats.report import Selection, guide_report
from waymark.guidestats.schemas import GuideReport
from waymark.settings import Settings

__all__ = ["TOUR", "guide_event", "moment", "report", "send"]

TOUR = guide_yaml("""
    id: tour
    name: Tour
    kind: walkthrough
    snooze_days: 1
    steps:
      - type: lightbox
        title: {en: Welcome, fr: Bienvenue}
      - type: lightbox
        title: Invoices
      - type: lightbox
        title: Done
""")

_BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def moment(seconds: float) -> str:
    """An hour ago plus ``seconds``: fixed within a test run, so a resend carries the same times."""
    return (_BASE + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def guide_event(kind: str, visitor: str, seconds: float, step: int = 0, tenant: str | None = None,
                guide: str = "tour", **props: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": uuid.uuid4().hex, "type": kind, "ts": moment(seconds), "visitor": visitor,
                            "guide": guide, "guide_version": 1, "step": step, "props": props}
    if tenant is not None:
        body["tenant"] = tenant
    return body


async def send(client: AsyncTestClient, public_key: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    response = await client.post(f"/api/v1/events?key={public_key}", json={"events": events})
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


async def report(settings: Settings, app_id: str, guide: str = "tour", tenant: str | None = None,
                 **selection: Any) -> GuideReport:
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            today = datetime.now(UTC).date()
            start: date = selection.pop("start", today - timedelta(days=1))
            end: date = selection.pop("end", today)
            return await guide_report(session, Selection(Scope(app_id, tenant), start, end, **selection), guide)
    finally:
        await engine.dispose()
