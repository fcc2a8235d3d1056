"""The demo's product-qualified tenants: one milestone over the seeded history, so the milestones page, the
tenants list's badges and the CRM export show something from the first run."""

from __future__ import annotations

from waymark.behaviour.milestone_store import evaluate_app, save_milestone
from waymark.behaviour.milestone_webhooks import post_changes
from waymark.behaviour.milestones import parse_definition
from waymark.clock import utcnow
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.scope import app_session
from waymark.settings import Settings
from waymark_demo.seed import DEMO_APP_ID

__all__ = ["seed_milestones"]

EXPORTERS = {"kind": "visitors_did", "name": "Two exporters in the first week", "ref": "feature:export-csv",
             "at_least": 2, "within_days": 7}


async def seed_milestones(settings: Settings) -> str:
    """Define (or redefine) the demo milestone and evaluate it; a line saying how many tenants it flags."""
    engine = create_engine(settings.database_url)
    try:
        async with app_session(make_sessionmaker(engine), DEMO_APP_ID) as session:
            now = utcnow()
            await save_milestone(session, DEMO_APP_ID, "exporters", parse_definition(EXPORTERS), now)
            changed = await evaluate_app(session, DEMO_APP_ID, now, only="exporters")
            await post_changes(session, DEMO_APP_ID, now)
            await session.commit()
    finally:
        await engine.dispose()
    return f"milestone 'exporters' ({EXPORTERS['name']}): {len(changed)} tenant flag(s) changed"
