"""Storing the demo's synthetic history through the product's own paths, so every projection and ledger is filled.

Events go through the ingestion pipeline (clock, tenant attribution, group commit, projections);
decisions through the policy decision service (checked against the published version, appended
to the evidence chain, then copied to analytics); visitors held out of a guide through delivery's
holdout recorder. Fixed ids make a second run store nothing new.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from litestar.datastructures import State
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import Event, Guide
from waymark.db.scope import app_session
from waymark.delivery.snapshot import SnapshotStore
from waymark.events.group_commit import GroupCommitter
from waymark.events.ingest import ingest_events
from waymark.events.schemas import MAX_BATCH_EVENTS, AnyEvent, Rejected
from waymark.guides.kinds.policy_text import resolve_locale
from waymark.holdouts.services import HoldoutRecorder
from waymark.policies.decisions import check_decision, copy_to_analytics
from waymark.policies.ledger import NewDecision, append_decision, as_record
from waymark.policies.models import PolicyEvidence, PolicyVersion
from waymark.policies.schemas import DecisionAck
from waymark.policies.services import current_version, get_version
from waymark.settings import Settings
from waymark.wiring import registered_projections
from waymark_demo.history import HISTORY_DAYS, Decision, PolicyRule, plan_history
from waymark_demo.population import INDUSTRIES, TENANTS, everyone
from waymark_demo.seed import DEMO_APP_ID

__all__ = ["HistorySeeded", "seed_history"]

_USER_AGENT = "Mozilla/5.0 (demo history) Ledgerly"


@dataclass(frozen=True, slots=True)
class HistorySeeded:
    events: int
    """Stored by this run (0 when the history was there already)."""
    duplicates: int
    decisions: int
    """Recorded by this run."""
    first: date
    last: date

    def summary(self) -> str:
        industries = Counter(t.industry for t in TENANTS)
        where = ", ".join(f"{i} {industries[i]}" for i in INDUSTRIES)
        return (f"demo history {self.first} to {self.last}: {len(TENANTS)} tenants ({where}), "
                f"{len(everyone())} visitors; {self.events} events and {self.decisions} policy decisions stored "
                f"now, {self.duplicates} events already there")


async def _published(session: AsyncSession) -> tuple[dict[str, int], list[PolicyRule]]:
    versions = {g: v for g, v in (await session.execute(
        select(Guide.id, Guide.published_version).where(Guide.app_id == DEMO_APP_ID,
                                                        Guide.published_version.is_not(None)))).all()
                if v is not None}
    rules: list[PolicyRule] = []
    for guide_id in (await session.scalars(
            select(Guide.id).where(Guide.app_id == DEMO_APP_ID, Guide.kind == "policy"))).all():
        version = await current_version(session, DEMO_APP_ID, guide_id)
        stored = await session.get(PolicyVersion, (DEMO_APP_ID, guide_id, version)) if version else None
        if stored is not None:
            rules.append(PolicyRule(guide_id, stored.tenant_id, bool(stored.allow_decline)))
    return versions, sorted(rules)


async def _stored_ids(maker: async_sessionmaker[AsyncSession], events: Sequence[AnyEvent]) -> set[str]:
    """Which of these events are stored already (a run before this one): ingestion would drop them as duplicates."""
    ids = [e.id for e in events]
    found: set[str] = set()
    async with app_session(maker, DEMO_APP_ID) as session:
        for start in range(0, len(ids), 900):
            found.update((await session.scalars(select(Event.event_id).where(
                Event.app_id == DEMO_APP_ID, Event.event_id.in_(ids[start:start + 900])))).all())
    return found


async def _ingest(state: State, store: SnapshotStore, events: Sequence[AnyEvent]) -> tuple[int, int]:
    profile = await store.profile(DEMO_APP_ID)
    stored = duplicates = 0
    now = datetime.now(UTC)
    for start in range(0, len(events), MAX_BATCH_EVENTS):
        batch = events[start:start + MAX_BATCH_EVENTS]
        judged: list[tuple[int, AnyEvent | Rejected]] = list(enumerate(batch))
        result = await ingest_events(state, profile, judged, None, now)
        if result.rejected:
            raise RuntimeError(f"the demo history was refused: {result.rejected[:3]}")
        stored += result.accepted
        duplicates += result.duplicates
    return stored, duplicates


async def _decide(maker: async_sessionmaker[AsyncSession], state: State, decisions: Sequence[Decision]) -> int:
    """Append the decisions not yet recorded to the evidence chain (one transaction), then copy each to analytics."""
    acks: list[tuple[DecisionAck, str]] = []
    async with app_session(maker, DEMO_APP_ID) as session:
        known = set((await session.scalars(select(PolicyEvidence.request_id).where(
            PolicyEvidence.app_id == DEMO_APP_ID, PolicyEvidence.request_id.like("demo-%")))).all())
        published: dict[str, PolicyVersion | None] = {}
        for d in decisions:
            if d.request_id in known:
                continue
            if d.policy not in published:
                version = await current_version(session, DEMO_APP_ID, d.policy)
                published[d.policy] = await get_version(session, DEMO_APP_ID, d.policy, version) if version else None
            stored = published[d.policy]
            if stored is None:
                continue
            shown = resolve_locale(stored.hashes, d.locale, stored.default_locale)  # as delivery picks the text
            locale, text_hash = await check_decision(session, DEMO_APP_ID, d.policy, stored.version, shown,
                                                     d.decision, None, d.tenant)
            row, created = await append_decision(session, DEMO_APP_ID, NewDecision(
                request_id=d.request_id, tenant=d.tenant, visitor=d.visitor, policy=d.policy, version=stored.version,
                locale=locale, text_hash=text_hash, decision=d.decision, method="widget", user_agent=_USER_AGENT,
            ), now=d.when)
            if created:
                acks.append((DecisionAck(recorded=True, evidence=as_record(row)), d.url))
        await session.commit()
    # Copied as the decision endpoint does, after the evidence is durable; together, so they share commits.
    await asyncio.gather(*(copy_to_analytics(state, DEMO_APP_ID, ack, url) for ack, url in acks))
    return len(acks)


async def seed_history(settings: Settings, end: date | None = None, days: int = HISTORY_DAYS) -> HistorySeeded:
    """Store the demo tenants' history over the ``days`` days ending ``end`` (default yesterday, UTC).

    The demo app and its guides must be seeded first (:func:`waymark_demo.seed.seed_demo`).
    """
    end = end or datetime.now(UTC).date() - timedelta(days=1)
    engine = create_engine(settings.database_url)
    maker = make_sessionmaker(engine)
    committer = GroupCommitter(maker, registered_projections())
    state = State({"group_committer": committer})
    try:
        async with app_session(maker, DEMO_APP_ID) as session:
            versions, policies = await _published(session)
        store = SnapshotStore(maker, 3600.0)
        snapshot = await store.get(DEMO_APP_ID)
        holdouts = {g.id: g.holdout for g in snapshot.guides if g.holdout is not None}
        plan = plan_history(end, versions, policies, holdouts, days)
        there = await _stored_ids(maker, plan.events)
        stored, duplicates = await _ingest(state, store, [e for e in plan.events if e.id not in there])
        duplicates += len(there)
        recorded = await _decide(maker, state, plan.decisions)
        recorder = HoldoutRecorder(maker)  # as delivery records a visitor it holds out (once each)
        for h in plan.held:
            await recorder.record(DEMO_APP_ID, [snapshot.by_id[h.guide]], h.visitor, h.tenant, h.when)
    finally:
        await committer.stop()
        await engine.dispose()
    return HistorySeeded(stored, duplicates, recorded, end - timedelta(days=days - 1), end)
