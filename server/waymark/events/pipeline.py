"""One ingestion pipeline for every source (widget, Segment API): judge → enrich → filter → write.

Each step either passes an event on or drops it with a reason a person can read;
good events of a batch are never lost because of bad ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

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
    GuideEvent,
    IdentifyEvent,
    Rejected,
    TrackEvent,
    event_decoder,
)
from waymark.wire import TIME_MIN, bad_characters, explain, json_problem, moment_problem

__all__ = ["Prepared", "correct_clock", "judge", "prepare"]

_MAX_SKEW_CORRECTION = timedelta(days=7)


class _Peek(msgspec.Struct):
    """Just enough of a refused event to name it: its id and type, whatever else is wrong."""

    id: Any = None
    type: Any = None


_peek_decoder = msgspec.json.Decoder(_Peek)


def _peek(raw: msgspec.Raw | bytes) -> _Peek | None:
    try:
        return _peek_decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None


def _refused(index: int, raw: msgspec.Raw | bytes, reason: str) -> Rejected:
    peek = _peek(raw)
    if peek is None:
        return Rejected(index=index, reason="event is not a JSON object")
    event_id = peek.id if isinstance(peek.id, str) and not bad_characters(peek.id) else None
    if isinstance(peek.type, str) and peek.type not in EVENT_TYPES:
        reason = f"unknown event type {peek.type!r}"
    return Rejected(index=index, id=event_id, reason=reason)


def _free_form_problem(ev: AnyEvent) -> str | None:
    """Properties and traits are free-form JSON: bounded here, since no type can bound them."""
    if isinstance(ev, TrackEvent | GuideEvent):
        return json_problem(ev.props, "props")
    if isinstance(ev, IdentifyEvent | GroupEvent):
        return json_problem(ev.traits, "traits")
    return None


def judge(index: int, raw: msgspec.Raw | bytes) -> AnyEvent | Rejected:
    """Decode and validate one event, or say exactly why it is refused (with its id whenever it has one)."""
    if len(raw) > MAX_EVENT_BYTES:
        return _refused(index, raw, f"event is {len(raw)} bytes; the limit is {MAX_EVENT_BYTES}")
    try:
        ev = event_decoder.decode(raw)
    except msgspec.ValidationError as exc:
        return _refused(index, raw, explain(str(exc)))
    except (msgspec.DecodeError, RecursionError):
        return _refused(index, raw, "event is not valid JSON or nests too deeply")
    problem = _free_form_problem(ev)
    when = moment_problem(ev.ts)
    if when:
        problem = f"ts {when}"
    if problem:
        return Rejected(index=index, id=ev.id, reason=problem)
    return ev


def correct_clock(ts: datetime, sent_at: datetime | None, received_at: datetime) -> datetime:
    """The event's time on the server's clock: the client's clock may be off.

    As Segment does: ``received_at - (sent_at - ts)``, when the client said when it
    sent the batch. An event that claims to come from the future is brought to now.
    ``ts`` has passed :func:`waymark.wire.moment_problem`; a ``sent_at`` outside that window,
    or more than a week off, is not believed and corrects nothing.
    """
    ts = as_utc(ts)
    if sent_at is not None and moment_problem(sent_at) is None:
        offset = received_at - as_utc(sent_at)
        if abs(offset) <= _MAX_SKEW_CORRECTION:
            ts = ts + offset
    return max(min(ts, received_at), TIME_MIN)


@dataclass(slots=True)
class Prepared:
    """Events ready to write, with what the pipeline learnt about their people."""

    events: list[AnyEvent] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    """The batch index of each of ``events``."""
    rejected: list[Rejected] = field(default_factory=list)
    drop_fields: dict[str, list[str]] = field(default_factory=dict)
    """Per tenant: visitor fields never to store."""
    untenanted: dict[str, str | None] = field(default_factory=dict)
    """Visitors who may have events stored without a tenant, with the tenant those events get.

    A visitor is here when no tenant was known for them (or for an id this batch aliases to
    them): this batch gives them their first one, or leaves some of their events without one,
    or a row said they had none. The value is the first tenant this batch gives them, or the
    one already known for the merged visitor; None when the batch gives none (the writer then
    checks whether a concurrent writer did). A visitor whose tenant was known is never here,
    so the usual batch costs nothing more. See :func:`prepare`.
    """


async def prepare(
    session: AsyncSession,
    app_id: str,
    judged: Sequence[tuple[int, AnyEvent | Rejected]],
) -> Prepared:
    """Enrich (aliases, tenant) and filter (tenant opt-out) judged events whose clocks are corrected.

    Tenant attribution does not depend on how events are split into requests or commits:

    - an event without a tenant gets its visitor's tenant as of that event: a group call, or
      any event that names a tenant, takes effect for the visitor's events after it, in time
      order (batch order for equal times), within this batch too, not only from the next one;
    - events of a visitor who had no tenant yet get the first tenant the visitor is given,
      whether they come before it in this batch or were stored earlier (the writer backfills
      those, see :attr:`Prepared.untenanted`);
    - a visitor moving from tenant A to tenant B keeps A on the events before the move: they
      happened under A. Only events without any tenant are ever backfilled.

    An alias in the batch (or the alias a Segment identify implies) makes its previous id the
    same person for this: their events share one tenant. A group call refused because its
    tenant opted out gives the visitor no tenant.
    """
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
    linked = {ev.previous: ev.visitor for _, ev in accepted if isinstance(ev, AliasEvent) and ev.previous != ev.visitor}
    aliases = dict(
        (await session.execute(
            select(VisitorAlias.alias, VisitorAlias.visitor_id).where(
                VisitorAlias.app_id == app_id, VisitorAlias.alias.in_(visitor_ids | set(linked) | set(linked.values()))
            )
        )).all()
    )
    canonical = {v: aliases.get(v, v) for v in visitor_ids}
    # the ids whose events end up as one person's: those sending here, and those an alias here links
    members = set(canonical.values()) | {aliases.get(v, v) for v in linked}
    person = {c: _person(c, linked, aliases) for c in members}
    known_tenant: dict[str, str | None] = dict(
        (await session.execute(
            select(Visitor.id, Visitor.tenant_id).where(
                Visitor.app_id == app_id, Visitor.id.in_(members | set(person.values()))
            )
        )).all()
    )
    explicit = {ev.tenant for _, ev in accepted if ev.tenant}
    tenant_ids = explicit | {t for t in known_tenant.values() if t}
    policies = (
        await session.execute(
            select(Tenant.id, Tenant.opted_out, Tenant.drop_fields).where(
                Tenant.app_id == app_id, Tenant.id.in_(tenant_ids)
            )
        )
    ).all() if tenant_ids else []
    opted_out = {t for t, off, _ in policies if off}
    out.drop_fields = {t: list(fields or []) for t, _, fields in policies if fields}
    keys = [person[canonical[ev.visitor]] for _, ev in accepted]
    tenants, first, left = _attribute(accepted, keys, known_tenant, opted_out)
    for c, p in person.items():
        # Events without a tenant may be stored for p: a row said so, some here stay so, or p gets a first
        # tenant here (another writer may have stored p's first events since this read found no row).
        maybe = p in left or p in first or (c in known_tenant and known_tenant[c] is None)
        given = known_tenant.get(p) or first.get(p)
        if maybe and p not in out.untenanted and given not in opted_out:
            out.untenanted[p] = given
    for (index, ev), tenant in zip(accepted, tenants, strict=True):
        visitor = canonical[ev.visitor]
        changes: dict[str, object] = {}
        if visitor != ev.visitor:
            changes["visitor"] = visitor
        if tenant != ev.tenant and not isinstance(ev, GroupEvent):
            changes["tenant"] = tenant
        if changes:
            ev = msgspec.structs.replace(ev, **changes)
        if ev.tenant in opted_out:
            out.rejected.append(Rejected(index=index, id=ev.id, reason="the tenant has opted out of collection"))
        elif isinstance(ev, AliasEvent) and canonical.get(ev.previous, ev.previous) == ev.visitor:
            out.events.append(ev)  # already linked: stored, changes nothing
            out.indexes.append(index)
        else:
            out.events.append(_without_dropped(ev, out.drop_fields.get(ev.tenant or "", [])))
            out.indexes.append(index)
    return out


def _person(visitor: str, linked: dict[str, str], aliases: dict[str, str]) -> str:
    """Who ``visitor`` is once this batch's aliases are linked too (a chain is followed a few steps)."""
    for _ in range(8):
        target = linked.get(visitor)
        if target is None:
            break
        visitor = aliases.get(target, target)
    return visitor


