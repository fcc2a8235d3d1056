"""Upgrading a store written before migrations 0019 and 0020: the migrations change the schema only and mark the
back-fills the store needs; ``waymark db upgrade`` runs them right after, with the application's code, each once.
Until they have run, the CLI refuses the database as it refuses one with a migration missing."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from tests.old_stores import steps_of, store_before_the_steps
from waymark.cli import main
from waymark.db import migrate
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.upgrade.backfills import BACKFILLS
from waymark.upgrade.run import pending_backfills, upgrade

_DAY = date(2026, 10, 1)
_ALL = ["guide_day_sketches", "steps", "survey_day_tallies"]
_STEPS = 5
"""The step rows of :func:`store_before_the_steps`'s events (two pages, a feature, a track event, a guide step)."""


async def _store_figures(url: str) -> None:
    """Guide day rows of two visitors and three NPS answers (ana answered twice) of app ``a1``, as 0018 stored them."""
    postgres = url.startswith("postgresql")
    noon = datetime(2026, 10, 1, 12, tzinfo=UTC)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO guide_daily_stats (app_id, guide_id, day, tenant_id, visitor_id, seen, top_step, "
                "completed, dismissed, snoozed, anchor_missing, timed, timed_ms) "
                "VALUES ('a1', 'tour', :day, 'acme', :visitor, 1, :top, :completed, :dismissed, 0, 0, 0, 0)"),
                [{"day": _DAY, "visitor": "ann", "top": 1, "completed": 1, "dismissed": 0},
                 {"day": _DAY, "visitor": "bob", "top": 0, "completed": 0, "dismissed": 1}])
            await conn.execute(text(
                "INSERT INTO survey_answers (app_id, event_id, kind, guide_id, question, visitor_id, tenant_id, ts, "
                "score) VALUES ('a1', :event, 'nps', 'nps', '', :visitor, 'acme', :ts, :score)"),
                [{"event": event, "visitor": visitor, "score": score,
                  "ts": ts if postgres else ts.replace(tzinfo=None)}
                 for event, visitor, ts, score in (("n1", "ann", noon - timedelta(days=2), 3), ("n2", "ann", noon, 9),
                                                   ("n3", "bob", noon, 10))])
    finally:
        await engine.dispose()


def _old_store_with_rows(url: str) -> None:
    asyncio.run(store_before_the_steps(url))
    asyncio.run(_store_figures(url))


