"""Recording one decision: check it against the published version, commit the evidence, then tell analytics."""

from __future__ import annotations

import logging
from typing import NamedTuple

from litestar.datastructures import State
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.db.models import App, IdentitySecret
from waymark.db.scope import app_session
from waymark.events.group_commit import GroupCommitter, Job
from waymark.events.schemas import TrackEvent
from waymark.guides.kinds.policy_text import resolve_locale
from waymark.policies.ledger import NewDecision, append_decision, as_record
from waymark.policies.schemas import DecisionAck
from waymark.policies.services import get_version

__all__ = [
    "AppRules", "DecisionRefused", "PolicyDecisionEvent", "app_rules", "check_decision", "copy_to_analytics",
    "record_decision",
]

log = logging.getLogger("waymark.policies")


class DecisionRefused(ValueError):
    """The decision does not fit the published version (unknown locale, text not that version's, …)."""


class PolicyDecisionEvent(TrackEvent, frozen=True, tag="policy_decision"):
    """The analytics copy of a decision, made by the server (never accepted from clients): a track-like event
    named ``policy_accepted`` / ``policy_declined`` / ``policy_withdrawn``, so usage reports count it."""


class AppRules(NamedTuple):
    """The app settings a decision depends on, read when it arrives (decisions are rare: no cache)."""

    honor_dnt: bool
    require_identity: bool
    identity_secrets: tuple[str, ...]


async def app_rules(session: AsyncSession, app_id: str) -> AppRules:
    row = (await session.execute(select(App.honor_dnt, App.require_identity).where(App.id == app_id))).one()
    secrets = tuple((await session.scalars(
        select(IdentitySecret.secret).where(IdentitySecret.app_id == app_id, IdentitySecret.revoked_at.is_(None))
        .order_by(IdentitySecret.id.desc())
    )).all()) if row.require_identity else ()
    return AppRules(bool(row.honor_dnt), bool(row.require_identity), secrets)


async def check_decision(
    session: AsyncSession, app_id: str, policy: str, version: int, locale: str | None, decision: str,
    text_hash: str | None, tenant: str | None,
) -> tuple[str, str]:
    """The (locale, text hash) to record; raises :class:`NoSuchPolicy` or :class:`DecisionRefused`."""
    stored = await get_version(session, app_id, policy, version)
    if decision == "declined" and not stored.allow_decline:
        raise DecisionRefused(f"policy {policy!r} v{version} cannot be declined")
    if stored.tenant_id is not None and tenant != stored.tenant_id:
        raise DecisionRefused(f"policy {policy!r} is tenant {stored.tenant_id!r}'s; this visitor's tenant is "
                              f"{tenant!r}")
    hashes: dict[str, str] = dict(stored.hashes)
    chosen = locale if locale in hashes else None
    if locale is None:
        chosen = resolve_locale(hashes, None, stored.default_locale)
    if chosen is None:
        raise DecisionRefused(f"policy {policy!r} v{version} has no text in locale {locale!r} "
                              f"(it has {', '.join(sorted(hashes))})")
    if text_hash is not None and text_hash != hashes[chosen]:
        raise DecisionRefused(f"the text shown is not the text of policy {policy!r} v{version} in {chosen!r} "
                              "(its SHA-256 differs): nothing was recorded")
    return chosen, hashes[chosen]


async def record_decision(
    sessionmaker: async_sessionmaker[AsyncSession], app_id: str, new: NewDecision
) -> DecisionAck:
    """Append the decision and commit; answers only once the evidence is durable."""
    async with app_session(sessionmaker, app_id) as session:
        row, created = await append_decision(session, app_id, new)
        record = as_record(row)
        if created:
            await session.commit()
        else:
            await session.rollback()  # a retry: the head bump that took the lock is undone
    return DecisionAck(recorded=created, evidence=record)


async def copy_to_analytics(state: State, app_id: str, ack: DecisionAck, url: str | None) -> None:
    """Store the decision as an event too, through the normal pipeline (tenant opt-out applies there).

    Best effort after the evidence is committed: the evidence never depends on analytics.
    """
    if not ack.recorded:
        return
    e = ack.evidence
    event = PolicyDecisionEvent(
        id=e.row_hash, ts=e.recorded_at, visitor=e.visitor, tenant=e.tenant, url=url, name=f"policy_{e.decision}",
        props={"policy": e.policy, "version": e.version, "locale": e.locale, "decision": e.decision,
               "method": e.method, "evidence": e.id},
    )
    try:
        committer: GroupCommitter = state.group_committer
        # Not a guide event: it neither uses the attention budget nor snoozes anything.
        await committer.submit(Job(app_id=app_id, judged=[(0, event)], throttled=lambda _: False,
                                   snooze_days=lambda _: 1))
    except Exception:
        log.exception("policy decision %s of app %s is recorded but its analytics event was not stored", e.id, app_id)
