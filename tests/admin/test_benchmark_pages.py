"""The benchmark pages: the product team's distributions, a tenant admin's own position only, k, and opting out."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from litestar.testing import AsyncTestClient

from tests.access.helpers import add_person, post_form, sign_in
from tests.peers.helpers import active, opt_out, refresh, tenant
from tests.support import make_app
from waymark.access.principal import Grant, Role
from waymark.settings import Settings

RETAIL = ["northwind", "contoso", "fabrikam", "tailspin", "wingtip"]
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


def stickiness(i: int) -> float:
    """A retail tenant's (index i from 1): an admin active yesterday and a visitor on i days, over 30 days."""
    return round(100 * (1 + i) / 60, 1)


async def _setup(client: AsyncTestClient, settings: Settings, retail: int = 5) -> tuple[Any, str]:
    app = await make_app(settings)
    for i, name in enumerate(RETAIL[:retail], start=1):
        await tenant(client, app.public_key, name, industry="Retail", plan="pro")
        await active(client, app.public_key, name, f"{name}-user", list(range(1, i + 1)))
    await tenant(client, app.public_key, "medica", industry="Health", plan="pro")
    await active(client, app.public_key, "medica", "medica-user", [1, 2, 3, 4, 5, 6, 7, 8, 9])
    await add_person(settings, "owner@x.test", [Grant(app.id, Role.OWNER)])
    await add_person(settings, "analyst@x.test", [Grant(app.id, Role.ANALYST)])
    await add_person(settings, "admin@contoso.test", [Grant(app.id, Role.TENANT_ADMIN, "contoso")])
    return app, f"/admin/apps/{app.id}"


