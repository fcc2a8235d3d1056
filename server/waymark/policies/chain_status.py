"""The evidence chain's status for the admin's pages: a full check, reused for a while and renewed in the background.

Checking the chain rehashes every record of the app, which grows with the evidence. A page shows
the latest check (with its time) and, when it is older than :data:`CHAIN_CHECK_SECONDS`, starts a
new one in the background for the next view; asking for a check (``check=True``) always runs one.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.clock import utcnow
from waymark.db.scope import app_session
from waymark.policies.ledger import verify_app_chain
from waymark.policies.schemas import BrokenRecord

__all__ = ["CHAIN_CHECK_SECONDS", "ChainStatus", "chain_status"]

CHAIN_CHECK_SECONDS = 300.0


class ChainStatus(msgspec.Struct, kw_only=True):
    intact: bool
    records: int
    """Records checked; for a tenant, that tenant's own records (the check still covers the whole chain)."""
    first_broken: BrokenRecord | None
    checked_at: datetime


_checks: dict[str, tuple[float, ChainStatus]] = {}
_running: dict[str, asyncio.Task[ChainStatus]] = {}


async def _check(maker: async_sessionmaker[AsyncSession], app_id: str) -> ChainStatus:
    async with app_session(maker, app_id) as session:
        count, broken = await verify_app_chain(session, app_id)
    status = ChainStatus(intact=broken is None, records=count, checked_at=utcnow(), first_broken=None if broken is None
                         else BrokenRecord(id=broken.id, seq=broken.seq, reason=broken.reason))
    _checks[app_id] = (time.monotonic(), status)
    return status


async def chain_status(maker: async_sessionmaker[AsyncSession], app_id: str, check: bool = False) -> ChainStatus:
    """The latest check of the app's whole chain; a first one (or ``check``) runs now, a stale one is renewed
    in the background while its result is still shown."""
    kept = _checks.get(app_id)
    if check or kept is None:
        return await _check(maker, app_id)
    if time.monotonic() - kept[0] >= CHAIN_CHECK_SECONDS and app_id not in _running:
        task = asyncio.create_task(_check(maker, app_id))
        _running[app_id] = task
        task.add_done_callback(lambda _: _running.pop(app_id, None))
    return kept[1]
