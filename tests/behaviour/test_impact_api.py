"""Impact through the real API on SQLite and PostgreSQL: a hand-made event set whose rates, changes and
difference in differences were worked out by hand (visitors and tenants), a guide completion as adoption, and
hostile input as 400s."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.analytics.helpers import auth
from tests.analytics.summary_helpers import ago, define, on, send
from tests.support import make_app, on_shared_server
from waymark.apps.services import NewApp
from waymark.settings import Settings

RANGE = {"from": ago(20).isoformat(), "to": ago(5).isoformat(), "days": "3"}


def _pages(visitor: str, tenant: str | None, days_ago: int, n: int) -> list[dict[str, Any]]:
    return [on("page", visitor, tenant, days_ago) for _ in range(n)]


async def _seed(client: AsyncTestClient, settings: Settings) -> str:
    return await seed_into(client, await make_app(settings))


async def seed_into(client: AsyncTestClient, app: NewApp) -> str:
    """Windows of 3 days. Every event counts for the metric ``any``.

    ann (acme) adopts export 10 days ago: pages 1, 2, 0 on days -3..-1, 3, 1, 0 on days 1..3.
    bob (globex) adopts 8 days ago (and views a page that day): 1, 1, 0 before, 2, 2, 2 after.
    The median adoption day (the lower of two) is 10 days ago: the non-adopters' day 0.
    cat (acme) never adopts: a page 15 days ago (outside the windows), 12 and 9 days ago (days -2 and 1).
    dan (globex) never adopts: one page 20 days ago, nothing in the windows.
    gus clicked export 25 days ago, before the range, and nothing in it: not counted.
    """
    await define(client, app.secret_key)
    await send(client, app.public_key,
               *_pages("ann", "acme", 13, 1), *_pages("ann", "acme", 12, 2), on("click", "ann", "acme", 10),
               *_pages("ann", "acme", 9, 3), *_pages("ann", "acme", 8, 1),
               *_pages("bob", "globex", 11, 1), *_pages("bob", "globex", 10, 1), on("click", "bob", "globex", 8),
               *_pages("bob", "globex", 8, 1), *_pages("bob", "globex", 7, 2), *_pages("bob", "globex", 6, 2),
               *_pages("bob", "globex", 5, 2),
               *_pages("cat", "acme", 15, 1), *_pages("cat", "acme", 12, 1), *_pages("cat", "acme", 9, 1),
               *_pages("dan", "globex", 20, 1), on("click", "gus", None, 25))
    return app.secret_key


async def _impact(client: AsyncTestClient, secret: str, **params: Any) -> dict[str, Any]:
    answer = await client.get("/api/v1/reports/impact", params={**RANGE, "adoption": "feature:export", **params},
                              headers=auth(secret))
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _group(report: dict[str, Any], name: str) -> tuple[Any, ...]:
    g = report[name]
    return g["units"], *(None if g[k] is None else round(g[k], 4) for k in ("before", "after", "change"))


async def test_visitors_are_counted_by_hand(client: AsyncTestClient, settings: Settings) -> None:
    report = await _impact(client, await _seed(client, settings))
    assert _group(report, "adopters") == (2, round(5 / 6, 4), round(10 / 6, 4), round(5 / 6, 4))
    assert _group(report, "non_adopters") == (2, round(1 / 6, 4), round(1 / 6, 4), 0.0)
    assert round(report["difference_in_differences"], 4) == round(5 / 6, 4)
    assert report["median_adoption_day"] == ago(10).isoformat()
    # day 0: ann's click (1 event), bob's click and page (2)
    assert [(d["day"], d["adopters"]) for d in report["by_day"]] == [
        (-3, 1.0), (-2, 1.5), (-1, 0.0), (0, 1.5), (1, 2.5), (2, 1.5), (3, 1.0)]
    assert [d["non_adopters"] for d in report["by_day"]] == [0.0, 0.5, 0.0, 0.0, 0.5, 0.0, 0.0]
    assert "not a controlled experiment" in report["caution"].lower() and "/lift" in report["caution"]


async def test_tenants_are_counted_by_hand(client: AsyncTestClient, settings: Settings) -> None:
    report = await _impact(client, await _seed(client, settings), count="tenants")
    # acme adopts 10 days ago (ann, with cat's pages counting for it), globex 8 days ago (bob, dan)
    assert _group(report, "adopters") == (2, round((4 + 2) / 6, 4), round((5 + 6) / 6, 4), round(5 / 6, 4))
    assert report["non_adopters"] == {"units": 0, "before": None, "after": None, "change": None}
    assert report["difference_in_differences"] is None


async def test_a_metric_reference_and_the_tenant_filter(client: AsyncTestClient, settings: Settings) -> None:
    secret = await _seed(client, settings)
    clicks = await _impact(client, secret, metric="feature:export")
    # the adoption click itself is on day 0, in neither window
    assert _group(clicks, "adopters") == (2, 0.0, 0.0, 0.0)
    acme = await _impact(client, secret, tenant="acme")
    assert _group(acme, "adopters") == (1, 1.0, round(4 / 3, 4), round(1 / 3, 4))  # ann alone
    assert _group(acme, "non_adopters") == (1, round(1 / 3, 4), round(1 / 3, 4), 0.0)  # cat, anchored at ann's day


async def test_days_not_yet_come_are_left_out(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await define(client, app.secret_key)
    # adopted yesterday: of days 1..3 only today has come, with two pages
    await send(client, app.public_key, *_pages("ann", "acme", 2, 1), on("click", "ann", "acme", 1),
               *_pages("ann", "acme", 0, 2))
    report = await _impact(client, app.secret_key, **{"from": ago(5).isoformat(), "to": ago(0).isoformat()})
    assert _group(report, "adopters") == (1, round(1 / 3, 4), 2.0, round(2 - 1 / 3, 4))
    assert [d["adopters"] for d in report["by_day"]] == [0.0, 0.0, 1.0, 1.0, 2.0, None, None]


async def test_a_guide_completion_as_adoption(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await define(client, app.secret_key)
    await send(client, app.public_key,
               on("guide_seen", "ann", "acme", 12, guide="tour", step=0), *_pages("ann", "acme", 11, 2),
               on("guide_completed", "ann", "acme", 10, guide="tour", step=1), *_pages("ann", "acme", 9, 4),
               on("guide_seen", "bob", "acme", 10, guide="tour", step=0), *_pages("bob", "acme", 9, 1))
    completed = await _impact(client, app.secret_key, adoption="guide:tour:completed", metric="page:invoices")
    assert _group(completed, "adopters") == (1, round(2 / 3, 4), round(4 / 3, 4), round(2 / 3, 4))
    assert _group(completed, "non_adopters") == (1, 0.0, round(1 / 3, 4), round(1 / 3, 4))  # bob saw, never completed
    assert round(completed["difference_in_differences"], 4) == round(1 / 3, 4)
    seen = await _impact(client, app.secret_key, adoption="guide:tour:seen", metric="page:invoices")
    assert seen["adopters"]["units"] == 2 and seen["median_adoption_day"] == ago(12).isoformat()


@on_shared_server
@pytest.mark.parametrize(("params", "says"), [
    ({"adoption": ""}, "adoption is required"),
    ({"adoption": "page:invoices"}, "adoption is of a feature or a guide launch"),
    ({"adoption": "guide:tour:dismissed"}, "adoption is of a feature or a guide launch"),
    ({"adoption": "feature:a/b"}, "a feature id"),
    ({"metric": "clicks"}, "is not understood"),
    ({"metric": "event:Signup[plan=pro]"}, "property filters"),
    ({"days": "0"}, "days=0 is out of bounds"),
    ({"days": "91"}, "days=91 is out of bounds"),
    ({"days": "-1"}, "days=-1 is out of bounds"),
    ({"days": "1e3"}, "not a whole number"),
    ({"count": "people"}, "count visitors or tenants"),
    ({"to": "yesterday"}, "is not a date"),
    ({"segment": "visitor.plan"}, "segment"),
    ({"from": "9999-12-01", "to": "9999-12-31"}, "is outside 1970"),
    ({"from": "0001-01-01", "to": "0001-01-02"}, "is outside 1970"),
])
async def test_hostile_input_is_a_400_that_says_why(server: AsyncTestClient, shared_settings: Settings,
                                                     params: dict[str, str], says: str) -> None:
    app = await make_app(shared_settings)
    answer = await server.get("/api/v1/reports/impact", params={"adoption": "feature:export", **params},
                              headers=auth(app.secret_key))
    assert answer.status_code == 400, answer.text
    assert says in answer.json()["detail"], answer.json()


async def test_a_segment_narrows_both_groups(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    secret = await seed_into(client, app)
    await send(client, app.public_key, on("group", "ann", "acme", 20, traits={"plan": "pro"}))
    pro = await _impact(client, secret, segment="tenant.plan=pro")
    # acme alone: ann adopts (with the group call 20 days ago, outside her windows), cat does not
    assert _group(pro, "adopters") == (1, 1.0, round(4 / 3, 4), round(1 / 3, 4))
    assert _group(pro, "non_adopters") == (1, round(1 / 3, 4), round(1 / 3, 4), 0.0)
