"""The chain check a page runs, on SQLite and PostgreSQL: it verifies the records appended since the last check,
so a change among them is found; a change at or before the checkpoint is trusted by a view until the full
check, which finds it and moves the checkpoint back so that every later view reports the same break."""

from __future__ import annotations

import uuid

from sqlalchemy import select, text

from tests.support import make_app
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.scope import app_session
from waymark.policies.chain_status import chain_status
from waymark.policies.ledger import NewDecision, append_decision
from waymark.policies.models import PolicyChainCheck
from waymark.settings import Settings


async def _append(settings: Settings, app_id: str, count: int) -> None:
    engine = create_engine(settings.database_url)
    try:
        maker = make_sessionmaker(engine)
        for _ in range(count):
            async with app_session(maker, app_id) as session:
                await append_decision(session, app_id, NewDecision(
                    request_id=uuid.uuid4().hex, tenant=None, visitor=uuid.uuid4().hex[:8], policy="terms", version=1,
                    locale="en", text_hash="ab" * 32, decision="accepted", method="api", user_agent=None))
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


async def _view(settings: Settings, app_id: str, full: bool = False) -> tuple[bool | None, int | None, int]:
    """A page's check (``full``: "check the whole chain now"): (intact, first broken seq, checkpoint seq)."""
    engine = create_engine(settings.database_url)
    try:
        maker = make_sessionmaker(engine)
        status = await chain_status(maker, app_id, check=full)
        async with app_session(maker, app_id) as session:
            kept = await session.scalar(select(PolicyChainCheck.seq).where(PolicyChainCheck.app_id == app_id))
        return status.intact, status.first_broken.seq if status.first_broken else None, kept or 0
    finally:
        await engine.dispose()


async def test_a_view_finds_a_change_among_the_records_appended_since_the_last_check(settings: Settings) -> None:
    app = await make_app(settings)
    await _append(settings, app.id, 4)
    assert await _view(settings, app.id) == (True, None, 4)  # the first view checks the whole chain
    await _append(settings, app.id, 3)
    await _sql(settings, "UPDATE policy_evidence SET decision = 'declined' WHERE app_id = :a AND seq = 6", a=app.id)
    assert await _view(settings, app.id) == (False, 6, 5)  # records 5 and 6 read; the checkpoint moves to 5
    assert await _view(settings, app.id) == (False, 6, 5)  # and every later view finds it again


async def test_a_removed_last_record_is_found_by_a_view(settings: Settings) -> None:
    app = await make_app(settings)
    await _append(settings, app.id, 3)
    assert await _view(settings, app.id) == (True, None, 3)
    await _append(settings, app.id, 2)
    await _sql(settings, "DELETE FROM policy_evidence WHERE app_id = :a AND seq = 5", a=app.id)
    assert await _view(settings, app.id) == (False, 5, 4)


async def test_a_change_before_the_checkpoint_is_found_by_the_full_check_and_then_by_every_view(
    settings: Settings,
) -> None:
    app = await make_app(settings)
    await _append(settings, app.id, 5)
    assert await _view(settings, app.id) == (True, None, 5)
    await _sql(settings, "UPDATE policy_evidence SET visitor_id = 'mallory' WHERE app_id = :a AND seq = 2",
               a=app.id)
    # What a checkpoint trusts: the records up to it are not read again by a view.
    assert await _view(settings, app.id) == (True, None, 5)
    assert await _view(settings, app.id, full=True) == (False, 2, 1)
    await _append(settings, app.id, 1)
    assert await _view(settings, app.id) == (False, 2, 1)
