"""Cohorts through the API, on both databases: membership after events that enter and leave it, the
immediate refresh on save, members, hostile input, deletion, and delivery of a cohort-targeted guide."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

from tests.analytics.helpers import auth
from tests.analytics.summary_helpers import define, on, send, today
from tests.support import guide_yaml, make_app, meta, on_shared_server, push
from waymark.apps.services import NewApp
from waymark.behaviour.cohort_refresh import refresh_all_cohorts, refresh_app_cohorts
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.settings import Settings

POWER = {"name": "Power exporters", "rule": {"did": "feature:export", "at_least": 3, "days": 14}}
CHURN = {"name": "Churn risk", "description": "Pro visitors who stopped exporting",
         "rule": {"all": [{"not_did": "feature:export", "days": 30}, {"field": "visitor.plan", "op": "eq",
                                                                      "value": "pro"}]}}
NEWCOMERS = {"name": "New", "rule": {"first_seen_within": 7}}


async def put_cohort(client: AsyncTestClient, secret: str, cohort_id: str, body: dict[str, Any]) -> Any:
    return await client.put(f"/api/v1/cohorts/{cohort_id}", json=body, headers=auth(secret))


async def members(client: AsyncTestClient, secret: str, cohort_id: str) -> dict[str, str]:
    answer = await client.get(f"/api/v1/cohorts/{cohort_id}/members", headers=auth(secret))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["size"] == len(body["members"])
    return {m["visitor"]: m["since"] for m in body["members"]}


async def refresh(settings: Settings, app_id: str, days_later: int = 0) -> dict[str, int]:
    engine = create_engine(settings.database_url)
    try:
        return await refresh_app_cohorts(make_sessionmaker(engine), app_id, today() + timedelta(days=days_later))
    finally:
        await engine.dispose()


def clicks(visitor: str, *days_ago: int) -> list[dict[str, Any]]:
    return [on("click", visitor, "acme", d) for d in days_ago]


@pytest.fixture
async def app(client: AsyncTestClient, settings: Settings) -> NewApp:
    new = await make_app(settings)
    await define(client, new.secret_key)
    return new


@pytest_asyncio.fixture(loop_scope="module")
async def shared_app(server: AsyncTestClient, shared_settings: Settings) -> NewApp:
    """``app`` on the module's shared server, for a case that is refused and so changes nothing."""
    new = await make_app(shared_settings)
    await define(server, new.secret_key)
    return new


async def test_membership_follows_events_in_and_out(client: AsyncTestClient, settings: Settings, app: NewApp) -> None:
    key, secret = app.public_key, app.secret_key
    await send(client, key,
               {"type": "identify", "visitor": "pro-idle", "traits": {"plan": "pro"}, "id": "i1",
                "ts": on("page", "x", None, 40)["ts"]},
               on("page", "pro-idle", "acme", 40),
               {"type": "identify", "visitor": "pro-busy", "traits": {"plan": "pro"}, "id": "i2",
                "ts": on("page", "x", None, 40)["ts"]},
               *clicks("pro-busy", 0, 5, 13),  # three in the last 14 days: today is one of them
               *clicks("edge", 1, 2, 14),  # the third is 14 days back: outside "the last 14 days"
               on("page", "fresh", None, 6))
    assert (await put_cohort(client, secret, "power", POWER)).status_code == 201
    assert (await put_cohort(client, secret, "churn-risk", CHURN)).status_code == 201
    new = await put_cohort(client, secret, "new", NEWCOMERS)
    assert new.status_code == 201 and new.json()["size"] == 1  # refreshed before the answer
    assert set(await members(client, secret, "power")) == {"pro-busy"}
    assert set(await members(client, secret, "churn-risk")) == {"pro-idle"}
    assert set(await members(client, secret, "new")) == {"fresh"}
    power_since = (await members(client, secret, "power"))["pro-busy"]

    # "edge" clicks today (enters power); "pro-idle" exports (leaves churn-risk).
    await send(client, key, *clicks("edge", 0), *clicks("pro-idle", 0))
    assert set(await members(client, secret, "power")) == {"pro-busy"}  # not until a refresh
    assert await refresh(settings, app.id) == {"churn-risk": 0, "new": 1, "power": 2}
    now_power = await members(client, secret, "power")
    assert set(now_power) == {"pro-busy", "edge"}
    assert now_power["pro-busy"] == power_since  # who stays keeps the time they entered
    assert await members(client, secret, "churn-risk") == {}

    # Twelve days on, pro-busy's clicks of days 5 and 13 ago have left the window; "fresh" is no longer new.
    assert await refresh(settings, app.id, days_later=12) == {"churn-risk": 0, "new": 0, "power": 0}
    # Both last exported today: 29 days on that is still "in the last 30 days" (today and the 29 before);
    # a day later it is not.
    assert (await refresh(settings, app.id, days_later=29))["churn-risk"] == 0
    assert (await refresh(settings, app.id, days_later=30))["churn-risk"] == 2
    assert set(await members(client, secret, "churn-risk")) == {"pro-busy", "pro-idle"}
    listed = (await client.get("/api/v1/cohorts", headers=auth(secret))).json()
    assert [(c["id"], c["size"]) for c in listed] == [("churn-risk", 2), ("new", 0), ("power", 0)]


