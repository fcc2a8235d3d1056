"""The retention API on the hand-made event set (tests/behaviour/trends_data.py), counted by hand, both databases.

First seen: a 2nd, b 3rd, e 4th (cohort W1), c 10th (W2), d 16th (W3). Active: a 2nd–4th and 10th; b 3rd
and 11th; c 10th and 17th; d 16th; e 4th and 20th.
"""

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


async def _retention(client: AsyncTestClient, app: NewApp, **params: str) -> dict[str, Any]:
    answer = await client.get("/api/v1/reports/retention", params={**RANGE, **params}, headers=auth(app.secret_key))
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _table(report: dict[str, Any]) -> list[tuple[str, int, list[int | None]]]:
    return [(c["start"], c["size"], c["returned"]) for c in report["cohorts"]]


async def test_weekly_cohorts_by_first_seen_returning_on_any_activity(client: AsyncTestClient, app: NewApp) -> None:
    report = await _retention(client, app, interval="week", brackets="3")
    assert _table(report) == [("2026-03-02", 3, [3, 2, 1]), ("2026-03-09", 1, [1, 1, None]),
                              ("2026-03-16", 1, [1, None, None])]
    assert [c["complete"] for c in report["cohorts"]] == [[True] * 3, [True, True, False], [True, False, False]]
    assert report["cohorts"][0]["rates"] == [1.0, pytest.approx(2 / 3), pytest.approx(1 / 3)]
    # weighted by cohort size over complete brackets: (3+1+1)/5, (2+1)/(3+1), 1/3
    assert report["average"] == [1.0, 0.75, pytest.approx(1 / 3)]
    assert report["average_size"] == [5, 4, 3]
    assert (report["start_event"], report["return_event"], report["mode"]) == ("first_seen", "any", "on")


async def test_on_or_after_counts_a_later_return_in_every_bracket_before_it(client: AsyncTestClient,
                                                                           app: NewApp) -> None:
    report = await _retention(client, app, interval="week", brackets="3", mode="on_or_after")
    # e came back in W3 only: returned "in W2 or later" too
    assert _table(report)[0] == ("2026-03-02", 3, [3, 3, 1])
    assert report["average"] == [1.0, 1.0, pytest.approx(1 / 3)]


async def test_a_start_event_and_a_return_event(client: AsyncTestClient, app: NewApp) -> None:
    report = await _retention(client, app, interval="week", brackets="3", start_event="event:Signup",
                              return_event="event:Invite")
    # Signup first: a 2nd, b 3rd (W1), c 10th (W2), d 16th (W3); Invite: a 2nd, 3rd; b 11th; c 10th
    assert _table(report) == [("2026-03-02", 2, [1, 1, 0]), ("2026-03-09", 1, [1, 0, None]),
                              ("2026-03-16", 1, [0, None, None])]
    assert report["average"] == [0.5, pytest.approx(1 / 3), 0.0]


async def test_daily_brackets(client: AsyncTestClient, app: NewApp) -> None:
    report = await _retention(client, app, interval="day", brackets="2", start_event="event:Signup",
                              return_event="event:Invite", **{"from": "2026-03-02", "to": "2026-03-04"})
    # a: Signup and Invite on the 2nd, Invite on the 3rd; b: Signup on the 3rd, no Invite until the 11th
    assert _table(report) == [("2026-03-02", 1, [1, 1]), ("2026-03-03", 1, [0, 0]), ("2026-03-04", 0, [0, None])]
    assert report["average"] == [0.5, 0.5]


async def test_tenants_return_when_any_of_their_visitors_does(client: AsyncTestClient, app: NewApp) -> None:
    report = await _retention(client, app, interval="week", brackets="3", count="tenants")
    # t1 first seen the 2nd, t2 the 4th; t1 active W1, W2; t2 active W1 (e), W2 (c), W3 (c, e)
    assert _table(report) == [("2026-03-02", 2, [2, 2, 1]), ("2026-03-09", 0, [0, 0, None]),
                              ("2026-03-16", 0, [0, None, None])]


async def test_tenant_and_segment_filters(client: AsyncTestClient, app: NewApp) -> None:
    t2 = await _retention(client, app, interval="week", brackets="3", tenant="t2")
    assert _table(t2) == [("2026-03-02", 1, [1, 0, 1]), ("2026-03-09", 1, [1, 1, None]),
                          ("2026-03-16", 0, [0, None, None])]
    admins = await _retention(client, app, interval="week", brackets="3", segment="visitor.role=admin")
    assert _table(admins) == [("2026-03-02", 1, [1, 1, 0]), ("2026-03-09", 1, [1, 1, None]),
                              ("2026-03-16", 0, [0, None, None])]


async def test_csv_rows(client: AsyncTestClient, app: NewApp) -> None:
    answer = await client.get("/api/v1/reports/retention", headers=auth(app.secret_key), params={
        **RANGE, "interval": "week", "brackets": "2", "format": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    lines = answer.text.strip().splitlines()
    assert lines[0] == "cohort_start,cohort_end,size,bracket,returned,rate,complete"
    assert lines[1:3] == ["2026-03-02,2026-03-08,3,0,3,1.0,true", "2026-03-02,2026-03-08,3,1,2,0.6666666666666666,true"]
    assert lines[-2:] == ["average,,5,0,,1.0,true", "average,,4,1,,0.75,true"]


@on_shared_server
@pytest.mark.parametrize(("params", "says"), [
    ({"start_event": "billing"}, "start_event: step 'billing' is not understood"),
    ({"return_event": "page:a/b"}, "return_event: step 'page:a/b'"),
    ({"interval": "month"}, "interval"),
    ({"mode": "before"}, "mode"),
    ({"brackets": "0"}, "brackets"),
    ({"brackets": "61"}, "brackets"),
    ({"brackets": "many"}, "brackets"),
    ({"count": "accounts"}, "count"),
    ({"segment": "visitor.role"}, "is not understood"),
    ({"from": "2026-03-10", "to": "2026-03-01"}, "is after"),
])
async def test_hostile_input_answers_400_naming_the_problem(server: AsyncTestClient, shared_settings: Settings,
                                                            params: dict[str, str], says: str) -> None:
    app = await make_app(shared_settings)
    answer = await server.get("/api/v1/reports/retention", params=params, headers=auth(app.secret_key))
    assert answer.status_code == 400, answer.text
    assert says in answer.text
