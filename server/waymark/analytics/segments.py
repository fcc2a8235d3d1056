"""The report filter ``segment``: ``tenant.<field>=<value>`` or ``visitor.<field>=<value>`` over stored metadata.

A metadata value matches when it is that text, or a number or boolean written that way
(``tenant.seats=25``, ``visitor.admin=true``), or a list holding one of those. Members are read
under the report's scope: a tenant's report only ever sees that tenant's visitors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.db.models import Tenant, Visitor
from waymark.db.scope import Scope

__all__ = ["SegmentError", "SegmentMembers", "matches", "parse", "segment_members"]

_SEGMENT = re.compile(r"(tenant|visitor)\.([A-Za-z_][A-Za-z0-9_]{0,63})=(.{1,200})", re.DOTALL)


class SegmentError(ValueError):
    """A segment that cannot be read; the message says how to write one."""


@dataclass(frozen=True, slots=True)
class SegmentMembers:
    """Who a segment selects: tenant ids (``subject == "tenant"``) or visitor ids with their tenant."""

    subject: Literal["tenant", "visitor"]
    ids: frozenset[str]
    tenant_of: dict[str, str | None]
    """For visitor segments: each member's tenant (None: no tenant); empty for tenant segments."""


def parse(segment: str) -> tuple[Literal["tenant", "visitor"], str, str]:
    """(subject, field, value) of ``tenant.plan=pro``; raises SegmentError."""
    found = _SEGMENT.fullmatch(segment.strip())
    if found is None or not found.group(3).strip():
        raise SegmentError(f"segment {segment[:80]!r} is not understood: write tenant.<field>=<value> or "
                           "visitor.<field>=<value> (for example tenant.plan=pro)")
    subject: Literal["tenant", "visitor"] = "tenant" if found.group(1) == "tenant" else "visitor"
    return subject, found.group(2), found.group(3).strip()


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return value if isinstance(value, str) else None


def matches(meta: Any, field: str, value: str) -> bool:
    """Whether ``meta[field]`` is ``value`` (as text), or a list holding it."""
    if not isinstance(meta, dict) or field not in meta:
        return False
    found = meta[field]
    items = found if isinstance(found, list) else [found]
    return any(_text(item) == value for item in items)


def _contains(value: str) -> str | None:
    """A LIKE pattern that the stored JSON of a matching value surely contains, or None when unsure."""
    if not value.isascii() or not value.isprintable() or '"' in value or "\\" in value:
        return None
    return "%" + value.replace("%", "\\%").replace("_", "\\_") + "%"


async def segment_members(session: AsyncSession, scope: Scope, segment: str) -> SegmentMembers:
    """The tenants or visitors of ``scope`` that ``segment`` selects; raises SegmentError when unreadable."""
    subject, field, value = parse(segment)
    pattern = _contains(value)
    model: Any = Tenant if subject == "tenant" else Visitor
    query = select(model.id, model.meta).where(model.app_id == scope.app_id)
    if scope.tenant_id is not None:
        query = query.where((Tenant.id if subject == "tenant" else Visitor.tenant_id) == scope.tenant_id)
    if pattern is not None:
        query = query.where(cast(model.meta, Text).like(pattern, escape="\\"))
    if subject == "tenant":
        rows = (await session.execute(query)).tuples().all()
        return SegmentMembers("tenant", frozenset(i for i, meta in rows if matches(meta, field, value)), {})
    rows = (await session.execute(query.add_columns(Visitor.tenant_id))).tuples().all()
    tenant_of = {i: t for i, meta, t in rows if matches(meta, field, value)}
    return SegmentMembers("visitor", frozenset(tenant_of), tenant_of)
