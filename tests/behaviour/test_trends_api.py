"""The trends API on a hand-made event set (tests/behaviour/trends_data.py), figures counted by hand, both databases."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.analytics.helpers import auth
from tests.behaviour.trends_data import END, START, seed
from tests.support import make_app, on_shared_server
from waymark.apps.services import NewApp
from waymark.settings import Settings

RANGE = {"from": START.isoformat(), "to": END.isoformat()}


@pytest.fixture
async def app(client: AsyncTestClient, settings: Settings) -> NewApp:
    made = await make_app(settings)
    await seed(client, made)
    return made


async def _trends(client: AsyncTestClient, app: NewApp, **params: str) -> dict[str, Any]:
    answer = await client.get("/api/v1/reports/trends", params={**RANGE, **params}, headers=auth(app.secret_key))
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _lines(report: dict[str, Any]) -> dict[tuple[str, str | None], list[int]]:
    return {(s["letter"], s["group"]): s["values"] for s in report["series"]}


async def test_totals_per_week_and_the_formula(client: AsyncTestClient, app: NewApp) -> None:
    report = await _trends(client, app, events="event:Signup,event:Invite", interval="week", formula="A / B")
    assert [(p["start"], p["end"]) for p in report["periods"]] == [
        ("2026-03-02", "2026-03-08"), ("2026-03-09", "2026-03-15"), ("2026-03-16", "2026-03-22")]
    assert _lines(report) == {("A", None): [2, 2, 1], ("B", None): [2, 3, 0]}
    assert [s["total"] for s in report["series"]] == [5, 5]
    assert [s["source"] for s in report["series"]] == ["daily_usage", "daily_usage"]
    assert report["formula"] == "A / B"
    # W3 divides by zero: a gap, not an error
    assert report["formula_series"] == [{"group": None, "values": [1.0, pytest.approx(2 / 3), None]}]


async def test_unique_per_week_is_distinct_over_the_week_not_a_sum_of_days(client: AsyncTestClient,
                                                                           app: NewApp) -> None:
    report = await _trends(client, app, events="event:Signup,event:Invite", measure="unique", interval="week",
                           formula="(A - B) / A")
    # a invited on the 2nd and the 3rd: one visitor in W1
    assert _lines(report) == {("A", None): [2, 2, 1], ("B", None): [1, 2, 0]}
    assert [s["total"] for s in report["series"]] == [4, 3]
    assert report["formula_series"][0]["values"] == [0.5, 0.0, 1.0]
    month = await _trends(client, app, events="event:Signup", measure="unique", interval="month")
    assert [(p["start"], p["end"]) for p in month["periods"]] == [("2026-03-02", "2026-03-22")]
    assert _lines(month) == {("A", None): [4]}
    days = await _trends(client, app, events="event:Invite", measure="unique", interval="day")
    assert len(days["periods"]) == 21
    assert sum(days["series"][0]["values"]) == 4  # a twice (2nd, 3rd), b, c: days do add up per day


async def test_unique_tenants_count_a_tenant_once_whichever_visitor(client: AsyncTestClient, app: NewApp) -> None:
    report = await _trends(client, app, events="event:Signup", measure="unique", count="tenants", interval="week")
    # d has no tenant and counts for none
    assert _lines(report) == {("A", None): [1, 2, 0]}
    assert report["series"][0]["total"] == 2


async def test_property_filters_and_guide_actions_read_the_stored_events(client: AsyncTestClient,
                                                                         app: NewApp) -> None:
    report = await _trends(client, app, events="event:Signup[plan=pro],guide:tour:completed,page:invoices",
                           interval="week")
    assert _lines(report) == {("A", None): [1, 1, 1], ("B", None): [1, 0, 0], ("C", None): [2, 0, 2]}
    assert [s["source"] for s in report["series"]] == ["events", "events", "daily_usage"]


async def test_breakdowns_by_tenant_and_visitor_metadata(client: AsyncTestClient, app: NewApp) -> None:
    plan = await _trends(client, app, events="event:Signup", measure="unique", interval="month",
                         breakdown="tenant.plan")
    # pro: a and b (t1); free: c (t2); d has no tenant. Equal figures are ordered by name.
    assert [(s["group"], s["values"]) for s in plan["series"]] == [("pro", [2]), ("(none)", [1]), ("free", [1])]
    role = await _trends(client, app, events="event:Signup,event:Invite", interval="week",
                         breakdown="visitor.role", formula="A + B")
    assert _lines(role) == {
        ("A", "admin"): [1, 2, 0], ("B", "admin"): [2, 2, 0],  # a and c
        ("A", "user"): [1, 0, 0], ("B", "user"): [0, 1, 0],  # b
        ("A", "(none)"): [0, 0, 1], ("B", "(none)"): [0, 0, 0],  # d
    }
    assert [(f["group"], f["values"]) for f in role["formula_series"]] == [
        ("admin", [3.0, 4.0, 0.0]), ("user", [1.0, 1.0, 0.0]), ("(none)", [0.0, 0.0, 1.0])]


async def test_tenant_and_segment_filters(client: AsyncTestClient, app: NewApp) -> None:
    one = await _trends(client, app, events="event:Signup", interval="week", tenant="t1")
    assert _lines(one) == {("A", None): [2, 1, 0]}
    assert one["tenant"] == "t1"
    admins = await _trends(client, app, events="event:Signup", interval="week", segment="visitor.role=admin")
    assert _lines(admins) == {("A", None): [1, 2, 0]}
    free = await _trends(client, app, events="event:Signup", interval="week", segment="tenant.plan=free")
    assert _lines(free) == {("A", None): [0, 1, 0]}


async def test_csv_has_one_row_per_series_and_period(client: AsyncTestClient, app: NewApp) -> None:
    answer = await client.get("/api/v1/reports/trends", headers=auth(app.secret_key), params={
        **RANGE, "events": "event:Signup", "interval": "week", "formula": "A * 2", "format": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    lines = answer.text.strip().splitlines()
    assert lines[0] == "series,ref,group,period_start,period_end,value"
    assert lines[1:] == ["A,event:Signup,,2026-03-02,2026-03-08,2", "A,event:Signup,,2026-03-09,2026-03-15,2",
                         "A,event:Signup,,2026-03-16,2026-03-22,1", "formula,A * 2,,2026-03-02,2026-03-08,4.0",
                         "formula,A * 2,,2026-03-09,2026-03-15,4.0", "formula,A * 2,,2026-03-16,2026-03-22,2.0"]


@on_shared_server
@pytest.mark.parametrize(("params", "says"), [
    ({"events": ""}, "events"),
    ({"events": "billing"}, "page:ID"),
    ({"events": ",".join(["page:p"] * 9)}, "1 to 8"),
    ({"events": "page:a", "formula": "A / B"}, "'B' at position 5 names no series"),
    ({"events": "page:a", "formula": "A +"}, "ends too early"),
    ({"events": "page:a", "formula": "__import__('os').system('id')"}, "'_' at position 1 is not allowed"),
    ({"events": "page:a", "formula": "A ** 2"}, "'*' at position 4 is out of place"),
    ({"events": "page:a", "formula": "(" * 40 + "A" + ")" * 40}, "nested more than 20"),
    ({"events": "page:a", "formula": "A" + " + A" * 60}, "at most 200 characters"),
    ({"events": "page:a", "formula": "(A + 1"}, "never closed"),
    ({"events": "page:a", "formula": "A)"}, "')' at position 2 is out of place"),
    ({"events": "page:a", "formula": "1e9"}, "'e' at position 2 is out of place"),
    ({"events": "page:a", "breakdown": "plan"}, "breakdown='plan' is not offered"),
    ({"events": "page:a", "measure": "mean"}, "measure"),
    ({"events": "page:a", "interval": "year"}, "interval"),
    ({"events": "page:a", "count": "accounts"}, "count"),
    ({"events": "page:a", "segment": "plan=pro"}, "segment 'plan=pro' is not understood"),
    ({"events": "page:a", "from": "2026-03-10", "to": "2026-03-01"}, "is after"),
    ({"events": "page:a", "from": "2024-01-01", "to": "2026-01-01"}, "at most 366"),
    ({"events": "page:a", "from": "not-a-day"}, "from"),
])
async def test_hostile_input_answers_400_naming_the_problem(server: AsyncTestClient, shared_settings: Settings,
                                                            params: dict[str, str], says: str) -> None:
    app = await make_app(shared_settings)
    answer = await server.get("/api/v1/reports/trends", params=params, headers=auth(app.secret_key))
    assert answer.status_code == 400, answer.text
    assert says in answer.text
