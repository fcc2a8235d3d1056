"""The NPS and poll pages: figures worked out by hand, HTML, JSON and CSV, and a tenant admin kept to their tenant."""

from __future__ import annotations

import csv
import io
from typing import Any

from litestar.testing import AsyncTestClient

from tests.access.helpers import add_person, sign_in
from tests.support import make_app, push
from tests.surveys.helpers import NPS, POLLS, answer, seen, send
from waymark.access.principal import Grant, Role
from waymark.settings import Settings


async def _app_with_answers(client: AsyncTestClient, settings: Settings) -> tuple[Any, str]:
    app = await make_app(settings)
    pushed = await push(client, app.secret_key, {"nps.yaml": NPS.format(sample=1.0), "polls.yaml": POLLS})
    assert pushed.status_code == 200, pushed.text
    await send(client, app.public_key,
               {"id": "g-acme", "type": "group", "ts": seen("x")["ts"], "visitor": "ana", "tenant": "acme",
                "traits": {"plan": "pro"}},
               *(seen(v, t) for v, t in (("ana", "acme"), ("ben", "acme"), ("eve", "acme"), ("cy", "globex"),
                                         ("dee", "globex"))),
               answer("nps_response", "ana", score=3, seconds=-30),
               answer("nps_response", "ana", score=10, comment="Fast <b>invoices</b>", seconds=2),
               answer("nps_response", "ben", score=8),
               answer("nps_response", "cy", "globex", score=2, comment="=HYPERLINK(\"x\")", seconds=3),
               answer("nps_response", "dee", "globex", score=9, comment="Globex likes it", seconds=4))
    await add_person(settings, "owner@x.test", [Grant(app.id, Role.OWNER)])
    await add_person(settings, "admin@acme.test", [Grant(app.id, Role.TENANT_ADMIN, "acme")])
    return app, f"/admin/apps/{app.id}"


async def test_nps_figures_match_the_hand_count(client: AsyncTestClient, settings: Settings) -> None:
    _app, base = await _app_with_answers(client, settings)
    assert (await sign_in(client, "owner@x.test")).status_code == 303
    data = (await client.get(f"{base}/nps", params={"format": "json"})).json()
    report = data["report"]
    # Latest per visitor: ana 10, dee 9 (promoters), ben 8 (passive), cy 2 (detractor): 100 × (2 − 1) / 4 = 25.
    # Variance p + d − (p − d)² = 0.75 − 0.0625 = 0.6875; 196 × √(0.6875 / 4) = 81.258, clipped at 100.
    assert (report["responses"], report["score"], report["ci95"]) == (4, 25.0, [-56.26, 100.0])
    assert (report["shown"], report["response_rate"]) == (5, 0.8)
    assert {s["score"]: s["count"] for s in data["distribution"] if s["count"]} == {2: 1, 8: 1, 9: 1, 10: 1}
    assert len(data["distribution"]) == 11
    # acme: ana 10, ben 8 → 50, shown to ana, ben, eve; globex: cy 2, dee 9 → 0, shown to both.
    assert [(t["tenant"], t["responses"], t["score"], t["shown"], t["response_rate"]) for t in data["tenants"]] == [
        ("acme", 2, 50.0, 3, 0.6667), ("globex", 2, 0.0, 2, 1.0)]
    assert [c["comment"] for c in data["comments"]] == ["Globex likes it", "=HYPERLINK(\"x\")",
                                                        "Fast <b>invoices</b>"]
    page = await client.get(f"{base}/nps")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "Fast &lt;b&gt;invoices&lt;/b&gt;" in page.text and "<b>invoices</b>" not in page.text
    assert "<svg class=\"interval-chart\"" in page.text and "95% interval" in page.text
    assert "NPS 25 (95% interval -56.26 to 100), 4 answer(s)" in (await client.get(
        f"{base}/nps", params={"interval": "month"})).text
    rows = list(csv.reader(io.StringIO((await client.get(f"{base}/nps", params={"format": "csv"})).text.lstrip(
        "\ufeff"))))
    assert rows[0][:7] == ["section", "key", "responses", "promoters", "passives", "detractors", "score"]
    assert rows[1][:7] == ["total", "", "4", "2", "1", "1", "25.0"] and rows[1][9:] == ["5", "0.8"]
    assert [r for r in rows if r[0] == "tenant"][1][:3] == ["tenant", "globex", "2"]
    comments = list(csv.reader(io.StringIO((await client.get(f"{base}/nps", params={
        "format": "csv", "part": "comments"})).text.lstrip("\ufeff"))))
    assert [r[5] for r in comments[1:]] == ["Globex likes it", "'=HYPERLINK(\"x\")", "Fast <b>invoices</b>"]


async def test_segment_and_unknown_survey(client: AsyncTestClient, settings: Settings) -> None:
    _app, base = await _app_with_answers(client, settings)
    await sign_in(client, "owner@x.test")
    pro = (await client.get(f"{base}/nps", params={"format": "json", "segment": "tenant.plan=pro"})).json()
    assert (pro["report"]["responses"], pro["report"]["score"], pro["report"]["shown"]) == (2, 50.0, 3)
    assert {c["tenant"] for c in pro["comments"]} == {"acme"}
    assert (await client.get(f"{base}/nps", params={"survey": "nope"})).status_code == 404
    bad = await client.get(f"{base}/nps", params={"segment": "plan is pro"})
    assert bad.status_code == 400 and "tenant.<field>=<value>" in bad.text


