"""Upgrading past migration 0020 counts the answers an install already stored into the day tallies (re-answers
included): the migration makes the tables, the upgrade's back-fill counts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import insert, text

from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.migrate import alembic_config
from waymark.db.models import App
from waymark.settings import Settings
from waymark.surveys.overview import SurveyRef, nps_overview, poll_overview
from waymark.surveys.reports import ReportScope, nps_report, poll_report
from waymark.upgrade.run import upgrade


async def _store_answers(url: str, now: datetime) -> None:
    rows = [("ana", "nps", "", 3, None, "Slow", -5), ("ana", "nps", "", 9, None, None, -1),
            ("ben", "nps", "", 10, None, "Great", -2), ("ana", "poll", "plan", None, '["free"]', None, -4),
            ("ana", "poll", "plan", None, '["pro"]', None, -1), ("cy", "poll", "ease", 4, None, None, -3)]
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(App), [{"id": "old", "name": "Old", "public_key": "pk_old", "guides_version": 0,
                                              "throttle_seconds": 0, "created_at": now}])
            for i, (visitor, kind, question, score, choices, comment, days) in enumerate(rows):
                await conn.execute(text(
                    "INSERT INTO survey_answers (app_id, event_id, kind, guide_id, question, visitor_id, tenant_id, "
                    "ts, score, choices, comment) VALUES ('old', :e, :k, :g, :q, :v, 'acme', :ts, :s, :c, :m)"),
                    {"e": f"e{i}", "k": kind, "g": "nps" if kind == "nps" else "poll", "q": question, "v": visitor,
                     "ts": now + timedelta(days=days), "s": score, "c": choices, "m": comment})
    finally:
        await engine.dispose()


async def test_upgrading_tallies_the_answers_already_stored(settings: Settings) -> None:
    url = settings.database_url
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    await asyncio.to_thread(command.downgrade, alembic_config(url), "0019")
    try:
        await _store_answers(url, now)
    finally:
        await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            for days in (6, 3):  # a range holding ana's first answer only, and one holding both
                end = (now - timedelta(days=days - 2)).date() if days == 6 else now.date()
                scope = ReportScope(guide="nps", tenant=None, start=now.date() - timedelta(days=days), end=end)
                page = await nps_overview(session, "old", scope, "day", 1, 10, [SurveyRef(id="nps", name="NPS",
                                                                                         published=True)])
                assert page.report == await nps_report(session, "old", scope, "day")
                polls = ReportScope(guide="poll", tenant=None, start=scope.start, end=end)
                got = (await poll_overview(session, "old", polls, [])).report
                assert got is not None and got.questions == (await poll_report(session, "old", polls, False)).questions
            whole = ReportScope(guide="nps", tenant=None, start=now.date() - timedelta(days=6), end=now.date())
            page = await nps_overview(session, "old", whole, "day", 1, 10, [])
            assert page.report is not None
            assert (page.report.responses, page.report.promoters, page.comments_total) == (2, 2, 2)
    finally:
        await engine.dispose()
