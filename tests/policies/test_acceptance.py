"""A version's figures agree with the pure arithmetic, on SQLite and PostgreSQL: counted from the evidence, kept
by the ledger as it appends (on random histories), and recounted by the back-fill."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from tests.support import make_app
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.scope import app_session
from waymark.policies.acceptance import current_figures, figures_of
from waymark.policies.coverage import Decision, accepted_counts, running, tally
from waymark.policies.decision_days import day_changes, rebuild_decision_days
from waymark.policies.models import PolicyChainHead, PolicyEvidence
from waymark.settings import Settings

D0 = date(2026, 3, 1)


def _at(day: int, hour: int) -> datetime:
    return datetime(D0.year, D0.month, D0.day, hour, 30, tzinfo=UTC) + timedelta(days=day)


# (visitor, day, hour, decision) in chain order: ana accepts; ben accepts, withdraws two days later, accepts again;
# cy declines; dee accepts and withdraws the same day late at night (23:30 UTC, still that day); eve declines then
# accepts; fay's decision is on another version.
HISTORY = [("ana", 0, 9, "accepted"), ("ben", 0, 10, "accepted"), ("cy", 1, 8, "declined"), ("dee", 1, 9, "accepted"),
           ("dee", 1, 23, "withdrawn"), ("ben", 2, 11, "withdrawn"), ("eve", 2, 12, "declined"),
           ("ben", 3, 9, "accepted"), ("eve", 3, 10, "accepted")]


async def test_version_figures_match_the_pure_arithmetic(settings: Settings) -> None:
    app = await make_app(settings)
    engine = create_engine(settings.database_url)
    try:
        async with app_session(make_sessionmaker(engine), app.id) as session:
            rows = [(v, d, h, x, 1) for v, d, h, x in HISTORY] + [("fay", 0, 9, "accepted", 2)]
            for seq, (visitor, day, hour, decision, version) in enumerate(rows, start=1):
                session.add(PolicyEvidence(
                    app_id=app.id, seq=seq, request_id=f"r{seq}", tenant_id="acme", visitor_id=visitor,
                    policy_id="terms", policy_version=version, locale="en", text_hash="0" * 64, decision=decision,
                    method="api", recorded_at=_at(day, hour), prev_hash="0" * 64, row_hash=f"{seq:064d}"))
            session.add(PolicyChainHead(app_id=app.id, seq=len(rows), last_hash=f"{len(rows):064d}"))
            await session.commit()
            latest, changes = figures_of((await day_changes(session, app.id))[("terms", 1)])
            assert await current_figures(session, app.id, "terms", 1) == (latest, changes)  # not recounted yet
            await rebuild_decision_days(session, app.id)
            await session.commit()
            recounted = await current_figures(session, app.id, "terms", 1)  # from the day figures now
            assert (recounted[0], running(recounted[1], D0, D0 + timedelta(days=4))) == (
                latest, running(changes, D0, D0 + timedelta(days=4)))
    finally:
        await engine.dispose()
    decisions = [Decision(v, D0 + timedelta(days=d), x) for v, d, _, x in HISTORY]
    counted = tally((), decisions)
    assert latest == {"accepted": counted.accepted, "declined": counted.declined, "withdrawn": counted.withdrawn}
    assert latest == {"accepted": 3, "declined": 1, "withdrawn": 1}
    days = (D0, D0 + timedelta(days=4))
    assert running(changes, *days) == accepted_counts(decisions, *days) == [2, 2, 1, 3, 3]
    assert running(changes, D0 + timedelta(days=2), days[1]) == [1, 3, 3]  # earlier changes carried in


async def test_figures_are_kept_until_the_chain_grows(settings: Settings) -> None:
    app = await make_app(settings)
    engine = create_engine(settings.database_url)

    def record(seq: int, visitor: str, decision: str) -> PolicyEvidence:
        return PolicyEvidence(app_id=app.id, seq=seq, request_id=f"r{seq}", tenant_id=None, visitor_id=visitor,
                              policy_id="terms", policy_version=1, locale="en", text_hash="0" * 64,
                              decision=decision, method="api", recorded_at=_at(0, 9), prev_hash="0" * 64,
                              row_hash=f"{seq:064d}")

    try:
        async with app_session(make_sessionmaker(engine), app.id) as session:
            session.add_all([record(1, "ana", "accepted"), PolicyChainHead(app_id=app.id, seq=1, last_hash="1")])
            await session.commit()
            assert (await current_figures(session, app.id, "terms", 1))[0]["accepted"] == 1
            session.add(record(2, "ben", "accepted"))
            await session.commit()
            # the head still says 1: the kept figures answer (the ledger moves the head in the same transaction)
            assert (await current_figures(session, app.id, "terms", 1))[0]["accepted"] == 1
            await session.execute(update(PolicyChainHead).where(PolicyChainHead.app_id == app.id).values(seq=2))
            await session.commit()
            assert (await current_figures(session, app.id, "terms", 1))[0]["accepted"] == 2
    finally:
        await engine.dispose()
