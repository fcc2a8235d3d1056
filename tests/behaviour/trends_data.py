"""A hand-made event set for the trends and retention tests, whose figures are counted by hand in the tests.

Three weeks, Monday 2 March to Sunday 22 March 2026 (W1 = 2–8, W2 = 9–15, W3 = 16–22):

====  ======  =====  ================================================================
who   tenant  role   events
====  ======  =====  ================================================================
a     t1      admin  Signup[plan=pro] 2nd, Invite 2nd and 3rd, Signup[plan=free] 10th,
                     two views of page invoices 2nd, guide tour completed 4th
b     t1      user   Signup[plan=free] 3rd, Invite 11th
c     t2      admin  Signup[plan=pro] 10th, Invite twice 10th, a view of invoices 17th
d     (none)  –      Signup[plan=pro] 16th
e     t2      user   identified 4th, a view of invoices 20th
====  ======  =====  ================================================================

Tenant t1 has plan ``pro``, t2 plan ``free``. Each visitor's first event is their first seen (t1: the 2nd,
t2: the 4th).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from tests.analytics.summary_helpers import define, send
from waymark.apps.services import NewApp

__all__ = ["END", "START", "seed"]

START = date(2026, 3, 2)
END = date(2026, 3, 22)


def _ev(kind: str, visitor: str, tenant: str | None, day: int, hour: int = 9, **fields: Any) -> dict[str, Any]:
    moment = datetime(2026, 3, day, hour, tzinfo=UTC) + timedelta(seconds=len(fields))
    body: dict[str, Any] = {"id": uuid.uuid4().hex, "type": kind, "visitor": visitor,
                            "url": "http://app.example.com/demo/invoices",
                            "ts": moment.isoformat().replace("+00:00", "Z"), **fields}
    if tenant is not None:
        body["tenant"] = tenant
    return body


def events() -> list[dict[str, Any]]:
    return [
        _ev("identify", "a", "t1", 2, 8, traits={"role": "admin"}),
        _ev("group", "a", "t1", 2, 8, traits={"plan": "pro"}),
        _ev("track", "a", "t1", 2, name="Signup", props={"plan": "pro"}),
        _ev("track", "a", "t1", 2, 10, name="Invite"),
        _ev("track", "a", "t1", 3, name="Invite"),
        _ev("track", "a", "t1", 10, name="Signup", props={"plan": "free"}),
        _ev("page", "a", "t1", 2, 11, title="Invoices"),
        _ev("page", "a", "t1", 2, 12, title="Invoices"),
        _ev("guide_completed", "a", "t1", 4, guide="tour", guide_version=1, step=2),
        _ev("identify", "b", "t1", 3, 8, traits={"role": "user"}),
        _ev("track", "b", "t1", 3, name="Signup", props={"plan": "free"}),
        _ev("track", "b", "t1", 11, name="Invite"),
        _ev("identify", "c", "t2", 10, 8, traits={"role": "admin"}),
        _ev("track", "c", "t2", 10, name="Signup", props={"plan": "pro"}),
        _ev("track", "c", "t2", 10, 10, name="Invite"),
        _ev("track", "c", "t2", 10, 11, name="Invite"),
        _ev("page", "c", "t2", 17, title="Invoices"),
        _ev("track", "d", None, 16, name="Signup", props={"plan": "pro"}),
        _ev("identify", "e", "t2", 4, 8, traits={"role": "user"}),
        _ev("group", "e", "t2", 4, 8, traits={"plan": "free"}),
        _ev("page", "e", "t2", 20, title="Invoices"),
    ]


async def seed(client: AsyncTestClient, app: NewApp) -> None:
    """The page ``invoices`` defined, then the events sent."""
    await define(client, app.secret_key)
    await send(client, app.public_key, *events())