async def _figures(url: str) -> dict[str, int]:
    """Rows of each back-filled table, the NPS answers marked replaced, and the guide-day's seen visitors."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            found = {table: int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
                     for table in ("steps", "guide_day_sketches", "survey_day_tallies")}
            found["replaced"] = int((await conn.execute(text(
                "SELECT count(*) FROM survey_answers WHERE replaced_at IS NOT NULL"))).scalar_one())
            found["seen"] = int((await conn.execute(text(
                "SELECT coalesce(sum(count), 0) FROM guide_day_sketches WHERE figure = 'seen'"))).scalar_one())
            found["answer visitors"] = int((await conn.execute(text(
                "SELECT coalesce(sum(count), 0) FROM survey_day_tallies WHERE item = 'visitors'"))).scalar_one())
    finally:
        await engine.dispose()
    return found


def _filled(found: dict[str, int]) -> bool:
    return (found["steps"] == _STEPS and found["guide_day_sketches"] > 0 and found["survey_day_tallies"] > 0
            and found["replaced"] == 1 and found["seen"] == 2 and found["answer visitors"] == 3)


def test_alembic_alone_marks_the_backfills_and_the_database_is_refused(
    old_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_store_with_rows(old_store)
    migrate.upgrade(old_store)
    assert asyncio.run(pending_backfills(old_store)) == _ALL
    assert asyncio.run(_figures(old_store)) == {"steps": 0, "guide_day_sketches": 0, "survey_day_tallies": 0,
                                                "replaced": 0, "seen": 0, "answer visitors": 0}
    monkeypatch.setenv("WAYMARK_DATABASE_URL", old_store)
    result = CliRunner().invoke(main, ["apps", "list"])
    assert result.exit_code == 1
    assert result.output == ("Error: the database has back-fills pending (guide_day_sketches, steps, "
                             "survey_day_tallies): run `waymark db upgrade` first\n")


def test_waymark_db_upgrade_fills_the_tables_once(old_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _old_store_with_rows(old_store)
    monkeypatch.setenv("WAYMARK_DATABASE_URL", old_store)
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "back-fill steps" in result.output  # the progress line's label
    assert "back-filled: steps, guide_day_sketches, survey_day_tallies\n" in result.output
    assert asyncio.run(pending_backfills(old_store)) == []
    filled = asyncio.run(_figures(old_store))
    assert _filled(filled), filled
    rows = asyncio.run(steps_of(old_store))

    again = CliRunner().invoke(main, ["db", "upgrade"])
    assert again.exit_code == 0 and "back-fill" not in again.output, again.output
    assert asyncio.run(_figures(old_store)) == filled and asyncio.run(steps_of(old_store)) == rows
    listed = CliRunner().invoke(main, ["apps", "list"])
    assert listed.exit_code == 0, listed.output


async def _refuse_tallies(url: str, refuse: bool) -> None:
    """A trigger that makes every insert into the day tallies fail (a back-fill failing half-way), or its removal."""
    postgres = url.startswith("postgresql")
    if refuse:
        statements = ([
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse BEFORE INSERT ON survey_day_tallies FOR EACH ROW EXECUTE FUNCTION refuse()"]
            if postgres else
            ["CREATE TRIGGER refuse BEFORE INSERT ON survey_day_tallies BEGIN SELECT RAISE(ABORT, 'refused'); END"])
    else:
        statements = (["DROP TRIGGER refuse ON survey_day_tallies", "DROP FUNCTION refuse()"] if postgres
                      else ["DROP TRIGGER refuse"])
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def test_a_backfill_that_fails_stays_pending_and_the_next_upgrade_finishes_it(old_store: str) -> None:
    _old_store_with_rows(old_store)
    migrate.upgrade(old_store)
    asyncio.run(_refuse_tallies(old_store, True))
    with pytest.raises(DBAPIError, match="refused"):
        upgrade(old_store)
    assert asyncio.run(pending_backfills(old_store)) == ["survey_day_tallies"]  # the two before it committed
    half = asyncio.run(_figures(old_store))
    assert (half["steps"], half["seen"], half["survey_day_tallies"], half["replaced"]) == (_STEPS, 2, 0, 0), half

    asyncio.run(_refuse_tallies(old_store, False))
    assert upgrade(old_store) == ["survey_day_tallies"]
    assert asyncio.run(pending_backfills(old_store)) == []
    filled = asyncio.run(_figures(old_store))
    assert _filled(filled), filled


def test_a_store_without_rows_has_nothing_to_backfill(old_store: str) -> None:
    migrate.upgrade(old_store)
    assert asyncio.run(pending_backfills(old_store)) == []


async def _fill_as_the_old_migrations_did(url: str) -> None:
    engine = create_engine(url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            for backfill in BACKFILLS:
                if backfill.name in _ALL:  # the later ones' tables do not exist yet at 0020
                    await backfill.fill(session, "a1", lambda _n: None)
    finally:
        await engine.dispose()


def test_a_store_the_earlier_migrations_filled_has_nothing_marked(old_store: str) -> None:
    """0019 and 0020 filled their tables themselves before they were made table-only: 0021 marks nothing there."""
    _old_store_with_rows(old_store)
    migrate.upgrade(old_store, "0020")
    asyncio.run(_fill_as_the_old_migrations_did(old_store))
    migrate.upgrade(old_store)
    assert asyncio.run(pending_backfills(old_store)) == []
    assert _filled(asyncio.run(_figures(old_store)))