async def test_the_product_team_sees_every_groups_distribution(client: AsyncTestClient, settings: Settings) -> None:
    _, base = await _setup(client, settings)
    await sign_in(client, "analyst@x.test")
    data = (await client.get(f"{base}/benchmarks", params={"format": "json"})).json()
    assert data["peer_group"] == "industry" and data["k"] == 5
    groups = {(g["metric"], g["group"]): g for g in data["groups"]}
    retail = groups[("stickiness", "retail")]
    values = [stickiness(i) for i in range(1, 6)]  # 3.3, 5.0, 6.7, 8.3, 10.0
    assert retail["available"] and retail["values"] == values and retail["peers"] == 5
    assert (retail["p25"], retail["p50"], retail["p75"]) == (5.0, 7.0, 8.0) and "p90" not in retail
    health = groups[("stickiness", "health")]  # one tenant: k − 4
    assert (health["available"], health["peers"], health["reason"], health.get("values", [])) == (
        False, 1, "too_few_peers", [])
    page = await client.get(f"{base}/benchmarks")
    assert page.status_code == 200 and 'class="strip-chart"' in page.text and "Hidden: fewer than 5" in page.text
    assert page.text.count('class="dot"') == 5 * 1  # stickiness only: no feature, survey or guide data here
    assert "Smallest peer group" not in page.text  # an analyst cannot change k
    rows = list(csv.reader(io.StringIO((await client.get(f"{base}/benchmarks", params={
        "format": "csv", "peer_group": "plan"})).text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["metric", "peer_group", "group", "available", "peers"]
    assert next(r[:5] for r in rows if r[0] == "stickiness") == ["stickiness", "plan", "pro", "true", "6"]
    assert (await client.get(f"{base}/benchmarks", params={"peer_group": "city"})).status_code == 400


async def test_k_minus_one_peers_show_nothing_and_k_show_quartiles(client: AsyncTestClient,
                                                                   settings: Settings) -> None:
    app, base = await _setup(client, settings, retail=4)
    await sign_in(client, "owner@x.test")
    hidden = (await client.get(f"{base}/tenants/contoso/benchmarks", params={"format": "json"})).json()
    stick = next(b for b in hidden["benchmarks"] if b["metric"] == "stickiness")
    assert (stick["available"], stick["reason"], stick["peers"]) == (False, "too_few_peers", 4)
    assert not {"value", "percentile", "p25", "p50", "p75", "p90"} & stick.keys()
    assert "only 4 tenants of this industry group have a stickiness figure" in (
        await client.get(f"{base}/tenants/contoso/benchmarks")).text

    await tenant(client, app.public_key, "wingtip", industry="retail", plan="pro")
    await active(client, app.public_key, "wingtip", "wingtip-user", [1, 2, 3, 4, 5])
    await refresh(settings, app.id)
    shown = (await client.get(f"{base}/tenants/contoso/benchmarks", params={"format": "json"})).json()
    stick = next(b for b in shown["benchmarks"] if b["metric"] == "stickiness")
    assert stick["available"] and (stick["value"], stick["percentile"], stick["peers"]) == (stickiness(2), 30, 5)
    assert (stick["p25"], stick["p50"], stick["p75"]) == (5.0, 7.0, 8.0)


async def test_a_tenant_admin_sees_only_their_own_position(client: AsyncTestClient, settings: Settings) -> None:
    _, base = await _setup(client, settings)
    await sign_in(client, "admin@contoso.test")
    for path in (f"{base}/benchmarks", f"{base}/tenants/northwind/benchmarks"):
        for fmt in ("html", "json", "csv"):
            assert (await client.get(path, params={"format": fmt})).status_code == 404, (path, fmt)
    answer = await client.get(f"{base}/tenants/contoso/benchmarks", params={"format": "json"})
    data = answer.json()
    stick = next(b for b in data["benchmarks"] if b["metric"] == "stickiness")
    assert (stick["value"], stick["percentile"], stick["position"], stick["peers"]) == (
        stickiness(2), 30, "at_p25", 5)
    assert not {"p25", "p50", "p75", "p90"} & stick.keys()
    # the other retail tenants, the median and p75 (p25 is contoso's own 5.0), medica's 16.7
    others = [f"{stickiness(i):g}" for i in (1, 3, 4, 5)] + ["7.0", "8.0", "16.7"]
    html = (await client.get(f"{base}/tenants/contoso/benchmarks")).text
    exported = (await client.get(f"{base}/tenants/contoso/benchmarks", params={"format": "csv"})).text
    for text in (answer.text, html, exported):
        for name in [*RETAIL, "medica"]:
            assert name == "contoso" or name not in text, name
    for text in (answer.text, exported):
        text = _TIMESTAMP.sub("", text)  # a computed_at such as 06:58:10 would look like a leaked 10
        for value in others:
            assert value not in text.split(",") and f":{value}" not in text, value
    assert 'class="position-chart"' in html and "p25" not in html
    assert "never another tenant" in html


async def test_an_opted_out_tenant_is_left_out_and_told_why(client: AsyncTestClient, settings: Settings) -> None:
    app, base = await _setup(client, settings)
    await sign_in(client, "owner@x.test")
    await opt_out(client, app.secret_key, "wingtip")
    data = (await client.get(f"{base}/benchmarks", params={"format": "json"})).json()
    retail = next(g for g in data["groups"] if (g["metric"], g["group"]) == ("stickiness", "retail"))
    assert (retail["available"], retail["peers"]) == (False, 4)  # wingtip's figure is gone from everyone's
    await add_person(settings, "admin@wingtip.test", [Grant(app.id, Role.TENANT_ADMIN, "wingtip")])
    await sign_in(client, "admin@wingtip.test")
    own = (await client.get(f"{base}/tenants/wingtip/benchmarks", params={"format": "json"})).json()
    assert {b["reason"] for b in own["benchmarks"]} == {"opted_out"}
    html = (await client.get(f"{base}/tenants/wingtip/benchmarks")).text
    assert "opted out of data collection" in html and "neither contributes to benchmarks nor sees them" in html


async def test_an_owner_sets_k_and_never_below_five(client: AsyncTestClient, settings: Settings) -> None:
    _, base = await _setup(client, settings)
    await sign_in(client, "owner@x.test")
    assert "Smallest peer group" in (await client.get(f"{base}/benchmarks")).text
    too_small = await post_form(client, f"{base}/benchmarks/settings", {"k": "3"}, token_from=f"{base}/benchmarks")
    assert too_small.status_code == 400 and "between 5 and 1000" in too_small.text
    saved = await post_form(client, f"{base}/benchmarks/settings", {"k": "6"}, token_from=f"{base}/benchmarks")
    assert saved.status_code == 303 and saved.headers["location"].endswith("/benchmarks?saved=1")
    data = (await client.get(f"{base}/benchmarks", params={"format": "json"})).json()
    retail = next(g for g in data["groups"] if (g["metric"], g["group"]) == ("stickiness", "retail"))
    assert data["k"] == 6 and (retail["available"], retail["peers"]) == (False, 5)
    await sign_in(client, "analyst@x.test")
    denied = await post_form(client, f"{base}/benchmarks/settings", {"k": "7"}, token_from=f"{base}/benchmarks")
    assert denied.status_code == 404
