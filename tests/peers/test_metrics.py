"""Each metric's per-tenant figure from the roll-ups, checked by hand, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import insert

from tests.analytics.helpers import BASE, click, put_feature, send
from tests.peers.helpers import active, days_ago, tenant
from tests.support import guide_yaml, make_app, push
from tests.surveys.helpers import NPS
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import DailyUsage, Visitor
from waymark.peers.definitions import Period, period_ending
from waymark.peers.metrics import Figure, tenant_figures
from waymark.settings import Settings

TOUR = guide_yaml("""
    id: tour
    name: Tour
    steps:
      - type: lightbox
        title: Hello
""")


async def figures(settings: Settings, app_id: str) -> dict[str, dict[str, Figure]]:
    engine = create_engine(settings.database_url)
    try:
        found = await tenant_figures(make_sessionmaker(engine), app_id, period_ending(datetime.now(UTC).date()))
        return {t: dict(f) for t, f in found.items()}
    finally:
        await engine.dispose()


def _guide(kind: str, visitor: str, tenant_id: str, day: int, **fields: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "type": kind, "ts": days_ago(day, fields.pop("seconds", 0)), "visitor": visitor,
            "tenant": tenant_id, "guide": fields.pop("guide", "tour"), "guide_version": 1, "url": BASE + "/", **fields}


async def test_stickiness_and_feature_adoption(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await tenant(client, app.public_key, "acme", industry="retail")  # acme-admin: active yesterday
    await active(client, app.public_key, "acme", "ana", [1, 2, 3])
    await active(client, app.public_key, "acme", "bo", [31])  # before the period: not counted
    before = await figures(settings, app.id)
    assert before["acme"]["stickiness"] == (100 * 4 / (30 * 2), 2)  # 4 visitor-days, 2 visitors, 30 days
    assert "feature_adoption" not in before["acme"]  # no feature defined: no figure

    assert (await put_feature(client, app.secret_key, "export", "button#export")).status_code in (200, 201)
    await send(client, app.public_key, {**click("export", visitor="ana", tenant="acme"), "ts": days_ago(2)})
    after = await figures(settings, app.id)
    assert after["acme"]["feature_adoption"] == (50.0, 2)  # ana of {ana, acme-admin}
    assert after["acme"]["stickiness"] == (100 * 4 / (30 * 2), 2)  # the click was on a day ana was active


async def test_nps_counts_each_visitors_latest_answer(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    assert (await push(client, app.secret_key, {"nps.yaml": NPS.format(sample=1.0)})).status_code == 200
    answers = [("ana", 3, 10), ("ana", 2, 2), ("bo", 2, 9), ("cy", 2, 10), ("dee", 40, 0)]  # dee: before the period
    await send(client, app.public_key, *(
        _guide("nps_response", v, "acme", day, guide="nps", score=score) for v, day, score in answers))
    assert (await figures(settings, app.id))["acme"]["nps"] == (round(100 * (2 - 1) / 3, 2), 3)


async def test_guide_completion(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    assert (await push(client, app.secret_key, {"tour.yaml": TOUR})).status_code == 200
    await send(client, app.public_key,
               _guide("guide_seen", "ana", "acme", 3, step=0), _guide("guide_completed", "ana", "acme", 3, step=0,
                                                                      seconds=5),
               _guide("guide_seen", "bo", "acme", 2, step=0),
               _guide("guide_seen", "cy", "acme", 1, step=0), _guide("guide_dismissed", "cy", "acme", 1, step=0,
                                                                     seconds=5),
               _guide("guide_seen", "dee", "acme", 45, step=0))  # before the period
    assert (await figures(settings, app.id))["acme"]["guide_completion"] == (100 / 3, 3)


async def test_four_week_retention(client: AsyncTestClient, settings: Settings) -> None:
    """Visitors first seen in the cohort window; retained when active on days 22 to 28 of their life."""
    app = await make_app(settings)
    await tenant(client, app.public_key, "acme")
    period: Period = period_ending(datetime.now(UTC).date())
    first, last = period.cohort_start, period.cohort_end
    people = {  # visitor: (first day, days active after it)
        "kept-early": (first, [21]),
        "kept-late": (last, [27]),
        "left": (first, [7, 28]),  # day 29 of its life is after its 4th week
        "quiet": (last, []),
        "too-new": (last + timedelta(days=1), [21]),  # outside the cohort window
        "too-old": (first - timedelta(days=1), [21]),
    }
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(Visitor), [
                {"app_id": app.id, "id": v, "tenant_id": "acme", "meta": {},
                 "first_seen": datetime.combine(day, time(9), UTC), "last_seen": datetime.combine(day, time(9), UTC)}
                for v, (day, _) in people.items()])
            await conn.execute(insert(DailyUsage), [
                {"app_id": app.id, "day": day + timedelta(days=offset), "tenant_id": "acme", "visitor_id": v,
                 "kind": "active", "key": "", "count": 1, "ms": 0}
                for v, (day, offsets) in people.items() for offset in [0, *offsets]])
    finally:
        await engine.dispose()
    assert (await figures(settings, app.id))["acme"]["retention_4w"] == (50.0, 4)
