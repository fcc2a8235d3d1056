"""A visitor's data over the API: export (exactly theirs), erasure (everything, recorded, repeatable), no IPs."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import insert

from tests.privacy.helpers import auth, dump_database, export_lines, send, track
from tests.support import at, event, make_app
from waymark.apps.services import NewApp
from waymark.db.engine import create_engine
from waymark.db.models import DailyUsage
from waymark.settings import Settings

ANN, ANON, BOB = "ann-7f3", "anon-9c1", "bob-2d8"


async def usage_rows(settings: Settings, app_id: str, *visitors: str) -> None:
    """Roll-up rows as the roll-up job would write them."""
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(DailyUsage), [
                {"app_id": app_id, "day": date(2026, 11, 20), "tenant_id": "acme", "visitor_id": v, "kind": "page",
                 "key": "invoices", "count": 3, "ms": 4200}
                for v in visitors
            ])
    finally:
        await engine.dispose()


async def seed_people(client: AsyncTestClient, settings: Settings, app: NewApp) -> None:
    """Ann browses anonymously, is identified and linked to her anonymous id; Bob is someone else."""
    await send(client, app.public_key,
               track(ANON, "acme", type="page", id="anon-page", ts=at(-30), url="https://h/pricing"),
               track(ANON, "acme", type="identify", id="anon-identify", ts=at(-29), traits={"locale": "de"}),
               event("guide_seen", "welcome", visitor=ANON, id="anon-guide", ts=at(-28), tenant="acme"))
    await send(client, app.public_key,
               track(ANN, "acme", type="identify", id="ann-identify", ts=at(-20),
                     traits={"email": "ann@acme.test", "role": "admin"}),
               track(ANN, "acme", type="alias", id="ann-alias", ts=at(-19), previous=ANON),
               track(ANN, "acme", id="ann-track", ts=at(-18), props={"plan": "pro"}),
               event("guide_completed", "tour", visitor=ANN, id="ann-guide", ts=at(-17), tenant="acme"),
               track(BOB, "acme", type="identify", id="bob-identify", ts=at(-16), traits={"email": "bob@acme.test"}),
               track(BOB, "acme", id="bob-track", ts=at(-15)),
               event("guide_seen", "tour", visitor=BOB, id="bob-guide", ts=at(-14), tenant="acme"))
    await usage_rows(settings, app.id, ANN, BOB)


async def visitor_export(client: AsyncTestClient, secret: str, visitor: str) -> Any:
    return await client.get(f"/api/v1/visitors/{visitor}/export", headers=auth(secret))


async def test_export_holds_everything_about_the_visitor_and_nothing_else(
    client: AsyncTestClient, settings: Settings
) -> None:
    app, other_app = await make_app(settings, "A"), await make_app(settings, "B")
    await seed_people(client, settings, app)
    # the same visitor id in another app is another person
    await send(client, other_app.public_key, track(ANN, "acme", id="other-app-event",
                                                   type="identify", traits={"email": "someone@else.test"}))
    response = await visitor_export(client, app.secret_key, ANN)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["visitor"] == ANN
    profile = data["profile"]
    assert (profile["id"], profile["tenant"], profile["meta"]) == (
        ANN, "acme", {"email": "ann@acme.test", "role": "admin"})
    assert profile["first_seen"] <= profile["last_seen"]
    assert [(a["alias"], a["profile"]["meta"]) for a in data["aliases"]] == [(ANON, {"locale": "de"})]
    assert data["alias_of"] is None
    assert [(s["visitor"], s["guide"], s["status"]) for s in data["guide_states"]] == [
        (ANN, "tour", "completed"), (ANON, "welcome", "seen")]
    # every event, the anonymous ones included (identity resolution made them Ann's), in the NDJSON shape
    assert [e["id"] for e in data["events"]] == [
        "anon-page", "anon-identify", "anon-guide", "ann-identify", "ann-alias", "ann-track", "ann-guide"]
    ndjson = {e["id"]: e for e in await export_lines(client, app.secret_key, visitor=ANN)}
    assert {e["id"]: e for e in data["events"]} == ndjson
    usage = [(u["day"], u["visitor"], u["kind"], u["key"], u["count"], u["ms"]) for u in data["daily_usage"]]
    assert ("2026-11-20", ANN, "page", "invoices", 3, 4200) in usage
    assert {u["visitor"] for u in data["daily_usage"]} <= {ANN, ANON}  # roll-ups of ingest may add their own
    assert data["erasures"] == []
    text = response.text
    assert BOB not in text and "bob@acme.test" not in text
    assert "someone@else.test" not in text and "other-app-event" not in text


async def test_an_alias_id_shows_whom_it_points_to(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await seed_people(client, settings, app)
    data = (await visitor_export(client, app.secret_key, ANON)).json()
    assert data["alias_of"] == ANN
    assert data["profile"]["meta"] == {"locale": "de"}
    assert data["events"] == []  # they moved to Ann when the ids were linked


async def test_unknown_visitor_is_404(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    for response in (await visitor_export(client, app.secret_key, "nobody"),
                     await client.delete("/api/v1/visitors/nobody", headers=auth(app.secret_key))):
        assert response.status_code == 404
        assert response.json()["detail"] == "no data is stored for visitor 'nobody', and it was never erased"
    assert (await client.get("/api/v1/erasures", headers=auth(app.secret_key))).json() == []


async def test_erasure_removes_everything_and_is_recorded(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await seed_people(client, settings, app)
    before = {e["id"] for e in await export_lines(client, app.secret_key)}
    erased = await client.delete(f"/api/v1/visitors/{ANN}", headers=auth(app.secret_key))
    assert erased.status_code == 200, erased.text
    record = erased.json()
    assert set(record) == {"visitor", "events_deleted", "erased_at", "evidence_kept"}
    assert (record["visitor"], record["events_deleted"]) == (ANN, 7)
    # the export is empty but for the record of the erasure itself
    after = (await visitor_export(client, app.secret_key, ANN)).json()
    assert after == {"visitor": ANN, "profile": None, "aliases": [], "alias_of": None, "guide_states": [],
                     "events": [], "daily_usage": [], "erasures": [record], "policy_evidence": [],
                     "survey_answers": [], "holdouts": []}
    assert (await visitor_export(client, app.secret_key, ANON)).status_code == 404
    remaining = await export_lines(client, app.secret_key)
    assert {e["id"] for e in remaining} == {i for i in before if i.startswith("bob-")}
    # nothing of Ann is stored anywhere but in the record that she was erased
    dump = [line for line in (await dump_database(settings)).splitlines() if not line.startswith("erasures:")]
    for trace in (ANN, ANON, "ann@acme.test"):
        assert not [line for line in dump if trace in line], trace
    # Bob is untouched
    bob = (await visitor_export(client, app.secret_key, BOB)).json()
    assert len(bob["events"]) == 3 and len(bob["guide_states"]) == 1
    assert ("2026-11-20", "invoices") in {(u["day"], u["key"]) for u in bob["daily_usage"]}
    listed = (await client.get("/api/v1/erasures", headers=auth(app.secret_key))).json()
    assert listed == [record]


async def test_erasing_again_answers_200_and_is_recorded_again(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await seed_people(client, settings, app)
    first = (await client.delete(f"/api/v1/visitors/{ANN}", headers=auth(app.secret_key))).json()
    again = await client.delete(f"/api/v1/visitors/{ANN}", headers=auth(app.secret_key))
    assert again.status_code == 200
    second = again.json()
    assert (second["visitor"], second["events_deleted"]) == (ANN, 0)
    assert second["erased_at"] >= first["erased_at"]
    # an event still queued in Ann's browser arrives late: the next erasure takes it too
    await send(client, app.public_key, track(ANN, "acme", id="late"))
    third = (await client.delete(f"/api/v1/visitors/{ANN}", headers=auth(app.secret_key))).json()
    assert third["events_deleted"] == 1
    listed = (await client.get("/api/v1/erasures", headers=auth(app.secret_key))).json()
    assert [r["events_deleted"] for r in listed] == [1, 0, 7]  # newest first
    only_ann = await client.get("/api/v1/erasures", params={"visitor": ANN, "limit": 1}, headers=auth(app.secret_key))
    assert only_ann.json() == [third]
    assert (await client.get("/api/v1/erasures", params={"visitor": BOB}, headers=auth(app.secret_key))).json() == []


async def test_no_ip_address_is_ever_stored(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    ip = "203.0.113.9"
    headers = {"X-Forwarded-For": f"{ip}, 198.51.100.7", "X-Real-IP": ip, "Forwarded": f"for={ip}"}
    await send(client, app.public_key,
               track("v-ip", "acme", type="page", url="https://h/"),
               track("v-ip", "acme", type="identify", traits={"role": "admin"}), **headers)
    segment = await client.post(
        "/v1/track", auth=(app.public_key, ""), headers=headers,
        json={"userId": "v-ip", "event": "Signed up", "context": {"ip": ip, "groupId": "acme"}},
    )
    assert segment.status_code == 200, segment.text
    exported = await export_lines(client, app.secret_key)
    assert len(exported) == 3
    person = (await visitor_export(client, app.secret_key, "v-ip")).text
    everything = await dump_database(settings)
    assert "v-ip" in everything  # the dump does see the events
    for place in (json.dumps(exported), person, everything):
        for address in (ip, "198.51.100.7", "testclient"):  # "testclient": the test client's own peer address
            assert address not in place
