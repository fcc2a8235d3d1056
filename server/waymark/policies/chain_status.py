"""The evidence chain's status for the admin's pages: a full check, reused for a while and renewed in the background.

Checking the chain rehashes every record of the app, which grows with the evidence. A page shows
the latest check (with its time) and, when it is older than :data:`CHAIN_CHECK_SECONDS`, starts a
new one in the background for the next view; asking for a check (``check=True``) always runs one.
The check is the ledger's own (:func:`waymark.policies.chain.verify_chain`) over rows read plainly.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.clock import utcnow
from waymark.db.scope import app_session
from waymark.policies.chain import ChainRecord, verify_chain
from waymark.policies.models import PolicyChainHead, PolicyEvidence
from waymark.policies.schemas import BrokenRecord

__all__ = ["CHAIN_CHECK_SECONDS", "SYNC_RECORDS", "ChainStatus", "chain_status"]

CHAIN_CHECK_SECONDS = 300.0
SYNC_RECORDS = 2000
"""A chain this short is checked during the first view (a few tens of milliseconds); a longer one in the background."""
_READ_CHUNK = 5000


class ChainStatus(msgspec.Struct, kw_only=True):
    intact: bool | None
    """None while a first check of a long chain runs (the next view has its answer)."""
    records: int
    """Records checked; for a tenant, that tenant's own records (the check still covers the whole chain)."""
    first_broken: BrokenRecord | None
    checked_at: datetime | None


_checks: dict[str, tuple[float, ChainStatus]] = {}
_running: dict[str, asyncio.Task[ChainStatus]] = {}


async def _records(session: AsyncSession, app_id: str) -> list[ChainRecord]:
    """Every record of the app's chain in ``seq`` order, read as plain rows (no ORM objects: a third of the cost)."""
    e = PolicyEvidence
    columns = (e.id, e.seq, e.request_id, e.tenant_id, e.visitor_id, e.policy_id, e.policy_version, e.locale,
               e.text_hash, e.decision, e.method, e.recorded_at, e.user_agent, e.prev_hash, e.row_hash)
    out: list[ChainRecord] = []
    after = 0
    while True:
        found = await session.execute(select(*columns).where(e.app_id == app_id, e.seq > after)
                                      .order_by(e.seq).limit(_READ_CHUNK))
        rows: Sequence[Any] = found.all()
        out += [ChainRecord(id=r[0], seq=r[1], request_id=r[2], app_id=app_id, tenant=r[3], visitor=r[4], policy=r[5],
                            version=r[6], locale=r[7], text_hash=r[8], decision=r[9], method=r[10], recorded_at=r[11],
                            user_agent=r[12], prev_hash=r[13], row_hash=r[14]) for r in rows]
        if len(rows) < _READ_CHUNK:
            return out
        after = rows[-1][1]


async def _check(maker: async_sessionmaker[AsyncSession], app_id: str) -> ChainStatus:
    async with app_session(maker, app_id) as session:
        head = (await session.execute(select(PolicyChainHead.seq, PolicyChainHead.last_hash).where(
            PolicyChainHead.app_id == app_id))).tuples().one_or_none()
        count, broken = verify_chain(await _records(session, app_id), head)
    status = ChainStatus(intact=broken is None, records=count, checked_at=utcnow(), first_broken=None if broken is None
                         else BrokenRecord(id=broken.id, seq=broken.seq, reason=broken.reason))
    _checks[app_id] = (time.monotonic(), status)
    return status


async def chain_status(maker: async_sessionmaker[AsyncSession], app_id: str, check: bool = False) -> ChainStatus:
    """The latest check of the app's whole chain. ``check`` runs one now; so does the first view of a short chain
    (a long one gets ``intact=None`` while it runs in the background); a stale one is renewed in the background
    while its result is still shown."""
    kept = _checks.get(app_id)
    if check:
        return await _check(maker, app_id)
    if kept is None:
        async with app_session(maker, app_id) as session:
            length = await session.scalar(select(PolicyChainHead.seq).where(PolicyChainHead.app_id == app_id)) or 0
        if length <= SYNC_RECORDS:
            return await _check(maker, app_id)
        _renew(maker, app_id)
        return ChainStatus(intact=None, records=length, first_broken=None, checked_at=None)
    if time.monotonic() - kept[0] >= CHAIN_CHECK_SECONDS:
        _renew(maker, app_id)
    return kept[1]


def _renew(maker: async_sessionmaker[AsyncSession], app_id: str) -> None:
    if app_id in _running:
        return
    task = asyncio.create_task(_check(maker, app_id))
    _running[app_id] = task
    task.add_done_callback(lambda _: _running.pop(app_id, None))