def _attribute(
    accepted: Sequence[tuple[int, AnyEvent]], keys: Sequence[str], known: dict[str, str | None],
    opted_out: set[str],
) -> tuple[list[str | None], dict[str, str], set[str]]:
    """Each event's tenant; the first tenant given to people who had none; the people left with events without one.

    Order matters only for a person with events both with and without a tenant in this batch,
    so only then are the events walked in time order (stable: batch order breaks ties).
    """
    tenants: list[str | None] = [ev.tenant for _, ev in accepted]
    told = {k for k, t in zip(keys, tenants, strict=True) if t and t not in opted_out}
    order: Sequence[int] = range(len(accepted))
    if any(t is None and k in told for k, t in zip(keys, tenants, strict=True)):
        order = sorted(order, key=lambda j: (as_utc(accepted[j][1].ts), j))
    current = {k: known.get(k) for k in set(keys)}
    first: dict[str, str] = {}
    waiting: dict[str, list[int]] = {}
    for j in order:
        key, tenant = keys[j], tenants[j]
        if tenant is None:
            tenant = tenants[j] = current[key]
            if tenant is None:
                waiting.setdefault(key, []).append(j)
        elif tenant not in opted_out:  # a refused event gives the visitor nothing
            if current[key] is None:
                first[key] = tenant
                for w in waiting.pop(key, ()):
                    tenants[w] = tenant
            current[key] = tenant
    return tenants, first, set(waiting)


def _without_dropped(ev: AnyEvent, fields: list[str]) -> AnyEvent:
    """Identify traits the tenant asked not to keep are removed before anything is written."""
    if fields and isinstance(ev, IdentifyEvent) and any(f in ev.traits for f in fields):
        return msgspec.structs.replace(ev, traits={k: v for k, v in ev.traits.items() if k not in fields})
    return ev
