"""Retention through the API, on both databases, against the table made here from the events sent, on
randomised event sets: the rows the report reads are folded in SQL (a unit's first start day, each weekly
bracket's last return day), and this checks that the folding changes no answer.

The reference takes its start and return days straight from the events and hands them to
:func:`waymark.behaviour.retention_math.retention_table`, whose own arithmetic is checked against a brute force
in test_retention_math.py.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.analytics.helpers import auth
from tests.analytics.summary_helpers import send
from tests.support import make_app
from waymark.behaviour.retention_math import retention_table
from waymark.settings import Settings

START = date(2026, 3, 2)
END = date(2026, 3, 26)
NAMES = ("Go", "Back", "Other")
VISITORS = {f"v{i}": (None if i % 5 == 0 else f"t{i % 3}") for i in range(14)}
"""Each visitor's tenant (every fifth has none)."""


def _events(seed: int) -> list[tuple[str, str | None, date, str]]:
    rng = random.Random(seed)
    out = []
    for visitor, tenant in VISITORS.items():
        first = rng.randrange(0, 20)
        for _ in range(rng.randrange(1, 9)):
            day = START + timedelta(days=min(first + int(rng.expovariate(0.2)), (END - START).days))
            out.append((visitor, tenant, day, rng.choice(NAMES)))
        out.append((visitor, tenant, START + timedelta(days=first), rng.choice(NAMES)))
    return out


def _body(visitor: str, tenant: str | None, day: date, name: str) -> dict[str, Any]:
    moment = datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(seconds=random.randrange(30000))
    body: dict[str, Any] = {"id": uuid.uuid4().hex, "type": "track", "visitor": visitor, "name": name,
                            "ts": moment.isoformat().replace("+00:00", "Z")}
    if tenant is not None:
        body["tenant"] = tenant
    return body


def _expected(events: list[tuple[str, str | None, date, str]], start_event: str | None, return_event: str | None,
              interval: str, mode: str, unit: str) -> list[tuple[str, int, list[int | None]]]:
    starts: dict[str, date] = {}
    returns: dict[str, set[date]] = defaultdict(set)
    for visitor, tenant, day, name in events:
        who = visitor if unit == "visitors" else tenant
        if who is None:
            continue
        if start_event is None or name == start_event:
            starts[who] = min(starts.get(who, day), day)
        if return_event is None or name == return_event:
            returns[who].add(day)
    table = retention_table(starts, returns, START, END, interval, 4, mode)  # type: ignore[arg-type]
    return [(row.start.isoformat(), row.size, row.returned) for row in table.cohorts]


@pytest.mark.parametrize("seed", [1, 2])
async def test_retention_matches_the_events_by_definition(client: AsyncTestClient, settings: Settings,
                                                          seed: int) -> None:
    app = await make_app(settings)
    events = _events(seed)
    await send(client, app.public_key, *(_body(*event) for event in events))
    for start_event in (None, "Go"):
        for return_event in (None, "Back"):
            for interval in ("day", "week"):
                for mode in ("on", "on_or_after"):
                    for unit in ("visitors", "tenants"):
                        params = {"from": START.isoformat(), "to": END.isoformat(), "interval": interval,
                                  "mode": mode, "count": unit, "brackets": "4",
                                  "start_event": f"event:{start_event}" if start_event else "first_seen",
                                  "return_event": f"event:{return_event}" if return_event else "any"}
                        answer = await client.get("/api/v1/reports/retention", params=params,
                                                  headers=auth(app.secret_key))
                        assert answer.status_code == 200, answer.text
                        got = [(c["start"], c["size"], c["returned"]) for c in answer.json()["cohorts"]]
                        assert got == _expected(events, start_event, return_event, interval, mode, unit), params
