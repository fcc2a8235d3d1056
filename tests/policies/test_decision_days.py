"""The day figures the ledger keeps per policy version give exactly what the evidence gives, on SQLite and
PostgreSQL: random histories appended through the ledger, read three ways (the kept figures, the evidence
counted by the database, the pure arithmetic over the records); an app whose evidence predates them is read
from the evidence until its recount, and stays complete after it."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, date, datetime, timedelta

from alembic import command
from sqlalchemy import select, text

from tests.support import make_app
from waymark.db import migrate
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.scope import app_session
from waymark.policies.acceptance import current_figures, figures_of
from waymark.policies.coverage import Decision, accepted_counts, running, tally
from waymark.policies.decision_days import day_changes, rebuild_decision_days
from waymark.policies.ledger import NewDecision, append_decision
from waymark.policies.models import PolicyChainHead, PolicyDecisionDay, PolicyEvidence
from waymark.settings import Settings
from waymark.upgrade.run import pending_backfills, upgrade

D0 = date(2026, 5, 1)
DAYS = 12
VERSIONS = (("terms", 1), ("terms", 2), ("privacy", 1))


def _new(rng: random.Random, days: range) -> tuple[NewDecision, datetime]:
    policy, version = rng.choice(VERSIONS)
    decision = rng.choices(("accepted", "declined", "withdrawn"), (6, 2, 2))[0]
    moment = datetime(D0.year, D0.month, D0.day, tzinfo=UTC) + timedelta(
        days=rng.choice(days), seconds=rng.randrange(86400), microseconds=rng.randrange(1_000_000))
    return NewDecision(request_id=uuid.uuid4().hex, tenant=rng.choice((None, "acme", "globex")),
                       visitor=f"v{rng.randrange(15)}", policy=policy, version=version, locale="en",
                       text_hash="ab" * 32, decision=decision, method="api", user_agent=None), moment


async def _append(settings: Settings, app_id: str, rng: random.Random, count: int, days: range = range(DAYS)) -> None:
    """``count`` random decisions on ``days`` (from :data:`D0`) through the ledger, one transaction each, in time
    order as a live app records them."""
    engine = create_engine(settings.database_url)
    try:
        maker = make_sessionmaker(engine)
        for new, moment in sorted((_new(rng, days) for _ in range(count)), key=lambda x: x[1]):
            async with app_session(maker, app_id) as session:
                await append_decision(session, app_id, new, now=moment)
                await session.commit()
    finally:
        await engine.dispose()


async def _sql(settings: Settings, statement: str, **params: object) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement), params)
    finally:
        await engine.dispose()


def _by_hand(records: list[PolicyEvidence], key: tuple[str, int]) -> tuple[dict[str, int], list[int]]:
    """Latest decision counts and accepted visitors at each day's end, from the records in chain order."""
    decisions = [Decision(r.visitor_id, r.recorded_at.astimezone(UTC).date() if r.recorded_at.tzinfo
                          else r.recorded_at.date(), r.decision)
                 for r in sorted(records, key=lambda r: r.seq) if (r.policy_id, r.policy_version) == key]
    counted = tally((), decisions)
    latest = {"accepted": counted.accepted, "declined": counted.declined, "withdrawn": counted.withdrawn}
    return latest, accepted_counts(decisions, D0 - timedelta(days=1), D0 + timedelta(days=DAYS))


async def _read_three_ways(settings: Settings, app_id: str) -> list[tuple[str, int, bool]]:
    """Per version: checks that the kept figures, the database's count and the arithmetic agree; returns which
    versions were read from the kept figures."""
    span = (D0 - timedelta(days=1), D0 + timedelta(days=DAYS))
    engine = create_engine(settings.database_url)
    out = []
    try:
        async with app_session(make_sessionmaker(engine), app_id) as session:
            records = list((await session.scalars(select(PolicyEvidence))).all())
            counted = await day_changes(session, app_id)
            head = (await session.execute(select(PolicyChainHead.seq, PolicyChainHead.tallied_seq))).one()
            for key in VERSIONS:
                latest, changes = await current_figures(session, app_id, *key)
                from_evidence = figures_of(counted.get(key, {}))
                assert (latest, running(changes, *span)) == (from_evidence[0], running(from_evidence[1], *span)) \
                    == _by_hand(records, key), key
                out.append((*key, head[0] == head[1]))
    finally:
        await engine.dispose()
    return out


