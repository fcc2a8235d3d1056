"""Seeding the demo's history through the real paths: every store filled, and a second run changes nothing."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from waymark.db.engine import create_engine
from waymark.db.models import Base
from waymark.settings import Settings
from waymark_demo.history_seed import seed_history
from waymark_demo.seed import DEMO_APP_ID, seed_demo

GUIDES = Path(__file__).resolve().parents[2] / "guides"
END = date(2026, 3, 31)


async def _counts(conn: AsyncConnection) -> dict[str, int]:
    """Rows of the demo app in every table that has an app: events, people, roll-ups, tallies, evidence …"""
    counts: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        if "app_id" in table.c:
            counts[table.name] = int(await conn.scalar(
                select(func.count()).select_from(table).where(table.c.app_id == DEMO_APP_ID)) or 0)
    return counts


async def test_seeding_twice_stores_the_history_once(settings: Settings) -> None:
    await seed_demo(settings, GUIDES)
    first = await seed_history(settings, end=END, days=10)
    assert first.events > 2000 and first.decisions > 50 and first.duplicates == 0
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            before = await _counts(conn)
        again = await seed_history(settings, end=END, days=10)
        assert (again.events, again.decisions, again.duplicates) == (0, 0, first.events)
        async with engine.connect() as conn:
            assert await _counts(conn) == before
    finally:
        await engine.dispose()
    for table in ("events", "tenants", "visitors", "daily_usage", "guide_states", "survey_answers",
                  "policy_evidence"):
        assert before[table] > 0, table
    # the decisions' analytics copies went through ingestion too
    assert before["events"] == first.events + first.decisions


async def test_the_seeded_tenants_carry_the_metadata_reports_and_benchmarks_use(settings: Settings) -> None:
    await seed_demo(settings, GUIDES)
    await seed_history(settings, end=END, days=10)
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            tenants = Base.metadata.tables["tenants"]
            visitors = Base.metadata.tables["visitors"]
            metas = (await conn.execute(select(tenants.c.id, tenants.c.meta)
                                        .where(tenants.c.app_id == DEMO_APP_ID))).all()
            people = (await conn.execute(select(visitors.c.meta).where(visitors.c.app_id == DEMO_APP_ID))).all()
    finally:
        await engine.dispose()
    industries = Counter(meta["industry"] for _, meta in metas)
    assert len(metas) >= 20 and len(industries) == 3 and min(industries.values()) < 5
    assert all({"plan", "size", "crm_id"} <= set(meta) for _, meta in metas)
    assert all({"role", "locale", "browser"} <= set(meta) for (meta,) in people)
