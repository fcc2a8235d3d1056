"""One worker at a time: a PostgreSQL transaction-scoped advisory lock, or on SQLite a lease row taken by one
atomic UPDATE (it lapses at its expiry if its worker dies, so another can take over)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from sqlalchemy import or_, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.alerts.models import WorkerLease
from waymark.clock import utcnow
from waymark.db.upsert import insert_for

__all__ = ["only_one_worker"]


@asynccontextmanager
async def only_one_worker(sessionmaker: async_sessionmaker[AsyncSession], name: str,
                          lease: timedelta = timedelta(minutes=5)) -> AsyncIterator[bool]:
    """Yields True in the one worker that holds ``name`` now, False in any other (which should skip the work).

    PostgreSQL: ``pg_try_advisory_xact_lock`` in a transaction held open for the block, released when it ends.
    SQLite: the ``worker_leases`` row is taken when free or lapsed, and freed after the block; ``lease`` bounds
    how long a dead worker keeps others out.
    """
    async with sessionmaker() as session:
        if session.get_bind().dialect.name == "postgresql":
            held = bool(await session.scalar(text("SELECT pg_try_advisory_xact_lock(hashtext(:k))"),
                                              {"k": f"waymark:{name}"}))
            try:
                yield held
            finally:
                await session.rollback()  # ends the transaction, and with it the lock
            return
        holder = uuid.uuid4().hex
        now = utcnow()
        await session.execute(insert_for(session, WorkerLease).values(name=name).on_conflict_do_nothing(
            index_elements=["name"]))
        taken = await session.execute(
            update(WorkerLease).where(WorkerLease.name == name,
                                      or_(WorkerLease.until.is_(None), WorkerLease.until < now))
            .values(holder=holder, until=now + lease).execution_options(synchronize_session=False))
        await session.commit()
    held = bool(getattr(taken, "rowcount", 0))
    try:
        yield held
    finally:
        if held:
            async with sessionmaker() as session:
                await session.execute(update(WorkerLease).where(WorkerLease.name == name,
                                                                WorkerLease.holder == holder)
                                      .values(holder=None, until=None).execution_options(synchronize_session=False))
                await session.commit()
