"""Product-qualified tenants over the API: a tenant is flagged exactly when its milestone holds, at the right time,
rolling flags turn off, every change is recorded once, and the flags export is keyed by tenant and CRM id."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta

from litestar.testing import AsyncTestClient

from tests.analytics.helpers import auth
from tests.analytics.summary_helpers import ago, define, on, send
from tests.behaviour.milestone_helpers import changes, day_start, evaluate, flags, pending, put_milestone
from tests.support import make_app
from waymark.settings import Settings

EXPORTERS = {"kind": "visitors_did", "name": "Three exporters", "ref": "feature:export", "at_least": 3,
             "within_days": 7}


async def test_three_visitors_within_seven_days_of_the_first_visit_flag_the_tenant_on_the_third_ones_day(
        client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await define(client, app.secret_key)
    # both tenants' first visit is 10 days ago: their window is the days 10 to 4 days ago
    await send(client, app.public_key,
               on("page", "a0", "acme", 10), on("click", "a1", "acme", 9), on("click", "a2", "acme", 8),
               on("page", "b0", "beta", 10), on("click", "b1", "beta", 9), on("click", "b2", "beta", 8),
               on("click", "b1", "beta", 5))  # the same visitor again: still two
    saved = await put_milestone(client, app.secret_key, "exporters", **EXPORTERS)
    assert saved["flagged"] == 0 and saved["description"].startswith("3 or more visitors did feature:export")
    assert await flags(client, app.secret_key) == []
    # a third visitor on the window's last day (acme), and one a day after it (beta)
    await send(client, app.public_key, on("click", "a3", "acme", 4), on("click", "b3", "beta", 3),
               on("click", "a4", "acme", 2))
    assert await evaluate(settings) == {app.id: 1}
    [flag] = await flags(client, app.secret_key)
    assert (flag["tenant"], flag["milestone"], flag["active"]) == ("acme", "exporters", True)
    assert flag["became_true_at"] == day_start(ago(4)) and flag["became_false_at"] is None
    [change] = await changes(settings, app.id)
    assert (change.tenant, change.milestone, change.change) == ("acme", "exporters", "became_true")
    assert change.at == datetime.combine(ago(4), datetime.min.time(), tzinfo=UTC)
    # evaluating again changes nothing and records nothing
    assert await evaluate(settings) == {app.id: 0}
    assert len(await changes(settings, app.id)) == 1
    listed = (await client.get("/api/v1/milestones", headers=auth(app.secret_key))).json()
    assert [(m["id"], m["flagged"]) for m in listed] == [("exporters", 1)]
    # redefined to two visitors, it held from the second one's day: the flag says so, and no change is recorded
    await put_milestone(client, app.secret_key, "exporters", **{**EXPORTERS, "at_least": 2})
    flagged = {f["tenant"]: f["became_true_at"] for f in await flags(client, app.secret_key)}
    assert flagged == {"acme": day_start(ago(8)), "beta": day_start(ago(8))}
    assert [(c.tenant, c.change) for c in await changes(settings, app.id)] == [("acme", "became_true"),
                                                                             ("beta", "became_true")]


async def test_a_rolling_share_of_seats_turns_off_and_both_changes_are_recorded(client: AsyncTestClient,
                                                                               settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key,
               on("group", "a1", "acme", 0, traits={"seats": 2}), on("page", "a1", "acme", 0),
               on("page", "a2", "acme", 1),
               on("group", "b1", "beta", 0, traits={"seats": "3"}), on("page", "b1", "beta", 0),
               on("page", "b2", "beta", 0),
               on("page", "c1", "gamma", 0), on("page", "c2", "gamma", 0))  # no seats: never qualifies
    before = datetime.now(UTC)
    saved = await put_milestone(client, app.secret_key, "adopted", kind="active_share", name="Seats in use",
                                field="seats", percent=100, days=3)
    after = datetime.now(UTC)
    assert saved["flagged"] == 1
    [flag] = await flags(client, app.secret_key)
    assert flag["tenant"] == "acme" and flag["active"] is True
    assert before <= datetime.fromisoformat(flag["became_true_at"]) <= after
    # three days on, nobody of acme was active in the last 3 days: the flag turns off
    later = after + timedelta(days=3)
    assert await evaluate(settings, later) == {app.id: 1}
    [flag] = await flags(client, app.secret_key)
    assert flag["active"] is False and datetime.fromisoformat(flag["became_false_at"]) == later
    assert [(c.tenant, c.change) for c in await changes(settings, app.id)] == [("acme", "became_true"),
                                                                             ("acme", "became_false")]
    assert (await changes(settings, app.id))[1].at == later
    assert await evaluate(settings, later) == {app.id: 0}
    # two days on, only a1 (active today) is in the window, a2 (a day ago) is not: still off; today, on again
    assert await evaluate(settings, after + timedelta(days=2)) == {app.id: 0}
    assert await evaluate(settings, after) == {app.id: 1}
    [flag] = await flags(client, app.secret_key)
    assert flag["active"] is True and flag["became_false_at"] is None
    assert [c.change for c in await changes(settings, app.id)] == ["became_true", "became_false", "became_true"]


async def test_events_in_the_last_days_count_the_tenants_track_events(client: AsyncTestClient,
                                                                      settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key,
               on("track", "a1", "acme", 0, name="Invoice"), on("track", "a1", "acme", 0, name="Invoice"),
               on("track", "a2", "acme", 6, name="Invoice"), on("track", "a2", "acme", 1, name="Other"),
               on("track", "b1", "beta", 0, name="Invoice"), on("track", "b1", "beta", 1, name="Invoice"),
               on("track", "b1", "beta", 7, name="Invoice"))  # 7 days ago: outside the last 7 days
    saved = await put_milestone(client, app.secret_key, "invoicing", kind="events_count", name="Invoicing",
                                ref="event:Invoice", at_least=3, days=7)
    assert saved["flagged"] == 1
    assert [(f["tenant"], f["active"]) for f in await flags(client, app.secret_key)] == [("acme", True)]
    # recorded, and handed to the webhooks in the same transaction: nothing is left pending
    assert [(c.tenant, c.change) for c in await changes(settings, app.id)] == [("acme", "became_true")]
    assert await pending(settings, app.id) == []
    # the window moves: one day on, acme's event of 6 days ago falls out
    assert await evaluate(settings, datetime.now(UTC) + timedelta(days=1)) == {app.id: 1}
    assert [(f["tenant"], f["active"]) for f in await flags(client, app.secret_key)] == [("acme", False)]
    assert [(c.tenant, c.change) for c in await changes(settings, app.id)] == [("acme", "became_true"),
                                                                             ("acme", "became_false")]
    assert await pending(settings, app.id) == []


async def test_the_flags_export_is_keyed_by_tenant_id_and_crm_id(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key,
               on("group", "a1", "acme", 0, traits={"crm_id": "0012345", "name": "Acme"}),
               on("track", "a1", "acme", 0, name="Invoice"),
               on("track", "b1", "=beta", 0, name="Invoice"))  # no CRM id, and an id a spreadsheet would run
    await put_milestone(client, app.secret_key, "invoicing", kind="events_count", name="Invoicing",
                        ref="event:Invoice", at_least=1, days=30)
    await put_milestone(client, app.secret_key, "busy", kind="events_count", name="Busy", ref="event:Invoice",
                        at_least=2, days=30)
    answer = await client.get("/api/v1/milestones/flags", params={"format": "csv"}, headers=auth(app.secret_key))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["tenant", "crm_id", "milestone", "milestone_name", "active", "became_true_at",
                       "became_false_at"]
    assert [r[:5] for r in rows[1:]] == [["'=beta", "", "invoicing", "Invoicing", "true"],
                                         ["acme", "0012345", "invoicing", "Invoicing", "true"]]
    one = await flags(client, app.secret_key, tenant="acme")
    assert [(f["tenant"], f["crm_id"], f["milestone"]) for f in one] == [("acme", "0012345", "invoicing")]


async def test_two_workers_evaluating_at_once_record_each_change_once(client: AsyncTestClient,
                                                                       settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, *[on("track", f"v{i}", f"t{i}", 0, name="Invoice") for i in range(30)])
    await put_milestone(client, app.secret_key, "invoicing", kind="events_count", name="Invoicing",
                        ref="event:Invoice", at_least=1, days=7)
    assert len(await changes(settings, app.id)) == 30
    later = datetime.now(UTC) + timedelta(days=8)  # every flag turns off, in either worker
    first, second = await asyncio.gather(evaluate(settings, later), evaluate(settings, later))
    assert first[app.id] + second[app.id] == 30
    assert [c.change for c in await changes(settings, app.id)].count("became_false") == 30