async def _kept_rows(settings: Settings, app_id: str) -> set[tuple[object, ...]]:
    engine = create_engine(settings.database_url)
    try:
        async with app_session(make_sessionmaker(engine), app_id) as session:
            d = PolicyDecisionDay
            rows = await session.execute(select(d.policy_id, d.policy_version, d.day, d.accepted, d.declined,
                                                d.withdrawn).where(d.app_id == app_id))
            return {tuple(r) for r in rows.all() if any(r[3:])}
    finally:
        await engine.dispose()


async def _rebuild(settings: Settings, app_id: str) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with app_session(make_sessionmaker(engine), app_id) as session:
            await rebuild_decision_days(session, app_id)
            await session.commit()
    finally:
        await engine.dispose()


async def test_kept_figures_match_the_evidence_on_random_histories(settings: Settings) -> None:
    for seed in range(3):
        app = await make_app(settings)
        await _append(settings, app.id, random.Random(seed), 60)
        assert all(kept for *_, kept in await _read_three_ways(settings, app.id))
        kept = await _kept_rows(settings, app.id)
        await _rebuild(settings, app.id)  # the recount writes what the appends kept
        assert await _kept_rows(settings, app.id) == kept


async def test_evidence_from_before_the_figures_is_read_until_its_recount(settings: Settings) -> None:
    app = await make_app(settings)
    rng = random.Random(7)
    await _append(settings, app.id, rng, 30, range(0, 6))
    # As after the migration: the figures are empty and the head says none of the chain is counted.
    await _sql(settings, "DELETE FROM policy_decision_days WHERE app_id = :a", a=app.id)
    await _sql(settings, "UPDATE policy_chain_heads SET tallied_seq = 0 WHERE app_id = :a", a=app.id)
    await _append(settings, app.id, rng, 10, range(6, 9))  # appended meanwhile: the figures stay incomplete
    assert not any(kept for *_, kept in await _read_three_ways(settings, app.id))
    await _rebuild(settings, app.id)
    await _append(settings, app.id, rng, 10, range(9, DAYS))
    assert all(kept for *_, kept in await _read_three_ways(settings, app.id))


async def test_a_recount_of_an_app_without_decisions_leaves_nothing(settings: Settings) -> None:
    app = await make_app(settings)
    await _rebuild(settings, app.id)
    assert await _kept_rows(settings, app.id) == set()
    await _append(settings, app.id, random.Random(3), 5)  # the first append starts the figures complete
    assert all(kept for *_, kept in await _read_three_ways(settings, app.id))


def test_an_upgrade_counts_the_evidence_stored_before_the_figures(old_store: str) -> None:
    """Migration 0022 marks the recount when a chain holds decisions, and ``waymark db upgrade`` runs it: the
    figures it writes are the ones the ledger keeps as it appends."""
    migrate.upgrade(old_store)
    settings = Settings(database_url=old_store)
    app = asyncio.run(make_app(settings))
    asyncio.run(_append(settings, app.id, random.Random(11), 25))
    kept = asyncio.run(_kept_rows(settings, app.id))
    command.downgrade(migrate.alembic_config(old_store), "0021")  # as an install before the figures
    migrate.upgrade(old_store)
    assert asyncio.run(pending_backfills(old_store)) == ["policy_decision_days"]
    assert upgrade(old_store) == ["policy_decision_days"]
    assert asyncio.run(pending_backfills(old_store)) == []
    assert asyncio.run(_kept_rows(settings, app.id)) == kept
    assert all(read for *_, read in asyncio.run(_read_three_ways(settings, app.id)))
