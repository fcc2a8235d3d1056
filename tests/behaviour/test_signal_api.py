"""Signal through the real API on SQLite and PostgreSQL: a hand-made event set whose 2×2 tables and phi were
worked out by hand (visitors and tenants), the tenant filter, and a goal given as a reference."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.analytics.helpers import auth
from tests.analytics.summary_helpers import ago, define, on, send, today
from tests.support import make_app, on_shared_server
from waymark.apps.services import NewApp
from waymark.settings import Settings

RANGE = {"from": ago(60).isoformat(), "to": today().isoformat()}


async def _seed(client: AsyncTestClient, settings: Settings) -> str:
    return await seed_into(client, await make_app(settings))


async def seed_into(client: AsyncTestClient, app: NewApp) -> str:
    """Day numbers are days after first seen; the window is days 0-6, the goal any activity on days 21-27.

    ann (acme, first seen 40 days ago): invoices on day 0, export on day 2, back on day 22: reached.
    bob (acme, 40 ago): Signup on day 0, back on day 25: reached.
    cat (globex, 35 ago): invoices and export on day 0, Signup on day 8 (after the window), never back.
    dan (initech, 30 ago): Signup on day 0, Other on day 21: reached.
    eve (no tenant, 45 ago): invoices on day 0, back on days 20 and 28 (outside the goal): not reached.
    fay (initech, 10 ago): too recent to know. gus (first seen 70 ago, before the range): not counted.
    """
    await define(client, app.secret_key)
    await send(client, app.public_key,
               on("page", "ann", "acme", 40), on("click", "ann", "acme", 38), on("page", "ann", "acme", 18),
               on("track", "bob", "acme", 40, name="Signup"), on("page", "bob", "acme", 15),
               on("page", "cat", "globex", 35), on("click", "cat", "globex", 35),
               on("track", "cat", "globex", 27, name="Signup"),
               on("track", "dan", "initech", 30, name="Signup"), on("track", "dan", "initech", 9, name="Other"),
               on("page", "eve", None, 45), on("page", "eve", None, 25), on("page", "eve", None, 17),
               on("page", "fay", "initech", 10),
               on("page", "gus", None, 70), on("click", "gus", None, 40), on("page", "gus", None, 18))
    return app.secret_key


async def _signal(client: AsyncTestClient, secret: str, **params: Any) -> dict[str, Any]:
    answer = await client.get("/api/v1/reports/signal", params={**RANGE, "min_support": "1", **params},
                              headers=auth(secret))
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _tables(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(i["item"], i["did_reached"], i["did_not_reached"], i["not_did_reached"], i["not_did_not_reached"],
             i["share"], None if i["phi"] is None else round(i["phi"], 4)) for i in report["items"]]


async def test_visitors_are_counted_by_hand(client: AsyncTestClient, settings: Settings) -> None:
    report = await _signal(client, await _seed(client, settings))
    assert (report["population"], report["reached"], report["left_out_too_recent"]) == (5, 3, 1)
    assert report["goal"] == "active_week_4" and (report["goal_from_day"], report["goal_to_day"]) == (21, 27)
    assert "correlation, not cause" in report["caution"].lower()
    assert _tables(report) == [
        # did & reached, did & not, didn't & reached, didn't & not, share, phi
        ("event:Signup", 2, 0, 1, 2, 0.4, round(4 / 6, 4)),  # bob, dan did; cat's is after the window
        ("feature:export", 1, 1, 2, 1, 0.4, round(-1 / 6, 4)),  # ann, cat (gus is not in the population)
        ("page:invoices", 1, 2, 2, 0, 0.6, round(-4 / 6, 4)),  # ann, cat, eve
    ]


async def test_tenants_are_counted_by_hand(client: AsyncTestClient, settings: Settings) -> None:
    report = await _signal(client, await _seed(client, settings), count="tenants")
    # acme (40 ago) and initech (30 ago: dan back on day 21) reached; globex did not; eve and gus have no tenant
    assert (report["population"], report["reached"], report["left_out_too_recent"]) == (3, 2, 0)
    assert _tables(report) == [
        ("event:Signup", 2, 0, 0, 1, 2 / 3, 1.0),
        ("feature:export", 1, 1, 1, 0, 2 / 3, -0.5),
        ("page:invoices", 1, 1, 1, 0, 2 / 3, -0.5),
    ]


async def test_the_tenant_filter_and_the_support_threshold(client: AsyncTestClient, settings: Settings) -> None:
    secret = await _seed(client, settings)
    acme = await _signal(client, secret, tenant="acme")
    # ann and bob both reached: every phi has a zero margin, so none is defined
    assert (acme["population"], acme["reached"], acme["tenant"]) == (2, 2, "acme")
    assert [(i["item"], i["doers"], i["phi"]) for i in acme["items"]] == [
        ("event:Signup", 1, None), ("feature:export", 1, None), ("page:invoices", 1, None)]
    supported = await _signal(client, secret, min_support="3")
    assert [i["item"] for i in supported["items"]] == ["page:invoices"]  # the only item with three doers


async def test_a_goal_given_as_a_reference(client: AsyncTestClient, settings: Settings) -> None:
    secret = await _seed(client, settings)
    report = await _signal(client, secret, goal="page:invoices", goal_from_day="21", goal_to_day="27")
    assert (report["population"], report["reached"]) == (5, 2)  # ann (day 22) and bob (day 25); dan's was a track
    signup = next(i for i in report["items"] if i["item"] == "event:Signup")
    assert (signup["did_reached"], signup["did_not_reached"], signup["not_did_reached"],
            signup["not_did_not_reached"]) == (1, 1, 1, 2)
    # a longer goal reaches eve's day 28 too, and leaves out whoever is too recent for it
    longer = await _signal(client, secret, goal="active", goal_from_day="21", goal_to_day="28")
    assert (longer["population"], longer["reached"], longer["left_out_too_recent"]) == (5, 4, 1)


async def test_csv_has_the_same_rows(client: AsyncTestClient, settings: Settings) -> None:
    secret = await _seed(client, settings)
    answer = await client.get("/api/v1/reports/signal", params={**RANGE, "min_support": "1", "format": "csv"},
                              headers=auth(secret))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    lines = answer.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("item,did_reached,did_not_reached,not_did_reached,not_did_not_reached")
    assert lines[1].startswith("event:Signup,2,0,1,2,2,0.4,")


@on_shared_server
@pytest.mark.parametrize(("params", "says"), [
    ({"goal": "page:"}, "a page id"),
    ({"goal": "bogus"}, "is not understood"),
    ({"goal": "event:Signup[plan=pro]"}, "property filters"),
    ({"window_days": "0"}, "window_days=0 is out of bounds"),
    ({"window_days": "91"}, "window_days=91 is out of bounds"),
    ({"window_days": "seven"}, "not a whole number"),
    ({"goal": "active", "goal_from_day": "30", "goal_to_day": "20"}, "is after goal_to_day"),
    ({"goal": "active", "goal_from_day": "3", "goal_to_day": "20"}, "must be at least window_days"),
    ({"goal_from_day": "14"}, "goal=active_week_4 is days 21 to 27"),
    ({"goal": "active", "goal_to_day": "366"}, "goal_to_day=366 is out of bounds"),
    ({"min_support": "0"}, "min_support=0 is out of bounds"),
    ({"count": "accounts"}, "count visitors or tenants"),
    ({"from": "2026-13-01"}, "is not a date"),
    ({"from": "2026-05-02", "to": "2026-05-01"}, "is after to"),
    ({"segment": "plan=pro"}, "segment"),
    ({"from": "9999-12-01", "to": "9999-12-31"}, "is outside 1970"),
    ({"from": "0001-01-01", "to": "0001-01-02"}, "is outside 1970"),
])
async def test_hostile_input_is_a_400_that_says_why(server: AsyncTestClient, shared_settings: Settings,
                                                     params: dict[str, str], says: str) -> None:
    app = await make_app(shared_settings)
    answer = await server.get("/api/v1/reports/signal", params=params, headers=auth(app.secret_key))
    assert answer.status_code == 400, answer.text
    assert says in answer.json()["detail"], answer.json()


async def test_segments_narrow_the_population(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    secret = await seed_into(client, app)
    await send(client, app.public_key, on("group", "ann", "acme", 40, traits={"plan": "pro"}),
               on("identify", "ann", "acme", 40, traits={"role": "admin"}))
    pro = await _signal(client, secret, segment="tenant.plan=pro")
    assert (pro["population"], pro["reached"]) == (2, 2)  # acme's ann and bob
    admins = await _signal(client, secret, segment="visitor.role=admin")
    assert (admins["population"], [i["item"] for i in admins["items"]]) == (1, ["feature:export", "page:invoices"])
    # counting tenants, a visitor segment keeps its visitors' tenants and only what those visitors did
    tenants = await _signal(client, secret, segment="visitor.role=admin", count="tenants")
    assert (tenants["population"], [i["item"] for i in tenants["items"]]) == (1, ["feature:export", "page:invoices"])


async def test_the_edges_of_the_window_and_the_goal(client: AsyncTestClient, settings: Settings) -> None:
    """In the window: day 6, not day 7. In the goal: days 21 and 27, not 20 or 28 (days after first seen)."""
    app = await make_app(settings)
    await define(client, app.secret_key)
    await send(client, app.public_key,
               on("page", "in", None, 40), on("click", "in", None, 34), on("page", "in", None, 13),
               on("page", "out", None, 40), on("click", "out", None, 33), on("page", "out", None, 20),
               on("page", "out", None, 12),
               on("page", "early", None, 40), on("page", "early", None, 19))
    report = await _signal(client, app.secret_key)
    assert (report["population"], report["reached"]) == (3, 2)  # "in" on day 27, "early" on day 21
    export = next(i for i in report["items"] if i["item"] == "feature:export")
    assert (export["did_reached"], export["did_not_reached"], export["not_did_reached"],
            export["not_did_not_reached"]) == (1, 0, 1, 1)
