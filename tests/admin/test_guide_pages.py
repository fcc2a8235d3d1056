"""The guide pages over HTTP: figures with a chart and a table, JSON and CSV, the explainer form, who may see them."""

from __future__ import annotations

import csv
import io
import json
import re

from litestar.testing import AsyncTestClient

from tests.access.helpers import add_person, owner, sign_in
from tests.admin.test_shell import check_page
from tests.guidestats.helpers import TOUR, guide_event, send
from tests.support import make_app, push
from waymark.access.principal import Grant, Role
from waymark.settings import Settings

HELP_TIP = """\
id: tip
name: Tip
kind: tooltip
steps:
  - type: tooltip
    anchor: "#help"
    title: Help
"""


async def _app_with_story(client: AsyncTestClient, settings: Settings) -> tuple[str, str]:
    app = await make_app(settings)
    assert (await push(client, app.secret_key, {"tour.yaml": TOUR, "tip.yaml": HELP_TIP})).status_code == 200
    e = guide_event
    await send(client, app.public_key, [
        e("guide_seen", "ana", 0, 0, "acme"), e("guide_step_advanced", "ana", 10, 1, "acme"),
        e("guide_step_advanced", "ana", 20, 2, "acme"), e("guide_completed", "ana", 30, 2, "acme"),
        e("guide_seen", "ben", 0, 0, "acme"), e("guide_step_advanced", "ben", 5, 1, "acme"),
        e("guide_dismissed", "ben", 65, 1, "acme"),
        e("guide_seen", "cy", 0, 0, "globex"), e("guide_snoozed", "cy", 3, 0, "globex", days=1),
        e("guide_anchor_missing", "dee", 0, 0, "globex", guide="tip", anchor="#help", waited_ms=3000),
        {"id": "g-acme", "type": "group", "ts": e("x", "ana", 0)["ts"], "visitor": "ana", "tenant": "acme",
         "traits": {"plan": "pro"}},
        {"id": "i-cy", "type": "identify", "ts": e("x", "cy", 0)["ts"], "visitor": "cy", "tenant": "globex",
         "traits": {"role": "admin"}},
    ])
    await add_person(settings, "owner@example.test", owner(app.id))
    assert (await sign_in(client, "owner@example.test")).status_code == 303
    return app.id, app.secret_key


async def test_the_guides_list_shows_a_chart_a_table_and_exports(client: AsyncTestClient, settings: Settings) -> None:
    app_id, _ = await _app_with_story(client, settings)
    page = await client.get(f"/admin/apps/{app_id}/guides")
    assert page.status_code == 200, page.text
    check_page(page)
    html = page.text
    assert 'class="bar-chart"' in html and "<table" in html
    assert f'href="/admin/apps/{app_id}/guides/tour?' in html
    listed = (await client.get(f"/admin/apps/{app_id}/guides?format=json")).json()
    by_id = {g["guide"]: g for g in listed["guides"]}
    assert {k: by_id["tour"][k] for k in ("views", "visitors", "completed", "completion_rate")} == {
        "views": 3, "visitors": 3, "completed": 1, "completion_rate": 1 / 3}
    assert (by_id["tip"]["views"], by_id["tip"]["kind"]) == (0, "tooltip")
    rows = list(csv.reader(io.StringIO((await client.get(f"/admin/apps/{app_id}/guides?format=csv")).text.lstrip(
        "\ufeff"))))
    assert rows[0][:5] == ["guide", "name", "kind", "published", "views"]
    assert rows[1:] == [["tip", "Tip", "tooltip", "true", "0", "0", "0", ""],
                        ["tour", "Tour", "walkthrough", "true", "3", "3", "1", repr(1 / 3)]]


