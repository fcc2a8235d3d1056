"""Milestone definitions: hostile input is a 400 naming the field (both databases), and the pure decisions
against a brute-force reference."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from tests.analytics.helpers import auth
from tests.support import make_app, on_shared_server
from waymark.behaviour.milestones import (
    MilestoneError,
    active_share_holds,
    parse_definition,
    parse_field_name,
    visitors_did_day,
)
from waymark.settings import Settings

GOOD = {"kind": "visitors_did", "name": "Exporters", "ref": "feature:export", "at_least": 3, "within_days": 7}
SHARE = {"kind": "active_share", "name": "Seats", "field": "seats", "percent": 80, "days": 30}

HOSTILE: list[tuple[Any, str]] = [
    ({}, "kind"),
    ({**GOOD, "kind": "churn"}, "kind"),
    ({**GOOD, "kind": ["visitors_did"]}, "kind"),
    ({k: v for k, v in GOOD.items() if k != "name"}, "name"),
    ({**GOOD, "name": "  "}, "name"),
    ({**GOOD, "name": "x" * 201}, "name"),
    ({**GOOD, "ref": "feature:"}, "ref"),
    ({**GOOD, "ref": "button:export"}, "ref"),
    ({**GOOD, "ref": 7}, "ref"),
    ({**GOOD, "ref": "event:Signup[plan=pro]"}, "ref"),
    ({**GOOD, "ref": "guide:tour:completed"}, "ref"),
    ({**GOOD, "at_least": 0}, "at_least"),
    ({**GOOD, "at_least": "3"}, "at_least"),
    ({**GOOD, "at_least": True}, "at_least"),
    ({**GOOD, "at_least": 2.5}, "at_least"),
    ({**GOOD, "at_least": 10**30}, "at_least"),
    ({**GOOD, "within_days": 366}, "within_days"),
    ({k: v for k, v in GOOD.items() if k != "within_days"}, "within_days"),
    ({**GOOD, "days": 30}, "days"),
    ({**SHARE, "percent": 0}, "percent"),
    ({**SHARE, "percent": "80"}, "percent"),
    ({**SHARE, "percent": 1001}, "percent"),
    ({**SHARE, "field": "seats; drop"}, "field"),
    ({**SHARE, "field": ""}, "field"),
    ({**SHARE, "days": -1}, "days"),
    ({**SHARE, "ref": "feature:export"}, "ref"),
    ({"kind": "events_count", "name": "Busy", "ref": "event:Invoice", "at_least": 3}, "days"),
]


@on_shared_server
@pytest.mark.parametrize(("body", "field"), HOSTILE)
async def test_a_bad_definition_is_a_400_naming_the_field(server: AsyncTestClient, shared_settings: Settings,
                                                         body: Any, field: str) -> None:
    app = await make_app(shared_settings)
    answer = await server.put("/api/v1/milestones/m1", json=body, headers=auth(app.secret_key))
    assert answer.status_code == 400, answer.text
    assert answer.json()["extra"][0]["key"] == field and field in answer.json()["detail"]
    assert (await server.get("/api/v1/milestones", headers=auth(app.secret_key))).json() == []


@on_shared_server
@pytest.mark.parametrize("body", [[GOOD], "text", 3, None])
async def test_a_body_that_is_not_an_object_is_a_400(server: AsyncTestClient, shared_settings: Settings,
                                                     body: Any) -> None:
    app = await make_app(shared_settings)
    answer = await server.put("/api/v1/milestones/m1", json=body, headers=auth(app.secret_key))
    assert answer.status_code == 400, answer.text


@on_shared_server
async def test_bad_ids_and_formats_are_400s_and_unknown_milestones_404s(server: AsyncTestClient,
                                                                        shared_settings: Settings) -> None:
    app = await make_app(shared_settings)
    key = auth(app.secret_key)
    bad = await server.put("/api/v1/milestones/Bad%20Id!", json=GOOD, headers=key)
    assert bad.status_code == 400 and bad.json()["extra"][0]["key"] == "id"
    assert (await server.put("/api/v1/milestones/" + "a" * 65, json=GOOD, headers=key)).status_code == 400
    assert (await server.get("/api/v1/milestones/flags", params={"format": "xml"}, headers=key)).status_code == 400
    assert (await server.get("/api/v1/milestones/nope", headers=key)).status_code == 404
    assert (await server.delete("/api/v1/milestones/nope", headers=key)).status_code == 404
    assert (await server.put("/api/v1/milestones/m1", content=b"{not json", headers=key)).status_code == 400
    infinite = await server.put("/api/v1/milestones/m1", headers={**key, "Content-Type": "application/json"},
                                content=b'{"kind": "active_share", "name": "S", "field": "seats", "percent": 1e999,'
                                        b' "days": 3}')
    assert infinite.status_code == 400, infinite.text  # refused by the JSON decoder itself


async def test_an_app_has_at_most_fifty_milestones(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    for i in range(50):
        assert (await client.put(f"/api/v1/milestones/m{i}", json=GOOD, headers=auth(app.secret_key))).status_code \
            == 201
    more = await client.put("/api/v1/milestones/m50", json=GOOD, headers=auth(app.secret_key))
    assert more.status_code == 400 and "at most 50" in more.json()["detail"]
    assert (await client.put("/api/v1/milestones/m0", json=GOOD, headers=auth(app.secret_key))).status_code == 200


def test_a_definition_keeps_only_its_kinds_fields_in_canonical_form() -> None:
    parsed = parse_definition({**GOOD, "ref": " feature:export ", "name": " Exporters "})
    assert (parsed.ref, parsed.name, parsed.days, parsed.field) == ("feature:export", "Exporters", None, None)
    share = parse_definition(SHARE)
    assert (share.percent, share.rolling, parsed.rolling) == (80.0, True, False)
    with pytest.raises(MilestoneError) as caught:
        parse_field_name("1seats")
    assert caught.value.field == "crm_field"


FIRST = date(2026, 1, 10)


@given(st.integers(1, 20), st.integers(1, 6), st.lists(st.integers(-3, 30), max_size=12))
def test_the_day_it_became_true_matches_a_day_by_day_reference(within: int, at_least: int, offsets: list[int]) -> None:
    firsts = [FIRST + timedelta(days=o) for o in offsets]
    expected = None
    for d in range(0, within):  # the first day of the window on which at_least visitors had done it
        day = FIRST + timedelta(days=d)
        if sum(1 for f in firsts if FIRST <= f <= day) >= at_least:
            expected = day
            break
    assert visitors_did_day(FIRST, within, at_least, firsts) == expected


@pytest.mark.parametrize(("active", "meta", "percent", "holds"), [
    (8, {"seats": 10}, 80, True), (7, {"seats": 10}, 80, False), (8, {"seats": "10"}, 80, True),
    (5, {"seats": 0}, 80, False), (5, {"seats": -3}, 80, False), (5, {"seats": True}, 80, False),
    (5, {}, 80, False), (5, None, 80, False), (5, {"seats": "many"}, 80, False), (3, {"seats": 2.5}, 120, True),
    (2, {"seats": 2.5}, 100, False), (5, {"seats": "nan"}, 80, False),
])
def test_a_share_of_seats(active: int, meta: dict[str, Any] | None, percent: float, holds: bool) -> None:
    assert active_share_holds(active, meta, "seats", percent) is holds
