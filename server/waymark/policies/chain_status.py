"""The evidence chain's status for the admin's pages: each view verifies what was appended since the last check.

Rehashing every record of an app grows with its evidence, so a view starts from the app's checkpoint
(:class:`~waymark.policies.models.PolicyChainCheck`: the last record verified and its hash) and verifies
only the records after it, up to the chain head, then moves the checkpoint on. A record changed at or
before the checkpoint is not seen by such a view: the *full* check, from the first record, is what finds
it. It runs when asked (``check=True``: the page's "check again now"), and in the background on a view
when the last one is older than :data:`CHAIN_CHECK_SECONDS`; on a break it moves the checkpoint back to the
last good record, so every later view finds the same break until the evidence is put right. The checkpoint
is as trustworthy as the database holding it: whoever can rewrite the evidence can rewrite it too, and only
the full check (or the evidence API's ``/verify``) proves the chain from its start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.clock import as_utc, utcnow
from waymark.db.scope import app_session
from waymark.db.upsert import insert_for
from waymark.policies.chain import GENESIS, ChainRecord, Verified, verify_from
from waymark.policies.models import PolicyChainCheck, PolicyChainHead, PolicyEvidence
from waymark.policies.schemas import BrokenRecord

__all__ = ["CHAIN_CHECK_SECONDS", "SYNC_RECORDS", "ChainStatus", "chain_status"]

CHAIN_CHECK_SECONDS = 300.0
"""A view starts a full check in the background when the last one is older than this."""
SYNC_RECORDS = 2000
"""This many records appended since the last check are verified during a view (a few tens of milliseconds);
more are left to a full check in the background."""
_READ_CHUNK = 5000


class ChainStatus(msgspec.Struct, kw_only=True):
    intact: bool | None
    """None while a first check of a long chain runs (the next view has its answer)."""
    records: int
    """Records checked; for a tenant, that tenant's own records (the check still covers the whole chain)."""
    first_broken: BrokenRecord | None
    checked_at: datetime | None
    full_checked_at: datetime | None = None
    """When the whole chain was last verified from its first record (None: not yet)."""


_running: dict[str, asyncio.Task[ChainStatus]] = {}


async def _records(session: AsyncSession, app_id: str, after: int, upto: int | None) -> list[ChainRecord]:
    """The records of the app's chain after ``after`` (up to ``upto`` when given) in ``seq`` order, read as plain
    rows (no ORM objects: a third of the cost)."""
    e = PolicyEvidence
    columns = (e.id, e.seq, e.request_id, e.tenant_id, e.visitor_id, e.policy_id, e.policy_version, e.locale,
               e.text_hash, e.decision, e.method, e.recorded_at, e.user_agent, e.prev_hash, e.row_hash)
    out: list[ChainRecord] = []
    while True:
        query = select(*columns).where(e.app_id == app_id, e.seq > after)
        if upto is not None:
            query = query.where(e.seq <= upto)
        rows: Sequence[Any] = (await session.execute(query.order_by(e.seq).limit(_READ_CHUNK))).all()
        out += [ChainRecord(id=r[0], seq=r[1], request_id=r[2], app_id=app_id, tenant=r[3], visitor=r[4], policy=r[5],
                            version=r[6], locale=r[7], text_hash=r[8], decision=r[9], method=r[10], recorded_at=r[11],
                            user_agent=r[12], prev_hash=r[13], row_hash=r[14]) for r in rows]
        if len(rows) < _READ_CHUNK:
            return out
        after = rows[-1][1]


async def _head(session: AsyncSession, app_id: str) -> tuple[int, str] | None:
    found = (await session.execute(select(PolicyChainHead.seq, PolicyChainHead.last_hash).where(
        PolicyChainHead.app_id == app_id))).one_or_none()
    return None if found is None else (found.seq, found.last_hash)


async def _checkpoint(session: AsyncSession, app_id: str) -> PolicyChainCheck | None:
    return await session.scalar(select(PolicyChainCheck).where(PolicyChainCheck.app_id == app_id))


