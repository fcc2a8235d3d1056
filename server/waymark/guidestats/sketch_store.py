"""Keeping each guide-day's sketches (:mod:`waymark.guidestats.sketches`) in step with its day rows.

Ingest adds to them (a visitor set only grows); an alias merge or an erasure, which take a
visitor away, recompute the guide-days they touched from the day rows. A late tenant changes
nothing here: the sketches are the whole app's. On PostgreSQL two ingests adding to one
guide-day take turns on its rows (a placeholder row is inserted first, then locked), so neither
overwrites the other's visitors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.db.upsert import insert_for
from waymark.guidestats.fold import FIELDS, Key
from waymark.guidestats.models import GuideDailyStat, GuideDaySketch
from waymark.guidestats.sketches import DayFigures, day_figures, merged

__all__ = ["add_to_sketches", "rebuild_sketches", "recompute_days"]

_SKETCHES: Table = GuideDaySketch.__table__  # type: ignore[assignment]  # declarative maps a Table
_STATS: Table = GuideDailyStat.__table__  # type: ignore[assignment]
_CHUNK = 500
_VALUES = [_STATS.c[f] for f in FIELDS]

GuideDay = tuple[str, date]


def _grouped(rows: Iterable[tuple[str, date, str, Sequence[int]]]) -> dict[GuideDay, DayFigures]:
    by_day: dict[GuideDay, list[tuple[str, Sequence[int]]]] = {}
    for guide, day, visitor, values in rows:
        by_day.setdefault((guide, day), []).append((visitor, values))
    return {key: day_figures(found) for key, found in by_day.items()}


async def _write(session: AsyncSession, app_id: str, values: dict[tuple[str, date, str], tuple[int, bytes | None]]
                 ) -> None:
    if not values:
        return
    ins = insert_for(session, _SKETCHES)
    await session.execute(
        ins.on_conflict_do_update(index_elements=["app_id", "guide_id", "day", "figure"],
                                  set_={"count": ins.excluded.count, "sketch": ins.excluded.sketch}),
        [{"app_id": app_id, "guide_id": g, "day": d, "figure": f, "count": c, "sketch": s}
         for (g, d, f), (c, s) in sorted(values.items())],
    )


async def add_to_sketches(session: AsyncSession, app_id: str, rows: Mapping[Key, list[int]]) -> None:
    """Add day-row increments (as :func:`~waymark.guidestats.store.add_rows` takes them) to the sketches."""
    figures = _grouped((g, d, v, values) for (g, d, _t, v), values in rows.items())
    keys = sorted((g, d, name) for (g, d), fig in figures.items()
                  for name in {*fig.sets, *fig.sums, *(("timed",) if fig.lengths else ())})
    if not keys:
        return
    await session.execute(
        insert_for(session, _SKETCHES).on_conflict_do_nothing(index_elements=["app_id", "guide_id", "day", "figure"]),
        [{"app_id": app_id, "guide_id": g, "day": d, "figure": f, "count": 0, "sketch": None} for g, d, f in keys],
    )
    stored: dict[GuideDay, dict[str, tuple[int, bytes | None]]] = {}
    for start in range(0, len(keys), _CHUNK):
        found: Sequence[Any] = (await session.execute(
            select(_SKETCHES.c.guide_id, _SKETCHES.c.day, _SKETCHES.c.figure, _SKETCHES.c.count, _SKETCHES.c.sketch)
            .where(_SKETCHES.c.app_id == app_id,
                   tuple_(_SKETCHES.c.guide_id, _SKETCHES.c.day, _SKETCHES.c.figure).in_(keys[start:start + _CHUNK]))
            .order_by(_SKETCHES.c.guide_id, _SKETCHES.c.day, _SKETCHES.c.figure)
            .with_for_update()
        )).all()
        for guide, day, name, count, blob in found:
            stored.setdefault((guide, day), {})[name] = (int(count), blob)
    values: dict[tuple[str, date, str], tuple[int, bytes | None]] = {}
    for (guide, day), fig in figures.items():
        for name, value in merged(fig, stored.get((guide, day), {})).items():
            values[(guide, day, name)] = value
    await _write(session, app_id, values)


async def recompute_days(session: AsyncSession, app_id: str, guide_days: Iterable[GuideDay]) -> None:
    """Recompute these guide-days' sketches from their day rows (after rows were moved or deleted)."""
    wanted = sorted(set(guide_days))
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        await session.execute(delete(_SKETCHES).where(
            _SKETCHES.c.app_id == app_id, tuple_(_SKETCHES.c.guide_id, _SKETCHES.c.day).in_(chunk)))
        found = (await session.execute(
            select(_STATS.c.guide_id, _STATS.c.day, _STATS.c.visitor_id, *_VALUES)
            .where(_STATS.c.app_id == app_id, tuple_(_STATS.c.guide_id, _STATS.c.day).in_(chunk))
        )).all()
        await _write(session, app_id, _fresh(_grouped((r[0], r[1], r[2], r[3:]) for r in found)))


def _fresh(figures: Mapping[GuideDay, DayFigures]) -> dict[tuple[str, date, str], tuple[int, bytes | None]]:
    return {(g, d, name): value for (g, d), fig in figures.items() for name, value in merged(fig, {}).items()}


async def rebuild_sketches(session: AsyncSession, app_id: str) -> None:
    """Every sketch of the app recomputed from its day rows (after a bulk load or a rebuild of the rows)."""
    await session.execute(delete(_SKETCHES).where(_SKETCHES.c.app_id == app_id))
    days = (await session.execute(
        select(_STATS.c.guide_id, _STATS.c.day).where(_STATS.c.app_id == app_id).distinct()
        .order_by(_STATS.c.guide_id, _STATS.c.day))).tuples().all()
    for start in range(0, len(days), _CHUNK):
        chunk = days[start:start + _CHUNK]
        found = (await session.execute(
            select(_STATS.c.guide_id, _STATS.c.day, _STATS.c.visitor_id, *_VALUES)
            .where(_STATS.c.app_id == app_id, tuple_(_STATS.c.guide_id, _STATS.c.day).in_(chunk))
        )).all()
        await _write(session, app_id, _fresh(_grouped((r[0], r[1], r[2], r[3:]) for r in found)))
