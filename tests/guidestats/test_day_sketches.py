"""The guide-days' sketches: what the whole app's guide figures read, kept in step with the per-visitor day rows.

After each change that moves or removes rows (ingest, a late tenant, an alias merge, an erasure,
retention's purge) the whole app's report, read from the sketches, must equal the same report
counted exactly from the rows (a visitor segment of everyone), and a brute-force count of the
events sent.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.guidestats.helpers import TOUR, guide_event, report, send
from tests.support import erase, make_app, purge, push
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.guidestats.figures import median_of_runs, step_reach
from waymark.guidestats.models import GuideDailyStat, GuideDaySketch
from waymark.guidestats.schemas import GuideReport
from waymark.guidestats.sketches import day_figures, merged, read_range
from waymark.settings import Settings

_FIGURES = ("views", "visitors", "completed", "dismissed", "snoozed", "anchor_missing", "anchor_missing_visitors",
            "timed", "median_ms")


def _brute(rows: list[tuple[str, list[int]]]) -> dict[str, Any]:
    """Figures counted by hand from (visitor, day-row values) rows of a range."""
    seen = {v for v, r in rows if r[0] > 0}
    tops: dict[str, int] = {}
    for v, r in rows:
        if r[1] >= 0:
            tops[v] = max(tops.get(v, -1), r[1])
    per_top: dict[int, int] = {}
    for top in tops.values():
        per_top[top] = per_top.get(top, 0) + 1
    return {
        "views": sum(r[0] for _, r in rows), "visitors": len(seen),
        "completed": len(seen & {v for v, r in rows if r[2] > 0}),
        "dismissed": len(seen & {v for v, r in rows if r[3] > 0}),
        "snoozed": len(seen & {v for v, r in rows if r[4] > 0}),
        "anchored": len({v for v, r in rows if r[5] > 0}), "anchor_events": sum(r[5] for _, r in rows),
        "reach": [s.visitors for s in step_reach(per_top, [])],
        "median": median_of_runs((r[6], r[7]) for _, r in rows if r[6] > 0),
    }


def test_merged_day_sketches_count_what_a_brute_force_count_of_the_rows_gives() -> None:
    rng = random.Random(7)
    rows = [(f"v{rng.randrange(60)}", [rng.choice((0, 0, 1, 2)), rng.randrange(-1, 4), rng.choice((0, 0, 1)),
                                        rng.choice((0, 0, 1)), rng.choice((0, 1)), rng.choice((0, 0, 0, 2)),
                                        t := rng.choice((0, 0, 1, 2)), t * rng.randrange(1000, 90_000)])
            for _ in range(400)]
    days = [rows[i::5] for i in range(5)]
    stored: list[tuple[str, int, bytes | None]] = []
    for day_rows in days:
        # a day grows by increments (ingest batches), as the projection adds them
        kept: dict[str, tuple[int, bytes | None]] = {}
        for start in range(0, len(day_rows), 17):
            kept.update(merged(day_figures(day_rows[start:start + 17]), kept))
        stored += [(name, count, blob) for name, (count, blob) in kept.items()]
    got = read_range(stored)
    want = _brute(rows)
    assert (got.views, got.visitors, got.completed, got.dismissed, got.snoozed, got.anchored, got.anchor_events) == (
        want["views"], want["visitors"], want["completed"], want["dismissed"], want["snoozed"], want["anchored"],
        want["anchor_events"])
    assert [s.visitors for s in step_reach(got.reach, [])] == want["reach"]
    assert median_of_runs(got.lengths) == want["median"]


async def _rows(settings: Settings, app_id: str) -> tuple[set[str], list[tuple[str, list[int]]]]:
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            s = GuideDailyStat
            found = (await session.execute(select(
                s.visitor_id, s.seen, s.top_step, s.completed, s.dismissed, s.snoozed, s.anchor_missing, s.timed,
                s.timed_ms).where(s.app_id == app_id, s.guide_id == "tour"))).all()
            sketches = await session.scalar(select(GuideDaySketch.app_id).where(GuideDaySketch.app_id == app_id))
            assert sketches is not None or not found
    finally:
        await engine.dispose()
    return {r[0] for r in found}, [(r[0], list(r[1:])) for r in found]


async def _check(settings: Settings, app_id: str, start: date, end: date) -> GuideReport:
    """The sketched report equals the exact one and the brute force of the rows; returns it."""
    everyone, rows = await _rows(settings, app_id)
    sketched = await report(settings, app_id, start=start, end=end)
    exact = await report(settings, app_id, start=start, end=end, visitors=everyone or {"nobody"})
    assert [getattr(sketched, f) for f in _FIGURES] == [getattr(exact, f) for f in _FIGURES]
    assert [s.visitors for s in sketched.steps] == [s.visitors for s in exact.steps]
    assert sketched.days == exact.days
    want = _brute(rows)  # every row is in the range here
    assert (sketched.views, sketched.visitors, sketched.completed, sketched.dismissed, sketched.snoozed) == (
        want["views"], want["visitors"], want["completed"], want["dismissed"], want["snoozed"])
    return sketched


async def test_the_sketches_follow_ingest_a_late_tenant_an_alias_erasure_and_retention(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    assert (await push(client, app.secret_key, {"tour.yaml": TOUR})).status_code == 200
    e = guide_event
    day = 86400.0
    await send(client, app.public_key, [
        e("guide_seen", "ana", -2 * day, 0, "acme"), e("guide_step_advanced", "ana", -2 * day + 5, 1, "acme"),
        e("guide_completed", "ana", -2 * day + 30, 1, "acme"),
        e("guide_seen", "ben", 0, 0, "acme"), e("guide_dismissed", "ben", 40, 0, "acme"),
        e("guide_seen", "anon-1", 10, 0), e("guide_step_advanced", "anon-1", 20, 2),
        e("guide_seen", "eve", 0, 0), e("guide_completed", "eve", 90, 2),
        e("guide_anchor_missing", "dee", 5, 0, "globex", anchor="#x", waited_ms=3000),
    ])
    today = datetime.now(UTC).date()
    start, end = today - timedelta(days=3), today
    first = await _check(settings, app.id, start, end)
    assert (first.visitors, first.completed, first.dismissed) == (4, 2, 1)

    # eve's next event names her tenant; anon-1 turns out to be ana (who already saw it two days ago)
    await send(client, app.public_key, [
        {"id": "eve-page", "type": "page", "ts": e("x", "eve", 100)["ts"], "visitor": "eve", "tenant": "initech",
         "url": "https://h/"},
        {"id": "alias-1", "type": "alias", "ts": e("x", "ana", 50)["ts"], "visitor": "ana", "tenant": "acme",
         "previous": "anon-1"},
        e("guide_seen", "ana", 60, 0, "acme"),
    ])
    merged_report = await _check(settings, app.id, start, end)
    assert merged_report.visitors == 3  # ana, ben, eve
    assert [s.visitors for s in merged_report.steps] == [3, 1, 1]  # ana reached step 3 as anon-1

    await erase(settings, app.id, "ben")
    erased = await _check(settings, app.id, start, end)
    assert (erased.visitors, erased.dismissed) == (2, 0)

    # Retention purges events, not the figures: the report stays what it was.
    kept = await client.put("/api/v1/settings", json={"honor_dnt": False, "retention_days": 1},
                            headers={"Authorization": f"Bearer {app.secret_key}"})
    assert kept.status_code == 200, kept.text
    purged = await purge(settings, chunk=2)
    assert purged[app.id] > 0
    after = await _check(settings, app.id, start, end)
    assert [getattr(after, f) for f in _FIGURES] == [getattr(erased, f) for f in _FIGURES]