def _status(checked: Verified, start: int, at: datetime, full_at: datetime | None) -> ChainStatus:
    broken = checked.broken
    return ChainStatus(intact=broken is None, records=start + checked.read, checked_at=at, full_checked_at=full_at,
                       first_broken=None if broken is None
                       else BrokenRecord(id=broken.id, seq=broken.seq, reason=broken.reason))


async def _save(maker: async_sessionmaker[AsyncSession], app_id: str, checked: Verified, at: datetime,
                full: bool, kept: PolicyChainCheck | None) -> None:
    """Leave the checkpoint at the last good record, in a transaction of its own (on SQLite a reading transaction
    cannot always become a writing one). A full check sets it whatever it was; a check from the checkpoint moves
    it on only from where it started, since a full check may have moved it back meanwhile."""
    if not full and (kept is None or checked.through <= kept.seq):
        return  # nothing new verified: the checkpoint stays
    values = {"seq": checked.through, "last_hash": checked.last_hash, "checked_at": at}
    async with app_session(maker, app_id) as session:
        if full or kept is None:
            values["full_checked_at"] = at
            await session.execute(insert_for(session, PolicyChainCheck).values(app_id=app_id, **values)
                                  .on_conflict_do_update(index_elements=["app_id"], set_=values))
        else:
            await session.execute(update(PolicyChainCheck).where(
                PolicyChainCheck.app_id == app_id, PolicyChainCheck.seq == kept.seq,
                PolicyChainCheck.last_hash == kept.last_hash).values(**values))
        await session.commit()


async def _full_check(maker: async_sessionmaker[AsyncSession], app_id: str) -> ChainStatus:
    """Verify the whole chain from its first record and leave the checkpoint at the last good record."""
    async with app_session(maker, app_id) as session:
        checked = verify_from(await _records(session, app_id, 0, None), (0, GENESIS), await _head(session, app_id))
    now = utcnow()
    await _save(maker, app_id, checked, now, True, None)
    return _status(checked, 0, now, now)


def _stale(kept: PolicyChainCheck) -> bool:
    return (kept.full_checked_at is None
            or (utcnow() - as_utc(kept.full_checked_at)).total_seconds() >= CHAIN_CHECK_SECONDS)


async def chain_status(maker: async_sessionmaker[AsyncSession], app_id: str, check: bool = False) -> ChainStatus:
    """The app's chain as checked now: ``check`` verifies all of it; a view verifies what was appended since the
    last check (more than :data:`SYNC_RECORDS` of them: ``intact=None`` while a full check runs in the background)
    and starts a full check in the background when the last is older than :data:`CHAIN_CHECK_SECONDS`."""
    if check:
        return await _full_check(maker, app_id)
    async with app_session(maker, app_id) as session:
        head = await _head(session, app_id)
        kept = await _checkpoint(session, app_id)
        start = (kept.seq, kept.last_hash) if kept is not None else (0, GENESIS)
        length = head[0] if head else 0
        if length - start[0] > SYNC_RECORDS:
            _renew(maker, app_id)
            return ChainStatus(intact=None, records=length, first_broken=None, checked_at=None,
                               full_checked_at=kept.full_checked_at if kept is not None else None)
        appended = await _records(session, app_id, start[0], length) if length > start[0] else []
        checked = verify_from(appended, start, head)
    now = utcnow()
    # Without a checkpoint this view verified the chain from its first record: a full check.
    await _save(maker, app_id, checked, now, kept is None, kept)
    if kept is not None and _stale(kept):
        _renew(maker, app_id)
    return _status(checked, start[0], now, now if kept is None else kept.full_checked_at)


def _renew(maker: async_sessionmaker[AsyncSession], app_id: str) -> None:
    if app_id in _running:
        return
    task = asyncio.create_task(_full_check(maker, app_id))
    _running[app_id] = task
    task.add_done_callback(lambda _: _running.pop(app_id, None))
