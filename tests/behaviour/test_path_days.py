"""Paths' day projection on both databases: the paths API answers what the events sent make (each visitor's
rows cut into sessions by :func:`visitor_sessions`, counted by :func:`top_paths`) before any day is built, once
every day is built, after a late event, an alias and an erasure change built days, and once those are rebuilt;
for the whole app, one tenant and a tenant segment. The randomised events put sessions across midnight and a
visitor under two tenants on one day (a day the projection cannot hold and leaves to the label rows).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from tests.analytics.helpers import auth
from tests.analytics.summary_helpers import ago, send
from tests.support import make_app
from waymark.behaviour.path_days import PathDay, PathDayBuilt, PathDayStale, build_app_days
from waymark.behaviour.path_math import top_paths, visitor_sessions
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.settings import Settings

MIDNIGHT = datetime.combine(ago(9), datetime.min.time(), tzinfo=UTC)
RANGE = {"from": ago(12).isoformat(), "to": ago(2).isoformat()}
NAMES = ("A", "B", "C", "D")
QUERIES = ({"to_step": "exit", "length": "3"}, {"to_step": "exit", "length": "5"},
           {"from_step": "event:A", "length": "4"}, {"to_step": "event:B", "length": "3"})

Sent = tuple[str, str, int, str]
"""(visitor, tenant, second, name) of one track event."""


def _events(seed: int) -> list[Sent]:
    """Bursts of steps a few minutes apart around the midnights of five days, in distinct seconds."""
    rng = random.Random(seed)
    base = int(MIDNIGHT.timestamp())
    used: set[int] = set()
    out: list[Sent] = []
    for n in range(12):
        visitor, tenant = f"v{n}", f"t{n % 3}"
        for _ in range(rng.randrange(1, 4)):
            second = base + rng.randrange(5) * 86_400 - rng.randrange(3_600)
            for _ in range(rng.randrange(2, 9)):
                second += rng.choice((30, 300, 900, 1_900))
                if second not in used:
                    used.add(second)
                    out.append((visitor, tenant, second, rng.choice(NAMES)))
    mixed = [event for event in out if event[0] == "v4"][:3]  # v4 under a second tenant on one of its days
    out.extend(("v4", "t9", second + 1, name) for _, _, second, name in mixed if second + 1 not in used)
    return out


def _stamp(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).isoformat().replace("+00:00", "Z")


def _body(visitor: str, tenant: str, second: int, name: str) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "type": "track", "visitor": visitor, "tenant": tenant, "name": name,
            "ts": _stamp(second)}


def _expected(events: list[Sent], query: dict[str, str], tenants: set[str] | None) -> list[tuple[list[str], int]]:
    rows = sorted((second, visitor, f"event:{name}") for visitor, tenant, second, name in events
                  if tenants is None or tenant in tenants)
    visits = visitor_sessions((visitor, second, step) for second, visitor, step in rows)
    found = top_paths(visits, int(query["length"]), query.get("from_step"), query.get("to_step"), 50)
    return [(list(path.steps), path.visitors) for path in found]


async def _check(client: AsyncTestClient, secret: str, events: list[Sent]) -> None:
    for query in QUERIES:
        for extra, tenants in (({}, None), ({"tenant": "t1"}, {"t1"}), ({"segment": "tenant.plan=pro"}, {"t0", "t2"})):
            answer = await client.get("/api/v1/reports/paths", params={**RANGE, **query, **extra, "top": "50"},
                                      headers=auth(secret))
            assert answer.status_code == 200, answer.text
            got = [(p["steps"], p["visitors"]) for p in answer.json()["paths"]]
            assert got == _expected(events, query, tenants), (query, extra)


async def _counts(settings: Settings) -> tuple[int, int, int]:
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return (await session.scalar(select(func.count()).select_from(PathDay)) or 0,
                    await session.scalar(select(func.count()).select_from(PathDayBuilt)) or 0,
                    await session.scalar(select(func.count()).select_from(PathDayStale)) or 0)
    finally:
        await engine.dispose()


async def _build(settings: Settings) -> dict[str, int]:
    engine = create_engine(settings.database_url)
    try:
        return await build_app_days(make_sessionmaker(engine))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("seed", [3, 4])
async def test_paths_answer_the_same_from_built_stale_and_unbuilt_days(client: AsyncTestClient, settings: Settings,
                                                                        seed: int) -> None:
    app = await make_app(settings)
    events = _events(seed)
    await send(client, app.public_key, *(_body(*event) for event in events))
    noon = _stamp(int(MIDNIGHT.timestamp()) + 43_200)
    await send(client, app.public_key, *({"id": uuid.uuid4().hex, "type": "group", "visitor": f"v{n}", "ts": noon,
                                          "tenant": f"t{n}", "traits": {"plan": "free" if n == 1 else "pro"}}
                                         for n in range(3)))
    await _check(client, app.secret_key, events)  # no day built yet: every day read from the label rows

    days = len({second // 86_400 for _, _, second, _ in events})
    assert await _build(settings) == {app.id: days}
    stored, built, stale = await _counts(settings)
    assert (built, stale) == (days, 0) and stored > 0
    await _check(client, app.secret_key, events)  # from the projection, but the mixed day

    late = ("v1", "t1", int(MIDNIGHT.timestamp()) + 86_400 + 17, "D")  # into a built day
    await send(client, app.public_key, _body(*late))
    events.append(late)
    await send(client, app.public_key, {"id": uuid.uuid4().hex, "type": "alias", "visitor": "v2",
                                        "previous": "v5", "ts": noon})
    events = [("v2", tenant, second, name) if visitor == "v5" else (visitor, tenant, second, name)
              for visitor, tenant, second, name in events]
    erased = await client.delete("/api/v1/visitors/v7", headers=auth(app.secret_key))
    assert erased.status_code == 200, erased.text
    events = [event for event in events if event[0] != "v7"]
    assert (await _counts(settings))[2] > 0  # the triggers marked the changed days
    await _check(client, app.secret_key, events)  # changed days from the label rows, the others from here

    assert sum((await _build(settings)).values()) > 0
    assert (await _counts(settings))[2] == 0
    await _check(client, app.secret_key, events)


async def test_today_is_read_from_its_label_rows_and_left_unbuilt(client: AsyncTestClient, settings: Settings) -> None:
    """Events keep marking today while they arrive: the rebuild takes the days before it, and a report reads
    today's label rows."""
    app = await make_app(settings)
    now = int(datetime.now(UTC).timestamp())
    midnight = now - now % 86_400
    events = [("v1", "t1", midnight - 600, "A"), ("v1", "t1", midnight - 300, "B"),  # yesterday
              ("v2", "t1", midnight, "A"), ("v2", "t1", min(now, midnight + 1), "C")]  # today
    await send(client, app.public_key, *(_body(*event) for event in events))
    assert await _build(settings) == {app.id: 1}  # yesterday only
    assert (await _counts(settings))[1:] == (1, 1)  # one day built, today still marked
    answer = await client.get("/api/v1/reports/paths", params={
        "from": ago(1).isoformat(), "to": ago(0).isoformat(), "to_step": "exit", "length": "3"},
        headers=auth(app.secret_key))
    assert answer.status_code == 200, answer.text
    assert sorted((p["steps"], p["visitors"]) for p in answer.json()["paths"]) == [
        (["event:A", "event:B", "exit"], 1), (["event:A", "event:C", "exit"], 1)]
