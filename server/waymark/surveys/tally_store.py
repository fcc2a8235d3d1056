"""Keeping the day tallies (:class:`~waymark.surveys.models.SurveyDayTally`) in step with the stored answers.

Every change to the answers goes through here: new answers (ingest), answers moved to another
visitor (an alias), answers deleted (erasure, retention). Each one adds or takes away the
answers' tallies and then re-reads the chains of the visitors concerned (their answers to one
question in time order), so that an answer replaced by a later one moves to the ``until`` of
its replacement. Tallies change by addition (``count = count + n``), so concurrent ingests
never lose one another's; the day's ``visitors`` sketch is locked while it grows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.db.upsert import insert_for
from waymark.guidestats.sketches import visitor_set
from waymark.surveys.models import NEVER, SurveyAnswer, SurveyDayTally
from waymark.surveys.tallies import Delta, TalliedAnswer, deltas, replacements

__all__ = ["TALLIED", "add_answers", "answers_of", "move_answers", "rebuild_tallies", "recount_visitors",
           "remove_answers"]

_TALLIES: Table = SurveyDayTally.__table__  # type: ignore[assignment]  # declarative maps a Table
_ANSWERS: Table = SurveyAnswer.__table__  # type: ignore[assignment]
_CHUNK = 500
_PK = ["app_id", "guide_id", "question", "day", "until", "item"]
TALLIED = (_ANSWERS.c.id, _ANSWERS.c.guide_id, _ANSWERS.c.kind, _ANSWERS.c.question, _ANSWERS.c.visitor_id,
            _ANSWERS.c.ts, _ANSWERS.c.score, _ANSWERS.c.choices, _ANSWERS.c.comment, _ANSWERS.c.replaced_at)

"""The columns of :class:`~waymark.surveys.tallies.TalliedAnswer`, in its order."""

Chain = tuple[str, str, str]
"""(visitor, guide, question)."""


async def answers_of(session: AsyncSession, app_id: str, where: Sequence[Any]) -> list[TalliedAnswer]:
    """The app's answers matching ``where`` (clauses on :class:`SurveyAnswer`), as the tallies read them."""
    rows = (await session.execute(select(*TALLIED).where(_ANSWERS.c.app_id == app_id, *where))).all()
    return [TalliedAnswer._make(r) for r in rows]


async def _apply(session: AsyncSession, app_id: str, changes: Mapping[Delta, int]) -> None:
    rows = [{"app_id": app_id, "guide_id": g, "question": q, "day": d, "until": u, "item": i, "count": n}
            for (g, q, d, u, i), n in sorted(changes.items()) if n]
    if not rows:
        return
    ins = insert_for(session, _TALLIES)
    await session.execute(
        ins.on_conflict_do_update(index_elements=_PK, set_={"count": _TALLIES.c.count + ins.excluded.count}), rows)


def _add(into: dict[Delta, int], changes: Mapping[Delta, int]) -> None:
    for key, n in changes.items():
        into[key] = into.get(key, 0) + n