async def test_a_double_refresh_leaves_the_same_rows(client: AsyncTestClient, settings: Settings,
                                                     app: NewApp) -> None:
    await send(client, app.public_key, *clicks("a", 0, 1, 2), *clicks("b", 0))
    assert (await put_cohort(client, app.secret_key, "power", POWER)).json()["size"] == 1
    before = await members(client, app.secret_key, "power")
    engine = create_engine(settings.database_url)
    try:
        sessionmaker = make_sessionmaker(engine)
        first = await refresh_all_cohorts(sessionmaker)
        second = await refresh_all_cohorts(sessionmaker, wait=False)
    finally:
        await engine.dispose()
    assert first == {app.id: {"power": 1}} and second in ({app.id: {"power": 1}}, {app.id: {}})
    assert await members(client, app.secret_key, "power") == before


@on_shared_server
@pytest.mark.parametrize(("body", "field"), [
    ({"name": "x", "rule": {"did": "feature:export", "days": 0}}, "rule.days"),
    ({"name": "x", "rule": {"did": "feature:export", "at_least": -1, "days": 3}}, "rule.at_least"),
    ({"name": "x", "rule": {"all": [{"first_seen_within": 7}, {"not_did": "bogus", "days": 3}]}},
     "rule.all[1].not_did"),
    ({"name": "x", "rule": {"did": "event:Signup[plan=pro]", "days": 3}}, "rule.did"),
    ({"name": "x", "rule": {"did": "guide:tour:completed", "days": 3}}, "rule.did"),
    ({"name": "x", "rule": {"not_did": "page:a", "days": 3, "ever": True}}, "rule.ever"),
    ({"name": "x", "rule": {"field": "cohort", "op": "in", "value": "other"}}, "rule.field"),
    ({"name": "x", "rule": {"any": []}}, "rule.any"),
    ({"name": "x", "rule": "did it"}, "rule"),
    ({"name": "", "rule": {"first_seen_within": 7}}, "name"),
    ({"name": "a\x00b", "rule": {"first_seen_within": 7}}, "name"),
    ({"name": "x", "description": "nul \x00", "rule": {"first_seen_within": 7}}, "description"),
    ({"name": "x", "rule": {"did": "event:a\x00b", "days": 3}}, "rule"),
    ({"name": "x", "rule": {"all": [{"first_seen_within": 7},
                                    {"field": "visitor.n", "op": "gt", "value": 2 ** 70}]}}, "rule"),
])
async def test_a_bad_cohort_is_a_400_naming_the_field(server: AsyncTestClient, shared_app: NewApp, body: dict[str, Any],
                                                      field: str) -> None:
    answer = await put_cohort(server, shared_app.secret_key, "bad", body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["extra"][0]["key"] == field, answer.json()
    assert (await server.get("/api/v1/cohorts/bad", headers=auth(shared_app.secret_key))).status_code == 404


@on_shared_server
@pytest.mark.parametrize("cohort_id", ["Upper", "with space", "-lead", "x" * 65])
async def test_a_bad_cohort_id_is_a_400(server: AsyncTestClient, shared_app: NewApp, cohort_id: str) -> None:
    answer = await put_cohort(server, shared_app.secret_key, cohort_id, NEWCOMERS)
    assert answer.status_code == 400, answer.text
    assert answer.json()["extra"][0]["key"] == "id"


async def test_unknown_body_fields_and_missing_cohorts(client: AsyncTestClient, app: NewApp) -> None:
    answer = await put_cohort(client, app.secret_key, "x", {**NEWCOMERS, "members": ["a"]})
    assert answer.status_code == 400 and "members" in answer.text
    for path in ("/api/v1/cohorts/none", "/api/v1/cohorts/none/members"):
        assert (await client.get(path, headers=auth(app.secret_key))).status_code == 404
    assert (await client.delete("/api/v1/cohorts/none", headers=auth(app.secret_key))).status_code == 404


CHURN_GUIDE = guide_yaml("""
    id: win-back
    name: Win back
    kind: announcement
    targeting:
      segment: {field: cohort, op: in, value: churn-risk}
    steps:
      - type: lightbox
        title: Export is one click away
""")
NOT_POWER_GUIDE = guide_yaml("""
    id: try-export
    name: Try export
    kind: announcement
    targeting:
      segment:
        all:
          - {field: cohort, op: not_in, value: [power]}
          - {field: visitor.role, op: eq, value: admin}
    steps:
      - type: lightbox
        title: Try export
""")


async def delivered(client: AsyncTestClient, key: str, visitor: str, traits: str | None = None) -> set[str]:
    query = f"/api/v1/guides?key={key}&visitor={visitor}&url=https://app.example.com/app"
    answer = await client.get(query + (f"&meta={traits}" if traits else ""))
    assert answer.status_code == 200, answer.text
    return {g["id"] for g in answer.json()["guides"]}


async def test_a_cohort_targeted_guide_reaches_members_only(client: AsyncTestClient, settings: Settings,
                                                            app: NewApp) -> None:
    key, secret = app.public_key, app.secret_key
    refused = await push(client, secret, {"win-back.yaml": CHURN_GUIDE})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        "win-back.yaml: targeting.segment.value: cohort 'churn-risk' does not exist in this app"]
    await send(client, key,
               {"type": "identify", "visitor": "idle", "traits": {"plan": "pro"}, "id": "i1",
                "ts": on("page", "x", None, 40)["ts"]},
               {"type": "identify", "visitor": "busy", "traits": {"plan": "pro"}, "id": "i2",
                "ts": on("page", "x", None, 40)["ts"]},
               *clicks("busy", 0, 1, 2))
    assert (await put_cohort(client, secret, "churn-risk", CHURN)).status_code == 201
    assert (await put_cohort(client, secret, "power", POWER)).status_code == 201
    pushed = await push(client, secret, {"win-back.yaml": CHURN_GUIDE, "try-export.yaml": NOT_POWER_GUIDE})
    assert pushed.status_code == 200, pushed.text
    admin = meta({"role": "admin"})
    assert await delivered(client, key, "idle", admin) == {"win-back", "try-export"}
    assert await delivered(client, key, "busy", admin) == set()
    assert await delivered(client, key, "stranger", admin) == {"try-export"}
    assert await delivered(client, key, "idle") == {"win-back"}
    # A client cannot claim a cohort through its own metadata.
    assert await delivered(client, key, "busy", meta({"\x00cohorts": ["churn-risk"], "role": "admin"})) == set()

    await send(client, key, *clicks("idle", 0))  # idle exports: leaves churn-risk at the next refresh
    assert await delivered(client, key, "idle") == {"win-back"}
    await refresh(settings, app.id)
    assert await delivered(client, key, "idle") == set()

    in_use = await client.delete("/api/v1/cohorts/churn-risk", headers=auth(secret))
    assert in_use.status_code == 400 and "win-back" in in_use.json()["detail"]
    assert (await client.delete("/api/v1/cohorts/new", headers=auth(secret))).status_code == 404
    archived = await client.post("/api/v1/guide-definitions/win-back/archive", headers=auth(secret))
    assert archived.status_code == 200, archived.text
    assert (await client.delete("/api/v1/cohorts/churn-risk", headers=auth(secret))).status_code == 204
    assert (await client.get("/api/v1/cohorts/churn-risk/members", headers=auth(secret))).status_code == 404


