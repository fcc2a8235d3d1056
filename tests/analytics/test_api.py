"""REST for pages, features, untagged clicks and the usage report: shapes, errors, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from litestar.testing import AsyncTestClient

from tests.analytics.helpers import auth, click, element, event, put_feature, put_page, report, send
from tests.support import make_app
from waymark.analytics.selectors import parse_selector
from waymark.settings import Settings


async def test_pages_can_be_created_read_listed_replaced_and_deleted(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    created = await put_page(client, app.secret_key, "invoice", "/demo/invoices/*", name="Invoice")
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("id", "name", "rule")} == {
        "id": "invoice", "name": "Invoice", "rule": {"path": "/demo/invoices/*", "host": None, "query": {}},
    }
    replaced = await put_page(client, app.secret_key, "invoice",
                              {"path": "/demo/invoices/*", "query": {"tab": "*"}}, name="Invoice")
    assert replaced.status_code == 200
    assert replaced.json()["rule"]["query"] == {"tab": "*"}
    assert (await client.get("/api/v1/pages/invoice", headers=auth(app.secret_key))).json() == replaced.json()
    listed = (await client.get("/api/v1/pages", headers=auth(app.secret_key))).json()
    assert [p["id"] for p in listed] == ["invoice"]
    assert (await client.delete("/api/v1/pages/invoice", headers=auth(app.secret_key))).status_code == 204
    missing = await client.get("/api/v1/pages/invoice", headers=auth(app.secret_key))
    assert (missing.status_code, missing.json()["detail"]) == (404, "no page 'invoice' in this app")
    assert (await client.delete("/api/v1/pages/invoice", headers=auth(app.secret_key))).status_code == 404


async def test_features_can_be_created_read_listed_and_deleted(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    created = await put_feature(client, app.secret_key, "send", "#send-invoice", page="/demo/invoices/*",
                                name="Send invoice")
    assert created.status_code == 201
    assert created.json()["page"] == {"path": "/demo/invoices/*", "host": None, "query": {}}
    got = (await client.get("/api/v1/features/send", headers=auth(app.secret_key))).json()
    assert (got["selector"], got["name"]) == ("#send-invoice", "Send invoice")
    assert [f["id"] for f in (await client.get("/api/v1/features", headers=auth(app.secret_key))).json()] == ["send"]
    assert (await client.delete("/api/v1/features/send", headers=auth(app.secret_key))).status_code == 204
    assert (await client.get("/api/v1/features/send", headers=auth(app.secret_key))).status_code == 404


async def test_bad_definitions_get_a_400_naming_the_problem(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    cases = [
        (await put_feature(client, app.secret_key, "hover", "a:hover"), "selector", "pseudo-classes"),
        (await put_feature(client, app.secret_key, "sib", "h1 + p"), "selector", "sibling combinator"),
        (await put_feature(client, app.secret_key, "pg", "#x", page="invoices"), "page",
         "a path glob starts with '/'"),
        (await put_page(client, app.secret_key, "relative", "demo/invoices"), "rule", "starts with '/'"),
        (await put_page(client, app.secret_key, "host", {"path": "/x", "host": "a/b"}), "rule.host", "host glob"),
        (await put_page(client, app.secret_key, "Bad_Id", "/x"), "id", "is not a slug"),
    ]
    for response, field, message in cases:
        assert response.status_code == 400, response.text
        assert response.json()["extra"][0]["key"] == field
        assert message in response.json()["detail"]
    # /features/untagged is the list of untagged clicks, never a feature
    assert (await put_feature(client, app.secret_key, "untagged", "#x")).status_code == 405
    unknown = await client.put("/api/v1/pages/p", json={"name": "P", "rule": "/p", "colour": "red"},
                               headers=auth(app.secret_key))
    assert unknown.status_code == 400 and "colour" in unknown.text
    empty_name = await client.put("/api/v1/pages/p", json={"name": "", "rule": "/p"}, headers=auth(app.secret_key))
    assert empty_name.status_code == 400 and "name" in empty_name.text
    assert (await client.get("/api/v1/pages", headers=auth(app.secret_key))).json() == []


async def test_routes_need_the_secret_key(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    for path in ("/api/v1/pages", "/api/v1/features", "/api/v1/features/untagged", "/api/v1/reports/usage"):
        assert (await client.get(path)).status_code == 401
        assert (await client.get(path, headers=auth(app.public_key))).status_code == 403
        assert (await client.get(path, params={"key": app.public_key})).status_code == 401


async def test_untagged_lists_the_most_clicked_elements_no_feature_matches(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    link = element(tag="a", text="INV-1001", path="main#main > table#invoice-table > tbody > tr > td > a")
    tab = element(tag="a", text="Team", path="main#main > nav.tabs > a", attrs={"data-spa": "team"})
    await send(client, app.public_key,
               *(click("export-csv", v) for v in ("a", "b", "c", "d")),
               *(click("new-invoice", v) for v in ("a", "b", "c")),
               *(event("click", v, element=link) for v in ("a", "b")),
               event("click", "a", element=tab),
               click("help", path="/demo/invoices"), click("help", path="/demo/settings"),
               click("old", seconds=-40 * 86400))
    await put_feature(client, app.secret_key, "export", "#export-csv")
    await put_feature(client, app.secret_key, "help-on-settings", "#help", page="/demo/settings")
    response = await client.get("/api/v1/features/untagged", headers=auth(app.secret_key))
    assert response.status_code == 200
    found = response.json()
    assert [(u["id"], u["text"], u["clicks"]) for u in found] == [
        ("new-invoice", "new invoice", 3), ("", "INV-1001", 2), ("help", "help", 1), ("", "Team", 1),
    ]
    assert found[0]["suggested_selector"] == "#new-invoice"
    assert found[1]["suggested_selector"] == "table#invoice-table a"
    assert found[2]["example_url"].endswith("/demo/invoices")  # the settings-page click is tagged
    assert found[3]["suggested_selector"] == 'a[data-spa="team"]'
    for untagged in found:  # each suggestion would tag its element
        assert parse_selector(untagged["suggested_selector"]).matches(untagged)
    limited = await client.get("/api/v1/features/untagged", params={"limit": 1, "days": 60},
                               headers=auth(app.secret_key))
    assert [u["id"] for u in limited.json()] == ["new-invoice"]
    too_many = await client.get("/api/v1/features/untagged", params={"limit": 1000}, headers=auth(app.secret_key))
    assert too_many.status_code == 400


async def test_usage_report_json_and_csv(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await put_page(client, app.secret_key, "invoices", "/demo/invoices", name="Invoices")
    await put_page(client, app.secret_key, "settings", "/demo/settings**", name="Settings")
    await put_feature(client, app.secret_key, "new-invoice", "#new-invoice", name="New invoice")
    yesterday = -86400
    await send(client, app.public_key,
               event("page", "ann"), event("time", "ann", ms=1000), click("new-invoice", "ann"),
               event("page", "ann", seconds=yesterday), event("time", "ann", ms=500, seconds=yesterday),
               event("page", "=cmd|' /C calc'!A0"), event("track", "bob", name="invoice_sent"),
               event("guide_seen", "bob", guide="welcome-tour"),
               event("page", "eve", tenant="globex"))
    today = datetime.now(UTC) - timedelta(minutes=1)
    day, before = today.date().isoformat(), (today - timedelta(days=1)).date().isoformat()
    body = await report(client, app.secret_key, tenant="acme", **{"from": before, "to": day})
    assert body["tenant"] == "acme" and (body["from"], body["to"]) == (before, day)
    assert body["pages"] == [
        {"id": "invoices", "name": "Invoices", "views": 3, "visitors": 2, "ms": 1500},
        {"id": "settings", "name": "Settings", "views": 0, "visitors": 0, "ms": 0},
    ]
    assert body["features"] == [{"id": "new-invoice", "name": "New invoice", "clicks": 1, "visitors": 1}]
    assert body["events"] == [{"name": "invoice_sent", "count": 1, "visitors": 1}]
    assert body["guides"] == [{"id": "welcome-tour", "seen": 1, "visitors": 1}]
    assert body["active_visitors"] == 3
    assert body["visitors"][0] == {"visitor": "ann", "days_active": 2, "events": 5}
    assert body["days"] == [{"day": before, "active_visitors": 1, "events": 2},
                            {"day": day, "active_visitors": 3, "events": 6}]
    everyone = await report(client, app.secret_key, **{"from": before, "to": day})
    assert everyone["tenant"] is None and everyone["active_visitors"] == 4

    exported = await client.get("/api/v1/reports/usage", headers=auth(app.secret_key),
                                params={"tenant": "acme", "from": before, "to": day, "format": "csv"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert f'filename="usage-acme-{before}-{day}.csv"' in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["section", "key", "name", "count", "visitors", "ms", "days_active"]
    assert ["page", "invoices", "Invoices", "3", "2", "1500", ""] in rows
    assert ["feature", "new-invoice", "New invoice", "1", "1", "", ""] in rows
    assert ["visitor", "ann", "", "5", "", "", "2"] in rows
    assert ["day", day, "", "6", "3", "", ""] in rows
    # a visitor id that a spreadsheet would run as a formula is made inert
    assert ["visitor", "'=cmd|' /C calc'!A0", "", "1", "", "", "1"] in rows


async def test_usage_report_range_is_checked(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    backwards = await client.get("/api/v1/reports/usage", params={"from": "2026-02-01", "to": "2026-01-01"},
                                 headers=auth(app.secret_key))
    assert backwards.status_code == 400 and "is after" in backwards.json()["detail"]
    too_long = await client.get("/api/v1/reports/usage", params={"from": "2024-01-01", "to": "2026-01-01"},
                                headers=auth(app.secret_key))
    assert too_long.status_code == 400 and "at most 366 days" in too_long.json()["detail"]
    not_a_date = await client.get("/api/v1/reports/usage", params={"from": "yesterday"}, headers=auth(app.secret_key))
    assert not_a_date.status_code == 400
    default = await report(client, app.secret_key)
    assert len(default["days"]) == 30 and default["to"] == datetime.now(UTC).date().isoformat()


async def test_openapi_documents_the_routes(client: AsyncTestClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()
                  if isinstance(op, dict) and "operationId" in op}
    assert {"ListPages", "GetPage", "PutPage", "DeletePage", "ListFeatures", "GetFeature", "PutFeature",
            "DeleteFeature", "ListUntaggedClicks", "UsageReport"} <= operations