async def test_a_tenant_admin_sees_only_their_tenants_answers(client: AsyncTestClient, settings: Settings) -> None:
    _app, base = await _app_with_answers(client, settings)
    await sign_in(client, "admin@acme.test")
    for path in (f"{base}/nps", f"{base}/polls", f"{base}/tenants/globex/nps", f"{base}/tenants/globex/polls"):
        for fmt in ("html", "json", "csv"):
            assert (await client.get(path, params={"format": fmt})).status_code == 404, (path, fmt)
    data = (await client.get(f"{base}/tenants/acme/nps", params={"format": "json"})).json()
    assert (data["report"]["responses"], data["report"]["score"], data["report"]["shown"]) == (2, 50.0, 3)
    assert [c["tenant"] for c in data["comments"]] == ["acme"]
    assert [t["tenant"] for t in data["tenants"]] == ["acme"]
    page = (await client.get(f"{base}/tenants/acme/nps")).text
    assert "Fast &lt;b&gt;invoices" in page and "Globex" not in page and "HYPERLINK" not in page
    exported = (await client.get(f"{base}/tenants/acme/nps", params={"format": "csv", "part": "comments"})).text
    assert "Fast <b>invoices</b>" in exported and "globex" not in exported.lower()


async def test_comments_come_newest_first_a_page_at_a_time(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await push(client, app.secret_key, {"nps.yaml": NPS.format(sample=1.0)})
    await send(client, app.public_key, *(answer("nps_response", f"v{i:02d}", score=i % 11, comment=f"note {i}",
                                                seconds=i) for i in range(30)))
    await add_person(settings, "owner@x.test", [Grant(app.id, Role.OWNER)])
    await sign_in(client, "owner@x.test")
    first = (await client.get(f"/admin/apps/{app.id}/nps", params={"format": "json"})).json()
    assert (first["comments_total"], first["page"], first["pages"]) == (30, 1, 2)
    assert [c["comment"] for c in first["comments"]][:2] == ["note 29", "note 28"] and len(first["comments"]) == 25
    second = (await client.get(f"/admin/apps/{app.id}/nps", params={"format": "json", "page": 2})).json()
    assert [c["comment"] for c in second["comments"]] == [f"note {i}" for i in range(4, -1, -1)]
    html = (await client.get(f"/admin/apps/{app.id}/nps", params={"page": 2})).text
    assert "Page 2 of 2" in html and "note 4" in html and "note 29" not in html


async def test_poll_results_per_question(client: AsyncTestClient, settings: Settings) -> None:
    app, base = await _app_with_answers(client, settings)
    await send(client, app.public_key,
               answer("poll_response", "ana", guide="tour-poll", question="plan", choices=["pro"]),
               answer("poll_response", "ben", guide="tour-poll", question="plan", choices=["free"]),
               answer("poll_response", "cy", "globex", guide="tour-poll", question="plan", choices=["pro"]),
               answer("poll_response", "ana", guide="tour-poll", question="ease", rating=4),
               answer("poll_response", "ben", guide="tour-poll", question="ease", rating=2),
               answer("poll_response", "cy", "globex", guide="tour-poll", question="more", text="Dark <i>mode</i>"))
    await sign_in(client, "owner@x.test")
    data = (await client.get(f"{base}/polls", params={"format": "json"})).json()
    assert [s["id"] for s in data["surveys"]] == ["tour-poll"] and data["survey"] == "tour-poll"
    questions = {q["question"]: q for q in data["report"]["questions"]}
    assert {o["id"]: (o["count"], o["share"]) for o in questions["plan"]["options"]} == {
        "free": (1, 0.3333), "pro": (2, 0.6667)}
    assert (questions["ease"]["responses"], questions["ease"]["mean"]) == (2, 3.0)
    assert [t["text"] for t in questions["more"]["texts"]] == ["Dark <i>mode</i>"]
    page = (await client.get(f"{base}/polls")).text
    assert "Which plan?" in page and "class=\"bar-chart\"" in page and "Dark &lt;i&gt;mode" in page
    rows = list(csv.reader(io.StringIO((await client.get(f"{base}/polls", params={"format": "csv"})).text.lstrip(
        "\ufeff"))))
    pro = next(r[:9] for r in rows if r[:3] == ["total", "", "plan"] and r[5] == "pro")
    assert pro == ["total", "", "plan", "single", "3", "pro", "Pro", "2", "0.6667"]
    await sign_in(client, "admin@acme.test")
    mine = (await client.get(f"{base}/tenants/acme/polls", params={"format": "json"})).json()
    plan = next(q for q in mine["report"]["questions"] if q["question"] == "plan")
    assert {o["id"]: o["count"] for o in plan["options"]} == {"free": 1, "pro": 1}
    assert not next(q for q in mine["report"]["questions"] if q["question"] == "more")["texts"]


async def test_signed_out_goes_to_the_login_page(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    answer_ = await client.get(f"/admin/apps/{app.id}/nps", follow_redirects=False)
    assert answer_.status_code == 303 and answer_.headers["location"].startswith("/admin/login?next=")
