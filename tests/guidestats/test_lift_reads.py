"""The lift report beside the guide figures: who saw a guide comes from the day rows, goals from its arms' rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar.testing import AsyncTestClient
from sqlalchemy import insert

from tests.guidestats.helpers import guide_event, send
from tests.support import at, guide_yaml, make_app, push
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.holdouts.models import GuideHoldout
from waymark.holdouts.services import lift_report
from waymark.settings import Settings

TIP = guide_yaml("""
    id: tip
    name: Tip
    kind: tooltip
    hold_out: {share: 0.5, unit: tenant}
    goal: {event: Invoice sent, days: 7}
    steps:
      - type: tooltip
        anchor: "#send"
        title: Send it
""")


def _goal(visitor: str, tenant: str) -> dict[str, object]:
    return {"id": f"goal-{visitor}", "type": "track", "ts": at(0), "visitor": visitor, "tenant": tenant,
            "name": "Invoice sent"}


async def test_a_tenant_holdouts_lift_counts_each_tenant_once(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    assert (await push(client, app.secret_key, {"tip.yaml": TIP})).status_code == 200
    held_at = datetime.now(UTC) - timedelta(hours=2)
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            await session.execute(insert(GuideHoldout), [
                {"app_id": app.id, "guide_id": "tip", "visitor_id": v, "tenant_id": t, "held_at": held_at}
                for v, t in (("h1", "held-a"), ("h2", "held-b"))])
            await session.commit()
        await send(client, app.public_key, [
            guide_event("guide_seen", v, 0, 0, t, guide="tip")
            for v, t in (("s1", "shown-a"), ("s2", "shown-a"), ("s3", "shown-b"))])
        # goals: a shown tenant's visitor, a colleague of a held-out visitor (same tenant), and a stranger
        await send(client, app.public_key, [_goal("s1", "shown-a"), _goal("x", "held-a"), _goal("z", "other")])
        async with make_sessionmaker(engine)() as session:
            report = await lift_report(session, app.id, "tip")
    finally:
        await engine.dispose()
    assert report.unit == "tenant"
    assert (report.shown.n, report.shown.reached) == (2, 1)  # shown-a reached it, shown-b did not
    assert (report.held_out.n, report.held_out.reached) == (2, 1)  # held-a (through x) reached it, held-b did not
    assert report.difference == 0.0 and report.ci95 is not None
