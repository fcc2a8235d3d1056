"""One ingestion pipeline for every source (widget, Segment API): judge → enrich → filter → write.

Each step either passes an event on or drops it with a reason a person can read;
good events of a batch are never lost because of bad ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.db.models import Tenant, Visitor, VisitorAlias
from waymark.events.schemas import (
    EVENT_TYPES,
    MAX_EVENT_BYTES,
    AliasEvent,
    AnyEvent,
    GroupEvent,
    IdentifyEvent,
    Rejected,
    event_decoder,
)

__all__ = ["Prepared", "correct_clock", "judge", "prepare"]

_peek_decoder = msgspec.json.Decoder(dict[str, object])
_MAX_SKEW_CORRECTION = timedelta(days=7)


def judge(index: int, raw: msgspec.Raw | bytes) -> AnyEvent | Rejected:
    """Decode and validate one event, or say exactly why it is refused."""
    if len(raw) > MAX_EVENT_BYTES:
        return Rejected(index=index, reason=f"event is {len(raw)} bytes; the limit is {MAX_EVENT_BYTES}")
    try:
        return event_decoder.decode(raw)
    except msgspec.ValidationError as exc:
        event_id: str | None = None
        reason = str(exc)
        try:
            peek = _peek_decoder.decode(raw)
        except msgspec.DecodeError:
            return Rejected(index=index, reason="event is not a JSON object")
        if isinstance(peek.get("id"), str):
            event_id = peek["id"]  # type: ignore[assignment]
        kind = peek.get("type")
        if isinstance(kind, str) and kind not in EVENT_TYPES:
            reason = f"unknown event type {kind!r}"
        return Rejected(index=index, id=event_id, reason=reason)


def correct_clock(ts: datetime, sent_at: datetime | None, received_at: datetime) -> datetime:
    """The event's time on the server's clock: the client's clock may be off.

    As Segment does: ``received_at - (sent_at - ts)``, when the client said when it
    sent the batch. An event that claims to come from the future is brought to now.
    """
    ts = as_utc(ts)
    if sent_at is not None:
        offset = received_at - as_utc(sent_at)
        if abs(offset) <= _MAX_SKEW_CORRECTION:
            ts = ts + offset
    return min(ts, received_at)


@dataclass(slots=True)
class Prepared:
    """Events ready to write, with what the pipeline learnt about their people."""

    events: list[AnyEvent] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    """The batch index of each of ``events``."""
    rejected: list[Rejected] = field(default_factory=list)
    drop_fields: dict[str, list[str]] = field(default_factory=dict)
    """Per tenant: visitor fields never to store."""


async def prepare(
    session: AsyncSession,
    app_id: str,
    judged: Sequence[tuple[int, AnyEvent | Rejected]],
) -> Prepared:
    """Enrich (aliases, tenant) and filter (tenant opt-out) judged events whose clocks are corrected."""
    out = Prepared()
    accepted: list[tuple[int, AnyEvent]] = []
    for index, item in judged:
        if isinstance(item, Rejected):
            out.rejected.append(item)
        else:
            accepted.append((index, item))
    if not accepted:
        return out
    visitor_ids = {ev.visitor for _, ev in accepted}
    aliases = dict(
        (await session.execute(
            select(VisitorAlias.alias, VisitorAlias.visitor_id).where(
                VisitorAlias.app_id == app_id, VisitorAlias.alias.in_(visitor_ids)
            )
        )).all()
    )
    canonical = {v: aliases.get(v, v) for v in visitor_ids}
    known_tenant = dict(
        (await session.execute(
            select(Visitor.id, Visitor.tenant_id).where(
                Visitor.app_id == app_id, Visitor.id.in_(set(canonical.values()))
            )
        )).all()
    )
    enriched: list[tuple[int, AnyEvent]] = []
    for index, ev in accepted:
        visitor = canonical[ev.visitor]
        tenant = ev.tenant or known_tenant.get(visitor)
        changes: dict[str, object] = {}
        if visitor != ev.visitor:
            changes["visitor"] = visitor
        if tenant != ev.tenant and not isinstance(ev, GroupEvent):
            changes["tenant"] = tenant
        enriched.append((index, msgspec.structs.replace(ev, **changes) if changes else ev))
    tenant_ids = {ev.tenant for _, ev in enriched if ev.tenant}
    policies = (
        await session.execute(
            select(Tenant.id, Tenant.opted_out, Tenant.drop_fields).where(
                Tenant.app_id == app_id, Tenant.id.in_(tenant_ids)
            )
        )
    ).all() if tenant_ids else []
    opted_out = {t for t, off, _ in policies if off}
    out.drop_fields = {t: list(fields or []) for t, _, fields in policies if fields}
    for index, ev in enriched:
        if ev.tenant in opted_out:
            out.rejected.append(Rejected(index=index, id=ev.id, reason="the tenant has opted out of collection"))
        elif isinstance(ev, AliasEvent) and canonical.get(ev.previous, ev.previous) == ev.visitor:
            out.events.append(ev)  # already linked: stored, changes nothing
            out.indexes.append(index)
        else:
            out.events.append(_without_dropped(ev, out.drop_fields.get(ev.tenant or "", [])))
            out.indexes.append(index)
    return out


def _without_dropped(ev: AnyEvent, fields: list[str]) -> AnyEvent:
    """Identify traits the tenant asked not to keep are removed before anything is written."""
    if fields and isinstance(ev, IdentifyEvent) and any(f in ev.traits for f in fields):
        return msgspec.structs.replace(ev, traits={k: v for k, v in ev.traits.items() if k not in fields})
    return ev
