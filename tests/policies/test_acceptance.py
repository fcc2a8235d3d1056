"""The database's aggregate of a version's decisions agrees with the pure arithmetic, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.support import make_app
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.scope import app_session
from waymark.policies.acceptance import version_figures
from waymark.policies.coverage import Decision, accepted_counts, running, tally
from waymark.policies.models import PolicyEvidence
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
            await session.commit()
            latest, changes = await version_figures(session, app.id, "terms", 1)
    finally:
        await engine.dispose()
    decisions = [Decision(v, D0 + timedelta(days=d), x) for v, d, _, x in HISTORY]
    counted = tally((), decisions)
    assert latest == {"accepted": counted.accepted, "declined": counted.declined, "withdrawn": counted.withdrawn}
    assert latest == {"accepted": 3, "declined": 1, "withdrawn": 1}
    days = (D0, D0 + timedelta(days=4))
    assert running(changes, *days) == accepted_counts(decisions, *days) == [2, 2, 1, 3, 3]
    assert running(changes, D0 + timedelta(days=2), days[1]) == [1, 3, 3]  # earlier changes carried in
