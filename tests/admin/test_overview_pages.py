"""The adoption pages over HTTP: the overview, the tenants list, a tenant's and a visitor's profile, as an owner
and as a tenant admin, in HTML (charts and tables, strict CSP), JSON and CSV."""

from __future__ import annotations

import csv
import io

from litestar.testing import AsyncTestClient

from tests.access.helpers import add_person, owner, sign_in
from tests.admin.test_shell import check_page
from tests.analytics.summary_helpers import FIREFOX, ago, define, on, refresh, send, today
from tests.support import make_app
from waymark.access.principal import Grant, Role
from waymark.analytics.tenants_report import PER_PAGE
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import Tenant
from waymark.settings import Settings

RANGE = {"from": ago(3).isoformat(), "to": today().isoformat()}


async def _app(client: AsyncTestClient, settings: Settings) -> str:
    app = await make_app(settings)
    await define(client, app.secret_key)
    await send(client, app.public_key,
               on("group", "ann", "acme", 3, traits={"plan": "pro", "name": "Acme Inc."}),
               on("identify", "ann", "acme", 3, traits={"role": "admin"}),
               on("page", "ann", "acme", 3), on("time", "ann", "acme", 3, ms=120_000), on("page", "ann", "acme", 0),
               on("page", "bob", "acme", 2), on("click", "bob", "acme", 2),
               on("nps_response", "bob", "acme", 1, guide="nps", score=10))
    await send(client, app.public_key, on("page", "cat", "globex", 0), **{"User-Agent": FIREFOX})
    await refresh(settings, app.id)
    return app.id


async def _as_owner(client: AsyncTestClient, settings: Settings, app_id: str) -> None:
    await add_person(settings, "owner@example.test", owner(app_id))
    assert (await sign_in(client, "owner@example.test")).status_code == 303


async def test_the_overview_page_has_a_chart_and_a_table_for_each_figure(client: AsyncTestClient,
                                                                       settings: Settings) -> None:
    app_id = await _app(client, settings)
    await _as_owner(client, settings, app_id)
    page = await client.get(f"/admin/apps/{app_id}/", params=RANGE)
    assert page.status_code == 200, page.text[:500]
    check_page(page)
    html = page.text
    assert html.count('class="line-chart"') >= 4 and html.count('class="bar-chart"') >= 6
    for caption in ("Daily, weekly and monthly active visitors", "Stickiness per day", "Visitors by days active",
                    "Tenants by days active", "Page views", "Feature adoption", "Browsers", "Languages"):
        assert caption in html, caption
    assert "<table>" in html and 'name="segment"' in html and 'name="from"' in html
    data = (await client.get(f"/admin/apps/{app_id}/", params={**RANGE, "format": "json"})).json()
    assert data["from"] == RANGE["from"] and data["active_visitors"] == 3
    assert [d["dau"] for d in data["days"]] == [1, 1, 1, 2]
    assert data["browsers"] == [{"key": "Firefox", "visitors": 1, "share": 0.3333}]
    table = (await client.get(f"/admin/apps/{app_id}/", params={**RANGE, "format": "csv"})).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(table)))
    assert rows[0][0] == "section" and ["summary", "active_visitors", "", "3", "", "", ""] in rows


async def test_a_segment_narrows_the_overview_and_a_bad_one_is_a_400(client: AsyncTestClient,
                                                                   settings: Settings) -> None:
    app_id = await _app(client, settings)
    await _as_owner(client, settings, app_id)
    pro = (await client.get(f"/admin/apps/{app_id}/", params={**RANGE, "segment": "tenant.plan=pro",
                                                              "format": "json"})).json()
    assert pro["active_visitors"] == 2 and pro["segment"] == "tenant.plan=pro"
    admins = (await client.get(f"/admin/apps/{app_id}/", params={**RANGE, "segment": "visitor.role=admin",
                                                                 "format": "json"})).json()
    assert admins["active_visitors"] == 1 and [d["dau"] for d in admins["days"]] == [1, 0, 0, 1]
    bad = await client.get(f"/admin/apps/{app_id}/", params={**RANGE, "segment": "plan is pro"})
    assert bad.status_code == 400 and "tenant.<field>=<value>" in bad.text


