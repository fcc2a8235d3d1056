"""The trends and retention admin pages: HTML with a chart and a table, JSON and CSV at the same URL, the nav."""

from __future__ import annotations

import re

import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

from tests.admin.pages_support import signed_in
from tests.analytics.helpers import auth
from tests.behaviour.trends_data import END, START, seed
from tests.support import make_app, on_shared_server
from waymark.access.principal import Grant, Role
from waymark.apps.services import NewApp
from waymark.settings import Settings

RANGE = f"from={START}&to={END}"


@pytest.fixture
async def app(client: AsyncTestClient, settings: Settings) -> NewApp:
    made = await make_app(settings)
    await seed(client, made)
    await signed_in(client, settings, "owner@example.test", [Grant(made.id, Role.OWNER)])
    return made


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_app(server: AsyncTestClient, shared_settings: Settings) -> NewApp:
    """``app`` on the module's shared server, its owner signed in there, for the cases that are refused."""
    made = await make_app(shared_settings)
    await seed(server, made)
    await signed_in(server, shared_settings, f"owner-{made.id}@example.test", [Grant(made.id, Role.OWNER)])
    return made


async def test_the_trends_page_answers_html_json_and_csv_alike(client: AsyncTestClient, app: NewApp) -> None:
    query = f"events=event:Signup,event:Invite&interval=week&measure=unique&formula=A%2FB&{RANGE}"
    html = await client.get(f"/admin/apps/{app.id}/trends?{query}")
    assert html.status_code == 200, html.text
    assert 'id="trend-data"' in html.text and 'id="trend-formula-data"' in html.text  # the charts' data
    assert "<table" in html.text and "A · event:Signup" in html.text
    assert re.search(r'<a href="/admin/apps/[^"]+/trends"[^>]*>Trends</a>', html.text)  # the nav names the page
    page_json = (await client.get(f"/admin/apps/{app.id}/trends?{query}&format=json")).json()
    api_json = (await client.get(f"/api/v1/reports/trends?{query}", headers=auth(app.secret_key))).json()
    assert page_json == api_json
    assert [s["values"] for s in page_json["series"]] == [[2, 2, 1], [1, 2, 0]]
    csv = await client.get(f"/admin/apps/{app.id}/trends?{query}&format=csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    assert csv.text.lstrip("\ufeff").splitlines()[0] == "series,ref,group,period_start,period_end,value"


async def test_without_events_the_page_shows_the_first_pages(client: AsyncTestClient, app: NewApp) -> None:
    data = (await client.get(f"/admin/apps/{app.id}/trends?interval=week&{RANGE}&format=json")).json()
    assert [(s["ref"], s["values"]) for s in data["series"]] == [("page:invoices", [2, 0, 2])]


async def test_a_tenant_page_counts_only_that_tenant(client: AsyncTestClient, app: NewApp) -> None:
    data = (await client.get(f"/admin/apps/{app.id}/tenants/t1/trends?events=event:Signup&interval=week&{RANGE}"
                             "&format=json")).json()
    assert data["tenant"] == "t1" and data["series"][0]["values"] == [2, 1, 0]
    retention = (await client.get(f"/admin/apps/{app.id}/tenants/t2/retention?brackets=3&{RANGE}"
                                  "&format=json")).json()
    assert [c["size"] for c in retention["cohorts"]] == [1, 1, 0]


async def test_the_retention_page_shades_cells_by_class_and_draws_the_average(client: AsyncTestClient,
                                                                            app: NewApp) -> None:
    html = await client.get(f"/admin/apps/{app.id}/retention?interval=week&brackets=3&{RANGE}")
    assert html.status_code == 200, html.text
    text = html.text
    assert ' style="' not in text  # strict CSP: shading is by class only
    # cohort W1 (3 visitors): 100%, 66.7%, 33.3%; W2 (1): 100% then a second bracket that has not ended
    first = re.search(r"<th scope=\"row\">2026-03-02 – 2026-03-08</th>(.*?)</tr>", text, re.S)
    assert first is not None
    cells = re.findall(r'<td class="(ret[^"]*)"[^>]*>([^<]*)</td>', first.group(1))
    assert cells == [("ret ret-10", "100.0%"), ("ret ret-6", "66.7%"), ("ret ret-3", "33.3%")]
    second = re.search(r"<th scope=\"row\">2026-03-09 – 2026-03-15</th>(.*?)</tr>", text, re.S)
    assert second is not None
    assert re.findall(r'<td class="(ret[^"]*)"', second.group(1)) == ["ret ret-10", "ret ret-10", "ret-none"]
    assert 'class="average"' in text and "75.0%" in text
    assert 'id="retention-average-data"' in text and '"time":false' in text.replace(" ", "")
    data = (await client.get(f"/admin/apps/{app.id}/retention?interval=week&brackets=3&{RANGE}&format=json")).json()
    assert data["average"][1] == 0.75
    csv = await client.get(f"/admin/apps/{app.id}/retention?interval=week&brackets=3&{RANGE}&format=csv")
    assert csv.text.lstrip("\ufeff").splitlines()[0] == "cohort_start,cohort_end,size,bracket,returned,rate,complete"


@on_shared_server
@pytest.mark.parametrize(("path", "says"), [
    ("trends?events=event:Signup&formula=A%2BZ", "names no series"),
    ("trends?events=event:Signup&formula=import%20os", "'i' at position 1 names no series"),
    ("trends?events=nope", "page:ID"),
    ("trends?events=event:Signup&breakdown=country", "breakdown='country' is not offered"),
    ("trends?events=event:Signup&segment=plan", "segment 'plan' is not understood"),
    ("retention?start_event=page:", "start_event"),
    ("retention?brackets=0", "brackets"),
    ("retention?mode=sometimes", "mode"),
])
async def test_bad_input_on_the_pages_answers_400(server: AsyncTestClient, shared_app: NewApp, path: str,
                                                  says: str) -> None:
    answer = await server.get(f"/admin/apps/{shared_app.id}/{path}")
    assert answer.status_code == 400, answer.text[:300]
    assert says in answer.text
