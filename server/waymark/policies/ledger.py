"""The evidence ledger: appending a decision to the app's hash chain (one writer at a time) and checking the chain.

Writers are serialised per app by the chain head row: the first statement of an append
bumps the head's ``seq`` (a row lock on PostgreSQL, the write lock on SQLite), so a concurrent
append waits and then reads the head this one left; two decisions can never share a
predecessor, so the chain never forks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import cast

import msgspec
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc, utcnow
from waymark.db.models import GuideState
from waymark.db.upsert import insert_for
from waymark.policies.chain import GENESIS, Break, ChainRecord, record_hash, verify_chain
from waymark.policies.decision_days import add_decision
from waymark.policies.models import PolicyChainHead, PolicyEvidence
from waymark.policies.schemas import EvidenceRecord
from waymark.wire import CONTROL_CHARACTER

__all__ = ["NewDecision", "append_decision", "as_record", "verify_app_chain"]

_HEADS: Table = PolicyChainHead.__table__  # type: ignore[assignment]  # typed FromClause; declarative maps a Table
_STATES: Table = GuideState.__table__  # type: ignore[assignment]  # as above
_READ_CHUNK = 1000


class NewDecision(msgspec.Struct, frozen=True, kw_only=True):
    request_id: str
    tenant: str | None
    visitor: str
    policy: str
    version: int
    locale: str
    text_hash: str
    decision: str
    method: str
    user_agent: str | None


def clean_user_agent(value: str | None) -> str | None:
    """The user agent as kept: printable, at most 1,000 characters."""
    return CONTROL_CHARACTER.sub(" ", value)[:1000] if value else None


def as_record(row: PolicyEvidence) -> EvidenceRecord:
    return EvidenceRecord(
        id=row.id, seq=row.seq, request_id=row.request_id, policy=row.policy_id, version=row.policy_version,
        locale=row.locale, tenant=row.tenant_id, visitor=row.visitor_id, text_hash=row.text_hash,
        decision=row.decision, method=row.method, recorded_at=as_utc(row.recorded_at), user_agent=row.user_agent,
        prev_hash=row.prev_hash, row_hash=row.row_hash,
    )


def _chain_record(app_id: str, row: PolicyEvidence) -> ChainRecord:
    return ChainRecord(
        id=row.id, seq=row.seq, request_id=row.request_id, app_id=app_id, tenant=row.tenant_id,
        visitor=row.visitor_id, policy=row.policy_id, version=row.policy_version, locale=row.locale,
        text_hash=row.text_hash, decision=row.decision, method=row.method, recorded_at=row.recorded_at,
        user_agent=row.user_agent, prev_hash=row.prev_hash, row_hash=row.row_hash,
    )


async def append_decision(
    session: AsyncSession, app_id: str, new: NewDecision, now: datetime | None = None
) -> tuple[PolicyEvidence, bool]:
    """Append ``new`` to the app's chain and mark the prompt decided for the visitor; the caller commits.

    Returns the record and whether it is new: a request id recorded before returns that
    record, and the caller must roll back (the head was bumped to take the lock).
    """
    # Take the app's chain lock first, before reading anything the append depends on.
    await session.execute(
        insert_for(session, PolicyChainHead).values(app_id=app_id, seq=0, last_hash=GENESIS, tallied_seq=0)
        .on_conflict_do_nothing(index_elements=["app_id"])
    )
    seq, prev, tallied = cast(tuple[int, str, int], tuple((await session.execute(
        update(_HEADS).where(_HEADS.c.app_id == app_id).values(seq=_HEADS.c.seq + 1)
        .returning(_HEADS.c.seq, _HEADS.c.last_hash, _HEADS.c.tallied_seq)
    )).one()))
    earlier = await session.scalar(select(PolicyEvidence).where(
        PolicyEvidence.app_id == app_id, PolicyEvidence.request_id == new.request_id))
    if earlier is not None:
        return earlier, False
    # Microseconds survive both databases; the hash covers the moment as stored.
    recorded_at = as_utc(now or utcnow())
    row = PolicyEvidence(
        app_id=app_id, seq=seq, request_id=new.request_id, tenant_id=new.tenant, visitor_id=new.visitor,
        policy_id=new.policy, policy_version=new.version, locale=new.locale, text_hash=new.text_hash,
        decision=new.decision, method=new.method, recorded_at=recorded_at,
        user_agent=clean_user_agent(new.user_agent), prev_hash=prev,
    )
    row.row_hash = record_hash(_chain_record(app_id, row))  # the id, unset until the flush, is not hashed
    session.add(row)
    await session.flush()
    if tallied == seq - 1:  # the day figures are complete so far: they stay so (else they await their rebuild)
        await add_decision(session, app_id, row)
        tallied = seq
    await session.execute(update(_HEADS).where(_HEADS.c.app_id == app_id).values(last_hash=row.row_hash,
                                                                                 tallied_seq=tallied))
    await _mark_prompt(session, app_id, new, recorded_at)
    return row, True


async def _mark_prompt(session: AsyncSession, app_id: str, new: NewDecision, when: datetime) -> None:
    """Delivery's view: the prompt is done for this visitor up to this version (``step`` holds the version).

    A withdrawal makes the visitor undecided again, so the prompt asks anew.
    """
    if new.decision == "withdrawn":
        await session.execute(_STATES.delete().where(
            _STATES.c.app_id == app_id, _STATES.c.visitor_id == new.visitor, _STATES.c.guide_id == new.policy))
        return
    insert = insert_for(session, GuideState).values(
        app_id=app_id, visitor_id=new.visitor, guide_id=new.policy, status="completed", step=new.version,
        last_seen_at=when, snoozed_until=None, completed_at=when, updated_at=when,
    )
    await session.execute(insert.on_conflict_do_update(
        index_elements=["app_id", "visitor_id", "guide_id"],
        set_={"status": "completed", "step": new.version, "last_seen_at": when, "completed_at": when,
              "snoozed_until": None, "updated_at": when},
    ))


async def _records(session: AsyncSession, app_id: str) -> AsyncIterator[ChainRecord]:
    after = 0
    while True:
        rows = (await session.scalars(
            select(PolicyEvidence).where(PolicyEvidence.app_id == app_id, PolicyEvidence.seq > after)
            .order_by(PolicyEvidence.seq).limit(_READ_CHUNK)
            .execution_options(populate_existing=True)
        )).all()
        for row in rows:
            yield _chain_record(app_id, row)
        if len(rows) < _READ_CHUNK:
            return
        after = rows[-1].seq


async def verify_app_chain(session: AsyncSession, app_id: str) -> tuple[int, Break | None]:
    """Check the app's whole chain: how many records, and the first break (``None``: intact)."""
    head = (await session.execute(
        select(_HEADS.c.seq, _HEADS.c.last_hash).where(_HEADS.c.app_id == app_id))).one_or_none()
    records = [r async for r in _records(session, app_id)]
    return verify_chain(records, (head.seq, head.last_hash) if head else None)
