"""Track events whose name the lexicon blocks: refused one by one with a typed reason, and counted per name and day.

The blocked names come from the app's runtime profile (memory, refreshed when the lexicon
changes), so deciding costs a set lookup per track event and no query; the counts are added
in the ingest transaction by one statement per batch (see :func:`count_blocked`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.db.lexicon_models import BlockedEventDay
from waymark.db.upsert import insert_for
from waymark.events.schemas import BLOCKED_EVENT, AnyEvent, Rejected, TrackEvent

__all__ = ["BlockedCounts", "count_blocked", "drop_blocked", "merge_counts"]

BlockedCounts = dict[tuple[str, date], int]
"""(event name, UTC day of the event) → events dropped."""
_TABLE: Table = BlockedEventDay.__table__  # type: ignore[assignment]  # declarative maps a Table


def drop_blocked(
    judged: Sequence[tuple[int, AnyEvent | Rejected]], blocked: frozenset[str]
) -> tuple[list[tuple[int, AnyEvent | Rejected]], BlockedCounts]:
    """``judged`` with each track event of a blocked name replaced by its refusal, and what was dropped.

    Events keep their batch index, so good events of the same batch go on unchanged. ``ts`` is
    expected already corrected to the server's clock: the day counted is the event's own day.
    """
    if not blocked:
        return list(judged), {}
    out: list[tuple[int, AnyEvent | Rejected]] = []
    counts: BlockedCounts = {}
    for index, ev in judged:
        if isinstance(ev, TrackEvent) and ev.name in blocked:
            key = (ev.name, as_utc(ev.ts).date())
            counts[key] = counts.get(key, 0) + 1
            ev = Rejected(index=index, id=ev.id, code=BLOCKED_EVENT,
                          reason=f"the event name {ev.name!r} is blocked in the app's lexicon")
        out.append((index, ev))
    return out, counts


def merge_counts(parts: Sequence[Mapping[tuple[str, date], int]]) -> BlockedCounts:
    merged: BlockedCounts = {}
    for part in parts:
        for key, n in part.items():
            merged[key] = merged.get(key, 0) + n
    return merged


@cache
def _upsert_for(dialect: str) -> Any:
    ins = insert_for(dialect, _TABLE)
    return ins.on_conflict_do_update(index_elements=["app_id", "name", "day"],
                                     set_={"count": _TABLE.c.count + ins.excluded.count})


async def count_blocked(session: AsyncSession, app_id: str, counts: Mapping[tuple[str, date], int]) -> None:
    """Add the dropped events to the per-day counters (in key order: concurrent writers never deadlock)."""
    if not counts:
        return
    await session.execute(
        _upsert_for(session.get_bind().dialect.name),
        [{"app_id": app_id, "name": name, "day": day, "count": n} for (name, day), n in sorted(counts.items())],
    )
