"""The policy acceptance pages and the evidence export: counts by hand, pending by name, the chain's status, and a
tenant admin kept to their own tenant's figures and evidence."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text

from tests.access.helpers import add_person, sign_in
from tests.analytics.summary_helpers import refresh
from tests.policies.support import decide, prompt, push_policy
from tests.support import at, eventually_async, make_app
from waymark.access.models import AuditEntry
from waymark.access.principal import Grant, Role
from waymark.admin import pages_policies
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.policies import chain_status as chain_status_module
from waymark.settings import Settings


async def _events(client: AsyncTestClient, public: str, *events: dict[str, Any]) -> None:
    answer = await client.post(f"/api/v1/events?key={public}", json={"events": list(events)})
    assert answer.status_code == 202, answer.text


def _page(visitor: str, tenant: str) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "type": "page", "ts": at(), "visitor": visitor, "tenant": tenant,
            "url": "https://h/app"}


async def _sql(settings: Settings, statement: str, **params: Any) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement), params)
    finally:
        await engine.dispose()


async def _setup(client: AsyncTestClient, settings: Settings) -> tuple[Any, str]:
    """acme: ana accepts, ben declines, cy (named) is pending; globex: gus accepts, and globex has its own policy."""
    app = await make_app(settings)
    assert (await push_policy(client, app.secret_key, extra="      allow_decline: true")).status_code == 200
    own = "      tenant: globex"
    assert (await push_policy(client, app.secret_key, policy_id="globex-rules", extra=own)).status_code == 200
    await _events(client, app.public_key, *(_page(v, "acme") for v in ("ana", "ben", "cy")), _page("gus", "globex"),
                  {"id": "id-cy", "type": "identify", "ts": at(), "visitor": "cy",
                   "traits": {"name": "Cy Young", "email": "cy@acme.test"}})
    terms = await prompt(client, app.public_key, "ana", tenant="acme")
    assert terms is not None
    assert (await decide(client, app.public_key, terms, "ana", tenant="acme")).status_code == 200
    assert (await decide(client, app.public_key, terms, "ben", decision="declined", tenant="acme")).status_code == 200
    assert (await decide(client, app.public_key, terms, "gus", tenant="globex")).status_code == 200
    rules = await prompt(client, app.public_key, "gus", tenant="globex", policy_id="globex-rules")
    assert rules is not None
    assert (await decide(client, app.public_key, rules, "gus", tenant="globex")).status_code == 200
    await add_person(settings, "owner@x.test", [Grant(app.id, Role.OWNER)])
    await add_person(settings, "admin@acme.test", [Grant(app.id, Role.TENANT_ADMIN, "acme")])
    return app, f"/admin/apps/{app.id}"


async def test_acceptance_counts_and_coverage_by_hand(client: AsyncTestClient, settings: Settings) -> None:
    app, base = await _setup(client, settings)
    await refresh(settings, app.id)  # the whole app's active visitors come from the day summaries
    await sign_in(client, "owner@x.test")
    data = (await client.get(f"{base}/policies", params={"format": "json"})).json()
    rows = {(r["policy"], r["tenant"]): (r["accepted"], r["declined"], r["pending"]) for r in data["rows"]}
    assert rows == {("terms", "acme"): (1, 1, 1), ("terms", "globex"): (1, 0, 0), ("globex-rules", "globex"): (1, 0, 0)}
    terms = next(v for v in data["versions"] if v["policy"] == "terms")
    # ana, ben, cy and gus active today; ana and gus accepted: 2 of 4.
    today = terms["coverage"][-1]
    assert (terms["current"], today["active"], today["accepted"], today["coverage"]) == (True, 4, 2, 0.5)
    assert (terms["pending"], terms["estimated"]) == (1, True)  # 4 active, 3 decided (sketches are exact when small)
    rules = next(v for v in data["versions"] if v["policy"] == "globex-rules")
    assert (rules["accepted"], rules["pending"], rules["estimated"]) == (1, 0, False)  # one tenant: counted exactly
    assert len(terms["coverage"]) == 1  # published today: no point before publication
    assert data["chain"]["intact"] is True and data["chain"]["records"] == 4
    assert data["people"] == []  # by name on a tenant's page only
    page = await client.get(f"{base}/policies")
    assert page.status_code == 200 and "Evidence chain intact" in page.text
    assert 'data-chart="policy-coverage-data"' in page.text
    assert "terms v1 (shown now)" in page.text
    exported = list(csv.reader(io.StringIO((await client.get(f"{base}/policies", params={"format": "csv"})).text
                                           .lstrip("\ufeff"))))
    assert exported[0][:4] == ["policy", "version", "tenant", "published_at"]
    assert next(r[:3] for r in exported if r[:3] == ["terms", "1", "acme"]) == ["terms", "1", "acme"]
    coverage = list(csv.reader(io.StringIO((await client.get(f"{base}/policies", params={
        "format": "csv", "part": "coverage"})).text.lstrip("\ufeff"))))
    assert coverage[1][:2] == ["globex-rules", "1"] and coverage[-1][3:] == ["4", "2", "0.5"]


async def test_tenant_page_names_whos_pending_and_hides_other_tenants(
    client: AsyncTestClient, settings: Settings
) -> None:
    _app, base = await _setup(client, settings)
    await sign_in(client, "admin@acme.test")
    for path in (f"{base}/policies", f"{base}/evidence", f"{base}/tenants/globex/policies",
                 f"{base}/tenants/globex/evidence"):
        for fmt in ("html", "json", "csv"):
            assert (await client.get(path, params={"format": fmt})).status_code == 404, (path, fmt)
    data = (await client.get(f"{base}/tenants/acme/policies", params={"format": "json"})).json()
    assert [(r["policy"], r["tenant"], r["accepted"], r["declined"], r["pending"]) for r in data["rows"]] == [
        ("terms", "acme", 1, 1, 1)]
    assert [p["id"] for p in data["policies"]] == ["terms"]  # globex's own policy is not even named
    assert [(p["visitor"], p["name"], p["email"], p["status"]) for p in data["people"]] == [
        ("cy", "Cy Young", "cy@acme.test", "pending"), ("ben", None, None, "declined"), ("ana", None, None, "accepted")]
    today = datetime.now(UTC).date()
    assert data["people"][2]["decided_on"] in (today.isoformat(), (today - timedelta(days=1)).isoformat())
    assert data["chain"]["intact"] is True and data["chain"]["records"] == 2  # its own records only
    page = (await client.get(f"{base}/tenants/acme/policies")).text
    assert "Cy Young" in page and "globex" not in page.lower()
    people = (await client.get(f"{base}/tenants/acme/policies", params={"format": "csv"})).text
    assert "terms,1,acme,cy,Cy Young,cy@acme.test,pending," in people and "ana" in people and "gus" not in people


async def test_evidence_export_holds_the_tenants_records_only(client: AsyncTestClient, settings: Settings) -> None:
    app, base = await _setup(client, settings)
    await sign_in(client, "admin@acme.test")
    records = (await client.get(f"{base}/tenants/acme/evidence", params={"format": "json"})).json()
    assert [(r["visitor"], r["decision"], r["tenant"]) for r in records] == [
        ("ana", "accepted", "acme"), ("ben", "declined", "acme")]
    assert all(len(r["row_hash"]) == 64 for r in records)
    exported = list(csv.DictReader(io.StringIO((await client.get(f"{base}/tenants/acme/evidence",
                                                                  params={"format": "csv"})).text)))
    assert [(r["visitor"], r["tenant"]) for r in exported] == [("ana", "acme"), ("ben", "acme")]
    assert list(exported[0])[:3] == ["seq", "id", "request_id"]  # the evidence API's own columns
    page = (await client.get(f"{base}/tenants/acme/evidence")).text
    assert "2 record(s)" in page and "gus" not in page
    none_yet = (await client.get(f"{base}/tenants/acme/evidence", params={"format": "json", "from": "2020-01-01",
                                                                          "to": "2020-01-31"})).json()
    assert none_yet == []
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            logged = (await session.scalars(select(AuditEntry.target).where(
                AuditEntry.app_id == app.id, AuditEntry.action == "evidence.export"))).all()
    finally:
        await engine.dispose()
    assert len(logged) == 3 and all("acme" in t for t in logged)

    await sign_in(client, "owner@x.test")
    everything = (await client.get(f"{base}/evidence", params={"format": "json"})).json()
    assert [r["seq"] for r in everything] == [1, 2, 3, 4]


async def test_a_changed_record_shows_as_a_broken_chain(client: AsyncTestClient, settings: Settings) -> None:
    app, base = await _setup(client, settings)
    await sign_in(client, "owner@x.test")
    assert (await client.get(f"{base}/policies", params={"format": "json"})).json()["chain"]["intact"] is True
    await _sql(settings, "UPDATE policy_evidence SET decision = 'accepted' WHERE app_id = :app AND seq = 2",
               app=app.id)
    checked = (await client.get(f"{base}/policies", params={"format": "json", "check": "now"})).json()["chain"]
    assert (checked["intact"], checked["first_broken"]["seq"]) == (False, 2)
    page = (await client.get(f"{base}/policies")).text  # the last check is reused, and says so
    assert "Evidence chain broken at record 2" in page
    await sign_in(client, "admin@acme.test")
    mine = (await client.get(f"{base}/tenants/acme/policies", params={"format": "json"})).json()["chain"]
    assert (mine["intact"], mine["first_broken"]["id"]) == (False, None)


async def test_a_segment_narrows_the_counts(client: AsyncTestClient, settings: Settings) -> None:
    _app, base = await _setup(client, settings)
    await sign_in(client, "owner@x.test")
    data = (await client.get(f"{base}/policies", params={"format": "json", "segment": "visitor.name=Cy Young"})).json()
    assert [(r["policy"], r["tenant"], r["accepted"], r["declined"], r["pending"]) for r in data["rows"]] == [
        ("terms", "acme", 0, 0, 1)]


async def test_a_stale_check_is_shown_while_the_next_one_runs(
    client: AsyncTestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, base = await _setup(client, settings)
    await sign_in(client, "owner@x.test")
    assert (await client.get(f"{base}/policies", params={"format": "json"})).json()["chain"]["intact"] is True
    await _sql(settings, "DELETE FROM policy_evidence WHERE app_id = :app AND seq = 3", app=app.id)
    # Still fresh: the page shows the last check, which knew nothing of the deletion.
    assert (await client.get(f"{base}/policies", params={"format": "json"})).json()["chain"]["intact"] is True
    monkeypatch.setattr(chain_status_module, "CHAIN_CHECK_SECONDS", 0.0)

    async def noticed() -> bool:
        chain = (await client.get(f"{base}/policies", params={"format": "json"})).json()["chain"]
        return chain["intact"] is False and "record 3 is missing" in chain["first_broken"]["reason"]

    assert await eventually_async(noticed)


async def test_the_whole_apps_tenants_come_a_page_at_a_time(
    client: AsyncTestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, base = await _setup(client, settings)
    await refresh(settings, app.id)  # else the background refresh may land between the two pages
    await sign_in(client, "owner@x.test")
    monkeypatch.setattr(pages_policies, "TENANTS_PER_PAGE", 1)
    first = (await client.get(f"{base}/policies", params={"format": "json"})).json()
    assert (first["tenant_page"], first["tenant_pages"]) == (1, 2)
    assert {r["tenant"] for r in first["rows"]} == {"acme"}
    second = (await client.get(f"{base}/policies", params={"format": "json", "tenants_page": 2})).json()
    assert {(r["policy"], r["tenant"]) for r in second["rows"]} == {("terms", "globex"), ("globex-rules", "globex")}
    assert first["versions"] == second["versions"]  # the whole app's figures do not depend on the page
    html = (await client.get(f"{base}/policies")).text
    assert "Tenants, page 1 of 2" in html and "tenants_page=2" in html


async def test_a_long_chain_is_first_checked_in_the_background(
    client: AsyncTestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _app, base = await _setup(client, settings)
    await sign_in(client, "owner@x.test")
    monkeypatch.setattr(chain_status_module, "SYNC_RECORDS", 3)  # the app's chain holds 4 records
    first = await client.get(f"{base}/policies")  # the first view starts the check and does not wait for it
    assert "The evidence chain (4 records) is being checked" in first.text

    async def checked() -> bool:
        chain = (await client.get(f"{base}/policies", params={"format": "json"})).json()["chain"]
        return chain["intact"] is True and chain["records"] == 4

    assert await eventually_async(checked)