async def _rechain(session: AsyncSession, app_id: str, chains: Iterable[Chain]) -> None:
    """Re-read these chains and move each answer whose replacement changed to its new ``until``."""
    wanted = sorted(set(chains))
    changes: dict[Delta, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        found = await answers_of(session, app_id, [
            tuple_(_ANSWERS.c.visitor_id, _ANSWERS.c.guide_id, _ANSWERS.c.question).in_(wanted[start:start + _CHUNK])])
        by_chain: dict[Chain, list[TalliedAnswer]] = {}
        for answer in found:
            by_chain.setdefault((answer.visitor_id, answer.guide_id, answer.question), []).append(answer)
        moved: list[dict[str, Any]] = []
        for chain in by_chain.values():
            nexts = replacements(chain)
            for answer in chain:
                replaced = nexts[answer.id]
                stored = as_utc(answer.replaced_at) if answer.replaced_at is not None else None
                if replaced == stored:
                    continue
                _add(changes, deltas(answer, -1, answer.replaced_at))
                _add(changes, deltas(answer, 1, replaced))
                moved.append({"answer_id": answer.id, "replaced": replaced})
        if moved:
            await session.execute(
                update(_ANSWERS).where(_ANSWERS.c.id == bindparam("answer_id"))
                .values(replaced_at=bindparam("replaced")).execution_options(synchronize_session=False), moved)
    await _apply(session, app_id, changes)


async def add_answers(session: AsyncSession, app_id: str, added: Sequence[TalliedAnswer]) -> None:
    """Count answers just stored (as their visitors' latest), then settle their chains."""
    if not added:
        return
    changes: dict[Delta, int] = {}
    for answer in added:
        _add(changes, deltas(answer, 1, None))
    await _apply(session, app_id, changes)
    await _grow_visitors(session, app_id, added)
    await _rechain(session, app_id, {(a.visitor_id, a.guide_id, a.question) for a in added})


async def rebuild_tallies(session: AsyncSession, app_id: str) -> None:
    """Count every stored answer of the app again (after answers were written around the projection, or a repair)."""
    await session.execute(delete(_TALLIES).where(_TALLIES.c.app_id == app_id))
    await session.execute(update(_ANSWERS).where(_ANSWERS.c.app_id == app_id).values(replaced_at=None)
                          .execution_options(synchronize_session=False))
    await add_answers(session, app_id, await answers_of(session, app_id, []))


async def move_answers(session: AsyncSession, app_id: str, previous: str, visitor: str) -> None:
    """An alias: ``previous``'s answers become ``visitor``'s (their chains merge, the days' visitors are recounted)."""
    found = await answers_of(session, app_id, [_ANSWERS.c.visitor_id == previous])
    if not found:
        return
    await session.execute(
        update(_ANSWERS).where(_ANSWERS.c.app_id == app_id, _ANSWERS.c.visitor_id == previous)
        .values(visitor_id=visitor).execution_options(synchronize_session=False))
    await _rechain(session, app_id, {(visitor, a.guide_id, a.question) for a in found})
    await recount_visitors(session, app_id, {(a.guide_id, as_utc(a.ts).date()) for a in found})


async def remove_answers(session: AsyncSession, app_id: str, victims: Sequence[TalliedAnswer]) -> None:
    """Delete these answers and take their tallies away (an erasure, or retention's purge).

    A remaining answer that one of them replaced becomes its chain's latest again.
    """
    if not victims:
        return
    changes: dict[Delta, int] = {}
    for answer in victims:
        _add(changes, deltas(answer, -1, answer.replaced_at))
    await _apply(session, app_id, changes)
    ids = sorted(a.id for a in victims)
    for start in range(0, len(ids), _CHUNK):
        await session.execute(delete(_ANSWERS).where(_ANSWERS.c.app_id == app_id,
                                                     _ANSWERS.c.id.in_(ids[start:start + _CHUNK]))
                              .execution_options(synchronize_session=False))
    await _rechain(session, app_id, {(a.visitor_id, a.guide_id, a.question) for a in victims})
    await recount_visitors(session, app_id, {(a.guide_id, as_utc(a.ts).date()) for a in victims})


def _visitors_key(guide: str, day: date) -> dict[str, Any]:
    return {"guide_id": guide, "question": "", "day": day, "until": NEVER, "item": "visitors"}


async def _grow_visitors(session: AsyncSession, app_id: str, added: Sequence[TalliedAnswer]) -> None:
    by_day: dict[tuple[str, date], set[str]] = {}
    for answer in added:
        by_day.setdefault((answer.guide_id, as_utc(answer.ts).date()), set()).add(answer.visitor_id)
    everything = sorted(by_day)
    t = _TALLIES.c
    for start in range(0, len(everything), _CHUNK):
        keys = everything[start:start + _CHUNK]
        await session.execute(insert_for(session, _TALLIES).on_conflict_do_nothing(index_elements=_PK), [
            {"app_id": app_id, **_visitors_key(g, d), "count": 0, "sketch": None} for g, d in keys])
        stored = dict(((g, d), blob) for g, d, blob in (await session.execute(
            select(t.guide_id, t.day, t.sketch).where(
                t.app_id == app_id, t.question == "", t.until == NEVER, t.item == "visitors",
                tuple_(t.guide_id, t.day).in_(keys))
            .order_by(t.guide_id, t.day).with_for_update()
        )).tuples().all())
        await _write_visitors(session, app_id, {key: visitor_set(by_day[key], stored.get(key)) for key in keys})


async def _write_visitors(session: AsyncSession, app_id: str, values: Mapping[tuple[str, date], tuple[int, bytes]]
                          ) -> None:
    if not values:
        return
    ins = insert_for(session, _TALLIES)
    await session.execute(
        ins.on_conflict_do_update(index_elements=_PK, set_={"count": ins.excluded.count,
                                                            "sketch": ins.excluded.sketch}),
        [{"app_id": app_id, **_visitors_key(g, d), "count": n, "sketch": blob}
         for (g, d), (n, blob) in sorted(values.items())])


async def recount_visitors(session: AsyncSession, app_id: str, guide_days: Iterable[tuple[str, date]]) -> None:
    """Recompute these days' ``visitors`` sketches from the answers stored (after answers moved or went)."""
    wanted = sorted(set(guide_days))
    t = _TALLIES.c
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        asked = set(chunk)
        await session.execute(delete(_TALLIES).where(
            t.app_id == app_id, t.question == "", t.until == NEVER, t.item == "visitors",
            tuple_(t.guide_id, t.day).in_(chunk)))
        guides = sorted({g for g, _ in chunk})
        first, last = min(d for _, d in chunk), max(d for _, d in chunk)
        by_day: dict[tuple[str, date], set[str]] = {}
        for answer in await answers_of(session, app_id, [
                _ANSWERS.c.guide_id.in_(guides), _ANSWERS.c.ts >= _midnight(first),
                _ANSWERS.c.ts < _midnight(last, 1)]):
            key = (answer.guide_id, as_utc(answer.ts).date())
            if key in asked:
                by_day.setdefault(key, set()).add(answer.visitor_id)
        await _write_visitors(session, app_id, {key: visitor_set(who, None) for key, who in by_day.items()})


def _midnight(day: date, plus: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=plus), time(), UTC)
