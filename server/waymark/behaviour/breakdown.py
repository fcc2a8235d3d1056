"""A report's breakdown by one property: ``visitor.<field>``, ``tenant.<field>``, ``browser`` or ``language``.

Metadata fields are read from ``visitors.meta`` / ``tenants.meta`` (the value now, written as text: ``true``,
``25``); a row of a visitor or tenant without the field, or without a tenant, is in the group ``(none)``.
Browser and language are the roll-up's ``browser`` / ``language`` kinds, counted from page views: a row is
in the browser the visitor viewed most pages with that day, or, on a day without page views, in the one
they used most over the range.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.behaviour.trends_math import NONE, Row
from waymark.db.models import DailyUsage, Tenant, Visitor

__all__ = ["Breakdown", "BreakdownError", "grouping", "parse_breakdown", "value_text"]

_FIELD = re.compile(r"(visitor|tenant)\.([A-Za-z_][A-Za-z0-9_]{0,63})")
_MAX_VALUE = 200


class BreakdownError(ValueError):
    """A breakdown that cannot be read; the message says what is offered."""


@dataclass(frozen=True, slots=True)
class Breakdown:
    kind: Literal["visitor", "tenant", "browser", "language"]
    field: str | None = None

    def text(self) -> str:
        return f"{self.kind}.{self.field}" if self.field else self.kind


def parse_breakdown(text: str | None) -> Breakdown | None:
    """``visitor.plan``, ``tenant.industry``, ``browser`` or ``language``; empty means none."""
    raw = (text or "").strip()
    if not raw:
        return None
    if raw in ("browser", "language"):
        return Breakdown(raw)  # type: ignore[arg-type]  # narrowed by the tuple above
    found = _FIELD.fullmatch(raw)
    if found is None:
        raise BreakdownError(f"breakdown={raw[:80]!r} is not offered: write visitor.<field>, tenant.<field>, "
                             "browser or language")
    return Breakdown("visitor" if found.group(1) == "visitor" else "tenant", found.group(2))


def value_text(value: Any) -> str | None:
    """A metadata value as the group's name (``None``: absent)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value) if isinstance(value, int | float | str) else msgspec.json.encode(value).decode()
    return text[:_MAX_VALUE] or None


async def _meta_values(session: AsyncSession, app_id: str, breakdown: Breakdown) -> dict[str, str]:
    model: Any = Visitor if breakdown.kind == "visitor" else Tenant
    rows = (await session.execute(select(model.id, model.meta[breakdown.field]).where(model.app_id == app_id))).all()
    return {str(ident): text for ident, value in rows if (text := value_text(value)) is not None}


async def _client_values(session: AsyncSession, app_id: str, kind: str, start: date, end: date
                         ) -> tuple[dict[tuple[date, str], str], dict[str, str]]:
    """(each visitor-day's most used value, each visitor's most used value over the range)."""
    rows = (await session.execute(
        select(DailyUsage.day, DailyUsage.visitor_id, DailyUsage.key, DailyUsage.count).where(
            DailyUsage.app_id == app_id, DailyUsage.kind == kind, DailyUsage.day >= start, DailyUsage.day <= end)
    )).all()
    best_day: dict[tuple[date, str], tuple[int, str]] = {}
    overall: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, visitor, key, count in rows:
        known = best_day.get((day, visitor))
        if known is None or (count, key) > known:  # ties: the greater name, so the choice never depends on order
            best_day[(day, visitor)] = (count, key)
        overall[visitor][key] += count
    by_visitor = {visitor: max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0] for visitor, counts in overall.items()}
    return {k: v[1] for k, v in best_day.items()}, by_visitor


async def grouping(session: AsyncSession, app_id: str, breakdown: Breakdown, start: date, end: date
                   ) -> Callable[[Row], str]:
    """Each row's group under the breakdown (:data:`NONE` when it has no value)."""
    if breakdown.kind == "visitor":
        visitors = await _meta_values(session, app_id, breakdown)
        return lambda row: visitors.get(row[2], NONE)
    if breakdown.kind == "tenant":
        tenants = await _meta_values(session, app_id, breakdown)
        return lambda row: tenants.get(row[1], NONE) if row[1] else NONE
    per_day, per_visitor = await _client_values(session, app_id, breakdown.kind, start, end)
    return lambda row: per_day.get((row[0], row[2])) or per_visitor.get(row[2], NONE)
