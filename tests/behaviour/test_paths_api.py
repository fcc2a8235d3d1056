"""The paths API and page on a hand-made set (both databases): repeats collapsed, a session cut after 30 minutes
idle, paths from a page, to a step and to the exit; hostile input answered 400 naming the problem."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.access.helpers import add_person, owner, sign_in
from tests.admin.test_shell import check_page
from tests.analytics.helpers import auth, element
from tests.behaviour.test_funnels_api import RANGE, at
from tests.support import make_app, on_shared_server
from waymark.settings import Settings


def view(visitor: str, path: str, seconds: int) -> dict[str, Any]:
    return at("page", visitor, "acme", seconds, path=path)


async def world(client: AsyncTestClient, settings: Settings) -> Any:
    from tests.analytics.summary_helpers import send

    app = await make_app(settings)
    for kind, name, body in (("pages", "invoices", {"name": "Invoices", "rule": "/demo/invoices"}),
                             ("pages", "settings", {"name": "Settings", "rule": "/demo/settings"}),
                             ("features", "export", {"name": "Export", "selector": "#export-csv"})):
        answer = await client.put(f"/api/v1/{kind}/{name}", json=body, headers=auth(app.secret_key))
        assert answer.status_code == 201, answer.text
    # p1: invoices twice (one step), export, settings; 31 minutes idle; settings again (a second session);
    # an unnamed page is no step
    await send(client, app.public_key, view("p1", "/demo/invoices", 0), view("p1", "/demo/invoices", 10),
               at("click", "p1", "acme", 20, path="/demo/invoices", element=element("export-csv")),
               view("p1", "/demo/nowhere", 25), view("p1", "/demo/settings", 30),
               view("p1", "/demo/settings", 30 + 31 * 60))
    # p2: invoices, settings; p3: settings then the track event Saved, then invoices 30 minutes later (same session)
    await send(client, app.public_key, view("p2", "/demo/invoices", 0), view("p2", "/demo/settings", 10))
    await send(client, app.public_key, view("p3", "/demo/settings", 0), at("track", "p3", "acme", 5, name="Saved"),
               view("p3", "/demo/invoices", 5 + 30 * 60))
    return app


async def paths(client: AsyncTestClient, secret: str, **params: str) -> list[tuple[list[str], int]]:
    answer = await client.get("/api/v1/reports/paths", params={**RANGE, **params}, headers=auth(secret))
    assert answer.status_code == 200, answer.text
    return [(p["steps"], p["visitors"]) for p in answer.json()["paths"]]


async def test_paths_from_to_and_before_leaving(client: AsyncTestClient, settings: Settings) -> None:
    app = await world(client, settings)
    assert await paths(client, app.secret_key, from_step="page:invoices", length="3") == [
        (["page:invoices", "exit"], 1),  # p3's last step
        (["page:invoices", "feature:export", "page:settings"], 1),
        (["page:invoices", "page:settings", "exit"], 1),
    ]
    assert await paths(client, app.secret_key, to_step="exit", length="3") == [
        (["event:Saved", "page:invoices", "exit"], 1),
        (["feature:export", "page:settings", "exit"], 1),
        (["page:invoices", "page:settings", "exit"], 1),
        (["page:settings", "exit"], 1),
    ]
    assert await paths(client, app.secret_key, to_step="page:settings", length="3", top="2") == [
        (["start", "page:settings"], 2),  # p1's second session, p3
        (["page:invoices", "feature:export", "page:settings"], 1),  # before ("start", …) at the same count
    ]
    assert await paths(client, app.secret_key, from_step="page:settings", length="3", tenant="globex") == []


async def test_the_paths_page_draws_a_sankey_and_a_table(client: AsyncTestClient, settings: Settings) -> None:
    app = await world(client, settings)
    await add_person(settings, "owner@example.test", owner(app.id))
    assert (await sign_in(client, "owner@example.test")).status_code == 303
    page = await client.get(f"/admin/apps/{app.id}/paths", params={**RANGE, "from_step": "page:invoices",
                                                                    "length": "3"})
    assert page.status_code == 200, page.text[:300]
    check_page(page)
    assert 'class="sankey"' in page.text and page.text.count('class="sankey-link"') == 5
    assert "<table>" in page.text and "page:invoices → feature:export → page:settings" in page.text
    csv = (await client.get(f"/admin/apps/{app.id}/paths", params={**RANGE, "from_step": "page:invoices",
                                                                   "length": "3", "format": "csv"})).content
    assert csv.decode("utf-8-sig").splitlines()[0] == "rank,visitors,path"
    bad = await client.get(f"/admin/apps/{app.id}/paths", params={"length": "9"})
    assert bad.status_code == 400 and "length" in bad.text


@on_shared_server
@pytest.mark.parametrize(("params", "named"), [
    ({"length": "2"}, "length"),
    ({"length": "6"}, "length"),
    ({"top": "0"}, "top"),
    ({"top": "51"}, "top"),
    ({"from_step": "guide:tour:completed"}, "pages, features and track events"),
    ({"from_step": "event:A[plan=pro]"}, "pages, features and track events"),
    ({"from_step": "page:a", "to_step": "page:b"}, "not both"),
    ({"from_step": "exit"}, "from_step=exit"),
    ({"to_step": "nonsense"}, "not understood"),
    ({"segment": "plan"}, "segment"),
    ({"from": "2026-13-01"}, "from"),
])
async def test_hostile_input_is_a_400_naming_the_problem(server: AsyncTestClient, shared_settings: Settings,
                                                         params: dict[str, str], named: str) -> None:
    app = await make_app(shared_settings)
    answer = await server.get("/api/v1/reports/paths", params=params, headers=auth(app.secret_key))
    assert answer.status_code == 400, answer.text
    assert named in answer.text, answer.text