async def test_an_erased_visitor_leaves_every_cohort_at_once(client: AsyncTestClient, app: NewApp) -> None:
    await send(client, app.public_key, *clicks("gone", 0, 1, 2), *clicks("kept", 0, 1, 2))
    assert (await put_cohort(client, app.secret_key, "power", POWER)).json()["size"] == 2
    erased = await client.delete("/api/v1/visitors/gone", headers=auth(app.secret_key))
    assert erased.status_code == 200, erased.text
    assert set(await members(client, app.secret_key, "power")) == {"kept"}


async def test_a_deeply_nested_rule_is_a_400_not_a_crash(client: AsyncTestClient, app: NewApp) -> None:
    body = '{"name": "deep", "rule": ' + '{"not": ' * 1500 + '{"first_seen_within": 1}' + "}" * 1500 + "}"
    answer = await client.put("/api/v1/cohorts/deep", content=body,
                              headers={**auth(app.secret_key), "Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    shallow = '{"name": "deep", "rule": ' + '{"not": ' * 30 + '{"first_seen_within": 1}' + "}" * 30 + "}"
    nested = await client.put("/api/v1/cohorts/deep", content=shallow,
                              headers={**auth(app.secret_key), "Content-Type": "application/json"})
    assert nested.status_code == 400 and nested.json()["extra"][0]["key"] == "rule", nested.text
    assert "nests deeper than 16 levels" in nested.json()["detail"]
