"""Writing the guide figures: day rows grow by addition, showings open and close; aliases and tenants move rows
(and an alias or an erasure recomputes the guide-days' sketches they touched)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, case, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.db.upsert import insert_for
from waymark.guidestats.fold import FIELDS, GuideFold, Key
from waymark.guidestats.models import GuideDailyStat, GuideRun
from waymark.guidestats.sketch_store import recompute_days

__all__ = ["add_rows", "assign_tenant", "erase_visitors", "load_runs", "merge_visitor", "save_runs"]

_STATS: Table = GuideDailyStat.__table__  # type: ignore[assignment]  # declarative maps a Table
_RUNS: Table = GuideRun.__table__  # type: ignore[assignment]
_PK = ("app_id", "guide_id", "day", "tenant_id", "visitor_id")
_DAYS_A_STATEMENT = 500
"""Values in one IN list (day lists, run pairs): far below every database's parameter limit."""


@cache
def _upsert_for(dialect_name: str) -> Any:
    ins = insert_for(dialect_name, _STATS)
    grow: dict[str, Any] = {f: _STATS.c[f] + ins.excluded[f] for f in FIELDS if f != "top_step"}
    grow["top_step"] = case((ins.excluded.top_step > _STATS.c.top_step, ins.excluded.top_step),
                            else_=_STATS.c.top_step)
    return ins.on_conflict_do_update(index_elements=list(_PK), set_=grow)


async def add_rows(session: AsyncSession, app_id: str, rows: Mapping[Key, list[int]]) -> None:
    """Add the increments to the stored rows, in key order (concurrent writers never deadlock)."""
    if not rows:
        return
    items = [
        {"app_id": app_id, "guide_id": guide, "day": day, "tenant_id": tenant, "visitor_id": visitor,
         **dict(zip(FIELDS, values, strict=True))}
        for (guide, day, tenant, visitor), values in sorted(rows.items())
    ]
    await session.execute(_upsert_for(session.get_bind().dialect.name), items)


async def load_runs(session: AsyncSession, app_id: str, pairs: Iterable[tuple[str, str]]
                    ) -> dict[tuple[str, str], datetime]:
    """The open showings among (guide, visitor) pairs."""
    wanted = sorted(set(pairs))
    found: dict[tuple[str, str], datetime] = {}
    for start in range(0, len(wanted), _DAYS_A_STATEMENT):
        rows: Sequence[Any] = (await session.execute(
            select(_RUNS.c.guide_id, _RUNS.c.visitor_id, _RUNS.c.started_at).where(
                _RUNS.c.app_id == app_id,
                tuple_(_RUNS.c.guide_id, _RUNS.c.visitor_id).in_(wanted[start:start + _DAYS_A_STATEMENT]),
            )
        )).all()
        found.update({(g, v): as_utc(at) for g, v, at in rows})
    return found


async def save_runs(session: AsyncSession, app_id: str, fold: GuideFold, known: Mapping[tuple[str, str], datetime]
                    ) -> None:
    """Store what the fold changed: showings opened, showings ended (and not opened again)."""
    gone = sorted(run for run in fold.ended if run not in fold.runs and run in known)
    for start in range(0, len(gone), _DAYS_A_STATEMENT):
        chunk = gone[start:start + _DAYS_A_STATEMENT]
        await session.execute(delete(_RUNS).where(
            _RUNS.c.app_id == app_id, tuple_(_RUNS.c.guide_id, _RUNS.c.visitor_id).in_(chunk)))
    opened = sorted((run, at) for run, at in fold.runs.items() if known.get(run) != at)
    if opened:
        ins = insert_for(session, _RUNS)
        await session.execute(
            ins.on_conflict_do_update(index_elements=["app_id", "guide_id", "visitor_id"],
                                      set_={"started_at": ins.excluded.started_at}),
            [{"app_id": app_id, "guide_id": g, "visitor_id": v, "started_at": at} for (g, v), at in opened],
        )


def _rows_of(found: Sequence[Any], tenant: str | None = None, visitor: str | None = None) -> dict[Key, list[int]]:
    moved: dict[Key, list[int]] = {}
    for r in found:
        key = (r.guide_id, r.day, tenant if tenant is not None else r.tenant_id,
               visitor if visitor is not None else r.visitor_id)
        moved[key] = [getattr(r, f) for f in FIELDS]
    return moved


_RETURNED = (_STATS.c.guide_id, _STATS.c.day, _STATS.c.tenant_id, _STATS.c.visitor_id,
             *(_STATS.c[f] for f in FIELDS))


async def merge_visitor(session: AsyncSession, app_id: str, previous: str, visitor: str) -> None:
    """Identity resolution: the anonymous id's rows and open showings become the visitor's."""
    found = (await session.execute(
        delete(_STATS).where(_STATS.c.app_id == app_id, _STATS.c.visitor_id == previous).returning(*_RETURNED)
    )).all()
    await add_rows(session, app_id, _rows_of(found, visitor=visitor))
    await recompute_days(session, app_id, {(r.guide_id, r.day) for r in found})
    runs = (await session.execute(
        delete(_RUNS).where(_RUNS.c.app_id == app_id, _RUNS.c.visitor_id == previous)
        .returning(_RUNS.c.guide_id, _RUNS.c.started_at)
    )).all()
    if runs:
        # A showing the visitor already has open under their own id is the one that goes on.
        await session.execute(
            insert_for(session, _RUNS).on_conflict_do_nothing(index_elements=["app_id", "guide_id", "visitor_id"]),
            [{"app_id": app_id, "guide_id": g, "visitor_id": visitor, "started_at": at} for g, at in sorted(runs)],
        )


async def assign_tenant(session: AsyncSession, app_id: str, visitor: str, tenant: str, days: Iterable[date]
                        ) -> None:
    """The visitor's rows counted without a tenant on ``days`` move to ``tenant`` (idempotent)."""
    wanted = sorted(set(days))
    for start in range(0, len(wanted), _DAYS_A_STATEMENT):
        found = (await session.execute(
            delete(_STATS).where(
                _STATS.c.app_id == app_id, _STATS.c.day.in_(wanted[start:start + _DAYS_A_STATEMENT]),
                _STATS.c.tenant_id == "", _STATS.c.visitor_id == visitor,
            ).returning(*_RETURNED)
        )).all()
        await add_rows(session, app_id, _rows_of(found, tenant=tenant))


async def erase_visitors(session: AsyncSession, app_id: str, ids: Sequence[str]) -> int:
    """Delete the figures' rows of these visitor ids (an erasure); returns how many (the caller commits).

    The guide-days they counted in have their sketches recomputed without them.
    """
    touched = (await session.execute(
        select(_STATS.c.guide_id, _STATS.c.day).where(_STATS.c.app_id == app_id, _STATS.c.visitor_id.in_(list(ids)))
        .distinct())).tuples().all()
    deleted = 0
    for table in (_STATS, _RUNS):
        result = await session.execute(
            delete(table).where(table.c.app_id == app_id, table.c.visitor_id.in_(list(ids)))
            .execution_options(synchronize_session=False)
        )
        deleted += int(result.rowcount or 0)  # type: ignore[attr-defined]  # DML gives a CursorResult
    await recompute_days(session, app_id, touched)
    return deleted