async def test_a_guide_page_has_its_trend_drop_off_ends_and_lift(client: AsyncTestClient, settings: Settings) -> None:
    app_id, _ = await _app_with_story(client, settings)
    page = await client.get(f"/admin/apps/{app_id}/guides/tour?segment=tenant.plan=pro")
    assert page.status_code == 200, page.text
    check_page(page)
    html = page.text
    trend = re.search(r'<script type="application/json" id="guide-trend-data">(.*?)</script>', html, re.S)
    assert trend, "no trend chart"
    series = {s["label"]: s["values"] for s in json.loads(trend.group(1))["series"]}
    assert sum(series["Views"]) == 2 and sum(series["Completed"]) == 1  # acme (plan pro): ana and ben
    assert html.count('class="bar-chart"') >= 2 and "Step drop-off (table)" in html
    assert "names no goal" in html  # the tour has no goal: its lift is explained, not hidden
    data = (await client.get(f"/admin/apps/{app_id}/guides/tour?format=json")).json()
    figures = data["figures"]
    assert [s["visitors"] for s in figures["steps"]] == [3, 2, 1]
    assert (figures["dismiss_rate"], figures["snooze_rate"], figures["median_ms"]) == (1 / 3, 1 / 3, 47_500)
    assert data["lift"] is None and "goal" in data["lift_unavailable"]
    # segments: acme's plan, cy's role (read from stored metadata)
    pro = (await client.get(f"/admin/apps/{app_id}/guides/tour?segment=tenant.plan=pro&format=json")).json()
    assert (pro["figures"]["visitors"], pro["figures"]["completed"], pro["figures"]["segment"]) == (
        2, 1, "tenant.plan=pro")
    admins = (await client.get(f"/admin/apps/{app_id}/guides?segment=visitor.role=admin&format=json")).json()
    assert {g["guide"]: (g["visitors"], g["views"]) for g in admins["guides"]} == {"tip": (0, 0), "tour": (1, 1)}
    nobody = (await client.get(f"/admin/apps/{app_id}/guides/tour?segment=tenant.plan=free&format=json")).json()
    assert (nobody["figures"]["visitors"], nobody["figures"]["name"]) == (0, "Tour")
    tip = (await client.get(f"/admin/apps/{app_id}/guides/tip?format=json")).json()["figures"]
    assert (tip["anchor_missing"], tip["anchor_missing_visitors"], tip["views"]) == (1, 1, 0)
    rows = list(csv.reader(io.StringIO((await client.get(f"/admin/apps/{app_id}/guides/tour?format=csv")).text
                                       .lstrip("\ufeff"))))
    assert rows[0] == ["section", "key", "metric", "value"]
    assert ["step", "2", "visitors", "2"] in rows and ["total", "", "completed", "1"] in rows
    assert (await client.get(f"/admin/apps/{app_id}/guides/nothing")).status_code == 404
    assert (await client.get(f"/admin/apps/{app_id}/guides/tour?from=2026-13-01")).status_code == 400


async def test_the_explainer_form_answers_what_the_api_answers(client: AsyncTestClient, settings: Settings) -> None:
    app_id, secret = await _app_with_story(client, settings)
    question = {"visitor": "ana", "url": "https://app.example.com/invoices", "tenant": "acme"}
    api = await client.get("/api/v1/guides/tour/explain", params=question,
                           headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200, api.text
    form = await client.get(f"/admin/apps/{app_id}/guides/tour/explain", params={**question, "format": "json"})
    assert form.json() == api.json() and api.json()["reason"] == "already_completed"
    page = await client.get(f"/admin/apps/{app_id}/guides/tour/explain", params=question)
    check_page(page)
    assert "<code>already_completed</code>" in page.text and 'value="ana"' in page.text
    # another visitor, on a page the tour does not target, in French: still the API's answer
    other = {**question, "visitor": "zed", "url": "https://app.example.com/settings?x=1", "locale": "fr"}
    fresh = (await client.get(f"/admin/apps/{app_id}/guides/tour/explain", params={**other, "format": "json"}))
    assert fresh.json() == (await client.get("/api/v1/guides/tour/explain", params=other,
                                             headers={"Authorization": f"Bearer {secret}"})).json()
    assert fresh.json()["reason"] != "already_completed" and fresh.json()["locale"] == "fr"
    # the guide page carries the empty form; a bad question is a 400 that says what is wrong
    assert 'action="/admin/apps/' in (await client.get(f"/admin/apps/{app_id}/guides/tour")).text
    bad = await client.get(f"/admin/apps/{app_id}/guides/tour/explain", params={"visitor": "ana", "url": "invoices"})
    assert bad.status_code == 400 and "full address" in bad.text
    assert (await client.get(f"/admin/apps/{app_id}/guides/tour/explain",
                             params={"visitor": "ana", "format": "json"})).status_code == 400
    assert (await client.get(f"/admin/apps/{app_id}/guides/nope/explain", params=question)).status_code == 404


async def test_a_tenant_admin_and_a_stranger_get_404(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    other = await make_app(settings, "Other")
    await add_person(settings, "admin@acme.test", [Grant(app.id, Role.TENANT_ADMIN, "acme")])
    assert (await sign_in(client, "admin@acme.test")).status_code == 303
    for path in ("guides", "guides/tour", "guides/tour/explain?visitor=a&url=https://h/"):
        for app_id in (app.id, other.id):
            for fmt in ("", "&format=json" if "?" in path else "?format=json"):
                response = await client.get(f"/admin/apps/{app_id}/{path}{fmt}")
                assert response.status_code == 404, (app_id, path, fmt, response.status_code)
    client.cookies.clear()
    assert (await client.get(f"/admin/apps/{app.id}/guides", follow_redirects=False)).status_code == 303
