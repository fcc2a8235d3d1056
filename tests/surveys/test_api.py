"""NPS and poll answers through the events API, delivery rules, and the reports, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json

from litestar.testing import AsyncTestClient

from tests.support import make_app, push
from tests.surveys.helpers import NPS, POLLS, answer, auth, seen, send
from waymark.settings import Settings


async def _nps_app(client: AsyncTestClient, settings: Settings, sample: float = 1.0) -> tuple[str, str]:
    app = await make_app(settings)
    pushed = await push(client, app.secret_key, {"nps.yaml": NPS.format(sample=sample)})
    assert pushed.status_code == 200, pushed.text
    return app.public_key, app.secret_key


async def test_nps_report_counts_each_visitors_latest_answer_once(client: AsyncTestClient, settings: Settings) -> None:
    public, secret = await _nps_app(client, settings)
    await send(client, public, {"id": "g1", "type": "group", "ts": seen("x")["ts"], "visitor": "ana",
                                "tenant": "acme", "traits": {"plan": "pro"}})
    await send(
        client, public,
        *(seen(v, t) for v, t in (("ana", "acme"), ("ben", "acme"), ("cy", "globex"), ("dee", "globex"),
                                  ("eve", "globex"))),
        answer("nps_response", "ana", score=3, seconds=-30),
        answer("nps_response", "ana", score=10, comment="Fast <b>invoices</b>"),  # the latest counts
        answer("nps_response", "ben", score=8),
        answer("nps_response", "cy", "globex", score=2, comment="=HYPERLINK(\"x\")"),
        answer("guide_dismissed", "dee", "globex", step=0),  # not an answer
    )
    got = await client.get("/api/v1/reports/nps", params={"guide": "nps", "interval": "day"}, headers=auth(secret))
    assert got.status_code == 200, got.text
    report = got.json()
    # 1 promoter, 1 passive, 1 detractor: NPS 0; variance 2/3; 196 × √(2/9) = 92.395…
    assert {k: report[k] for k in ("responses", "promoters", "passives", "detractors", "score", "ci95", "shown",
                                    "response_rate")} == {
        "responses": 3, "promoters": 1, "passives": 1, "detractors": 1, "score": 0.0, "ci95": [-92.4, 92.4],
        "shown": 5, "response_rate": 0.6}
    today = [p for p in report["series"] if p["responses"]]
    assert len(today) == 1 and today[0]["score"] == 0.0 and today[0]["ci95"] == [-92.4, 92.4]
    assert {t["tenant"]: (t["responses"], t["score"]) for t in report["tenants"]} == {
        "acme": (2, 50.0), "globex": (1, -100.0)}
    # per tenant, and by a segment of tenant metadata
    acme = (await client.get("/api/v1/reports/nps", params={"guide": "nps", "tenant": "acme"},
                             headers=auth(secret))).json()
    assert (acme["responses"], acme["shown"], acme["response_rate"]) == (2, 2, 1.0)
    pro = (await client.get("/api/v1/reports/nps", params={
        "guide": "nps", "segment": json.dumps({"field": "tenant.plan", "op": "eq", "value": "pro"})},
        headers=auth(secret))).json()
    assert (pro["responses"], pro["score"], pro["shown"]) == (2, 50.0, 2)
    # CSV: the total first
    rows = list(csv.DictReader(io.StringIO((await client.get("/api/v1/reports/nps", params={
        "guide": "nps", "format": "csv"}, headers=auth(secret))).text)))
    assert rows[0]["section"] == "total" and rows[0]["score"] == "0.0" and rows[0]["ci95_low"] == "-92.4"
    assert {r["key"] for r in rows if r["section"] == "tenant"} == {"acme", "globex"}


async def test_comments_come_with_their_score_filterable_and_exportable(
    client: AsyncTestClient, settings: Settings
) -> None:
    public, secret = await _nps_app(client, settings)
    await send(client, public,
               answer("nps_response", "ana", score=10, comment="Fast <b>invoices</b>"),
               answer("nps_response", "cy", "globex", score=2, comment="=HYPERLINK(\"x\")", seconds=2),
               answer("nps_response", "ben", score=8))
    got = (await client.get("/api/v1/reports/nps/comments", params={"guide": "nps"}, headers=auth(secret))).json()
    assert [(c["visitor"], c["score"], c["category"], c["comment"]) for c in got["comments"]] == [
        ("cy", 2, "detractor", "=HYPERLINK(\"x\")"), ("ana", 10, "promoter", "Fast <b>invoices</b>")]
    only = (await client.get("/api/v1/reports/nps/comments", params={"guide": "nps", "category": "promoter"},
                             headers=auth(secret))).json()
    assert [c["visitor"] for c in only["comments"]] == ["ana"]
    text = (await client.get("/api/v1/reports/nps/comments", params={"guide": "nps", "format": "csv"},
                             headers=auth(secret))).text
    rows = list(csv.DictReader(io.StringIO(text)))
    # exported as plain text; a formula is made inert for spreadsheets
    assert [(r["score"], r["comment"]) for r in rows] == [("2", "'=HYPERLINK(\"x\")"), ("10", "Fast <b>invoices</b>")]


async def test_poll_results_per_question_and_tenant(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    assert (await push(client, app.secret_key, {"polls.yaml": POLLS})).status_code == 200
    g = "tour-poll"
    await send(
        client, app.public_key,
        answer("poll_response", "ana", guide=g, question="plan", choices=["free"], seconds=-10),
        answer("poll_response", "ana", guide=g, question="plan", choices=["pro"]),  # changed their mind
        answer("poll_response", "ben", guide=g, question="plan", choices=["pro"]),
        answer("poll_response", "cy", "globex", guide=g, question="plan", choices=["free"]),
        answer("poll_response", "ana", guide=g, question="uses", choices=["invoices", "api"]),
        answer("poll_response", "ben", guide=g, question="uses", choices=["invoices"]),
        answer("poll_response", "ana", guide=g, question="ease", rating=5),
        answer("poll_response", "cy", "globex", guide=g, question="ease", rating=2),
        answer("poll_response", "ben", guide=g, question="more", text="<script>alert(1)</script>"),
    )
    got = await client.get("/api/v1/reports/polls", params={"guide": g}, headers=auth(app.secret_key))
    assert got.status_code == 200, got.text
    questions = {q["question"]: q for q in got.json()["questions"]}
    assert list(questions) == ["plan", "uses", "ease", "more"]
    plan = questions["plan"]
    assert (plan["title"], plan["responses"]) == ("Which plan?", 3)
    assert [(o["id"], o["label"], o["count"], o["share"]) for o in plan["options"]] == [
        ("free", "Free", 1, 0.3333), ("pro", "Pro", 2, 0.6667)]
    assert [(o["id"], o["count"], o["share"]) for o in questions["uses"]["options"]] == [
        ("invoices", 2, 1.0), ("reports", 0, 0.0), ("api", 1, 0.5)]
    ease = questions["ease"]
    assert [o["count"] for o in ease["options"]] == [0, 1, 0, 0, 1] and ease["mean"] == 3.5
    assert [t["text"] for t in questions["more"]["texts"]] == ["<script>alert(1)</script>"]
    tenants = {t["tenant"]: {q["question"]: q["responses"] for q in t["questions"]} for t in got.json()["tenants"]}
    assert tenants == {"acme": {"plan": 2, "uses": 2, "ease": 1, "more": 1},
                       "globex": {"plan": 1, "uses": 0, "ease": 1, "more": 0}}
    rows = list(csv.DictReader(io.StringIO((await client.get("/api/v1/reports/polls", params={
        "guide": g, "format": "csv", "tenant": "acme"}, headers=auth(app.secret_key))).text)))
    assert {(r["question"], r["option"], r["count"]) for r in rows if r["section"] == "total"} >= {
        ("plan", "pro", "2"), ("uses", "invoices", "2"), ("ease", "5", "1")}


async def test_bad_answers_and_report_queries_are_refused(client: AsyncTestClient, settings: Settings) -> None:
    public, secret = await _nps_app(client, settings)
    result = await send(client, public, answer("nps_response", "ana", score=11),
                        answer("nps_response", "ana", score=5, comment="x" * 2001),
                        answer("poll_response", "ana", question="q", rating=6),
                        answer("nps_response", "ana", score=7))
    assert result["accepted"] == 1 and [r["index"] for r in result["rejected"]] == [0, 1, 2]
    for params in ({"guide": "nps", "segment": "{"}, {"guide": "nps", "segment": '{"field": "x", "op": "eq"}'},
                   {"guide": "nps", "from": "2026-02-01", "to": "2026-01-01"}, {"guide": "nps", "interval": "year"},
                   {}, {"guide": "nps", "segment": "[" * 40 + "]" * 40}):
        got = await client.get("/api/v1/reports/nps", params=params, headers=auth(secret))
        assert got.status_code == 400, (params, got.text)
    assert (await client.get("/api/v1/reports/nps", params={"guide": "nps"})).status_code == 401
