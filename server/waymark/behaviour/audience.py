"""Who a behavioural report counts: everyone in its scope, or the members of its segment.

The segment (``tenant.plan=pro`` or ``visitor.role=admin``) is read once under the report's scope. A row of
activity is kept when its tenant (tenant segments) or its visitor (visitor segments) is a member; a tenant
counts as a unit when it is a member, or when one of its visitors is (visitor segments).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.segments import segment_members
from waymark.behaviour.trends_math import Row
from waymark.db.scope import Scope

__all__ = ["Audience", "audience", "keep_rows"]


@dataclass(frozen=True, slots=True)
class Audience:
    tenants: frozenset[str] | None
    """Member tenants (tenant segments), else None."""
    visitors: frozenset[str] | None
    """Member visitors (visitor segments), else None."""
    their_tenants: frozenset[str] = frozenset()
    """The tenants of member visitors (visitor segments)."""

    def keeps(self, tenant: str, visitor: str) -> bool:
        """Whether activity of ``visitor`` (in ``tenant``, ``""`` for none) counts."""
        if self.tenants is not None:
            return tenant in self.tenants
        return self.visitors is None or visitor in self.visitors

    def keeps_tenant(self, tenant: str) -> bool:
        """Whether ``tenant`` counts as a unit."""
        if self.tenants is not None:
            return tenant in self.tenants
        return self.visitors is None or tenant in self.their_tenants


async def audience(session: AsyncSession, scope: Scope, segment: str | None) -> Audience | None:
    """The segment's members (``None``: no segment, everyone counts); raises SegmentError."""
    if not segment:
        return None
    members = await segment_members(session, scope, segment)
    if members.subject == "tenant":
        return Audience(members.ids, None)
    return Audience(None, members.ids, frozenset(t for t in members.tenant_of.values() if t))


def keep_rows(rows: list[Row], who: Audience | None) -> list[Row]:
    """The rows of members only."""
    return rows if who is None else [row for row in rows if who.keeps(row[1], row[2])]