async def test_the_tenants_list_sorts_pages_and_shows_health(client: AsyncTestClient, settings: Settings) -> None:
    app_id = await _app(client, settings)
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            session.add_all([Tenant(app_id=app_id, id=f"quiet-{i:03d}", meta={}) for i in range(PER_PAGE)])
            await session.commit()
    finally:
        await engine.dispose()
    await _as_owner(client, settings, app_id)
    first = await client.get(f"/admin/apps/{app_id}/tenants", params=RANGE)
    assert first.status_code == 200
    check_page(first)
    assert 'class="bar-chart"' in first.text and "Page 1 of 2" in first.text and 'rel="next"' in first.text
    data = (await client.get(f"/admin/apps/{app_id}/tenants", params={**RANGE, "format": "json"})).json()
    assert (data["total"], data["pages"], data["sort"], data["order"]) == (PER_PAGE + 2, 2, "active", "desc")
    acme, globex = data["tenants"][:2]
    assert (acme["tenant"], acme["name"], acme["active_visitors"], acme["active_days"], acme["band"]) == (
        "acme", "Acme Inc.", 2, 4, "1–4")
    assert acme["nps"] == 100.0 and acme["nps_responses"] == 1 and acme["trend"] == "up"
    assert globex["tenant"] == "globex" and globex["active_visitors"] == 1
    by_name = (await client.get(f"/admin/apps/{app_id}/tenants", params={
        **RANGE, "sort": "tenant", "order": "asc", "page": "2", "format": "json"})).json()
    assert by_name["page"] == 2 and [t["tenant"] for t in by_name["tenants"]] == ["quiet-048", "quiet-049"]
    nps_first = (await client.get(f"/admin/apps/{app_id}/tenants", params={
        **RANGE, "sort": "nps", "format": "json"})).json()
    assert nps_first["tenants"][0]["tenant"] == "acme" and nps_first["tenants"][1]["nps"] is None
    only_pro = (await client.get(f"/admin/apps/{app_id}/tenants", params={
        **RANGE, "segment": "tenant.plan=pro", "format": "json"})).json()
    assert [t["tenant"] for t in only_pro["tenants"]] == ["acme"]
    assert (await client.get(f"/admin/apps/{app_id}/tenants", params={"sort": "nope"})).status_code == 400
    exported = (await client.get(f"/admin/apps/{app_id}/tenants", params={**RANGE, "format": "csv"})).content
    assert exported.decode("utf-8-sig").splitlines()[1].startswith("acme,Acme Inc.,2,")


async def test_a_tenant_admin_sees_their_tenant_and_nothing_else(client: AsyncTestClient, settings: Settings) -> None:
    app_id = await _app(client, settings)
    await add_person(settings, "admin@acme.test", [Grant(app_id, Role.TENANT_ADMIN, "acme")])
    await sign_in(client, "admin@acme.test")
    own = await client.get(f"/admin/apps/{app_id}/tenants/acme/", params=RANGE)
    assert own.status_code == 200, own.text[:500]
    check_page(own)
    assert "Acme Inc." in own.text and f"/admin/apps/{app_id}/tenants/acme/benchmarks" in own.text
    assert "/visitors/" not in own.text  # visitor profiles are the product team's
    data = (await client.get(f"/admin/apps/{app_id}/tenants/acme/", params={**RANGE, "format": "json"})).json()
    assert data["overview"]["tenant"] == "acme" and data["overview"]["active_visitors"] == 2
    assert [v["visitor"] for v in data["visitors"]] == ["ann", "bob"]
    for url in (f"/admin/apps/{app_id}/tenants/globex/", f"/admin/apps/{app_id}/", f"/admin/apps/{app_id}/tenants",
                f"/admin/apps/{app_id}/visitors/ann", f"/admin/apps/{app_id}/visitors/cat",
                f"/admin/apps/{app_id}/tenants/globex/?format=json", f"/admin/apps/{app_id}/tenants?format=csv"):
        assert (await client.get(url)).status_code == 404, url


async def test_the_visitor_profile(client: AsyncTestClient, settings: Settings) -> None:
    app_id = await _app(client, settings)
    await _as_owner(client, settings, app_id)
    page = await client.get(f"/admin/apps/{app_id}/visitors/bob")
    assert page.status_code == 200
    check_page(page)
    assert "Latest events by type" in page.text and 'class="bar-chart"' in page.text
    data = (await client.get(f"/admin/apps/{app_id}/visitors/bob", params={"format": "json"})).json()
    assert data["tenant"] == "acme" and [e["type"] for e in data["timeline"]] == ["nps_response", "click", "page"]
    assert [(a["kind"], a["score"]) for a in data["answers"]] == [("nps", 10)]
    assert data["days_active"] == 2
    ann = (await client.get(f"/admin/apps/{app_id}/visitors/ann", params={"format": "json"})).json()
    assert ann["meta"] == {"role": "admin"}
    assert (await client.get(f"/admin/apps/{app_id}/visitors/nobody")).status_code == 404
    tenant_page = await client.get(f"/admin/apps/{app_id}/tenants/acme/", params=RANGE)
    assert f'/admin/apps/{app_id}/visitors/ann"' in tenant_page.text
