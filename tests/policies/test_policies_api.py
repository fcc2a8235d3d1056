"""Policies over the API on SQLite and PostgreSQL: publishing, the prompt, decisions, status, evidence, the report."""

from __future__ import annotations

import csv
import io
import uuid

from litestar.testing import AsyncTestClient

from tests.policies.support import TERMS, decide, expected_hash, policy_file, prompt, push_policy, shown_hash
from tests.support import at, make_app, push
from waymark.settings import Settings


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_prompt_decision_and_status(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    assert (await push_policy(client, app.secret_key)).status_code == 200
    guide = await prompt(client, app.public_key, "v1", locale="fr-CA")
    assert guide is not None and guide["kind"] == "policy"
    assert guide["policy"] == {"version": 1, "locale": "fr"}
    assert guide["state"]["status"] == "new"
    # the hash the widget computes from what it shows is the hash of the French text as published
    assert shown_hash(guide) == expected_hash("Conditions d'utilisation", TERMS["fr"])

    status = (await client.get("/api/v1/policies/terms/status", params={"visitor": "v1"},
                               headers=_auth(app.secret_key))).json()
    assert (status["current_version"], status["accepted"], status["decision"], status["required"]) == (
        1, False, None, True)

    sent = await decide(client, app.public_key, guide, "v1")
    assert sent.status_code == 200, sent.text
    ack = sent.json()
    assert ack["recorded"] is True
    evidence = ack["evidence"]
    assert {k: evidence[k] for k in ("seq", "policy", "version", "locale", "visitor", "decision", "method",
                                     "user_agent", "prev_hash")} == {
        "seq": 1, "policy": "terms", "version": 1, "locale": "fr", "visitor": "v1", "decision": "accepted",
        "method": "widget", "user_agent": "pytest-browser/1.0", "prev_hash": "0" * 64}
    assert evidence["text_hash"] == shown_hash(guide)

    status = (await client.get("/api/v1/policies/terms/status", params={"visitor": "v1"},
                               headers=_auth(app.secret_key))).json()
    assert (status["accepted"], status["decision"], status["accepted_version"]) == (True, "accepted", 1)
    # delivery now tells the widget the prompt is decided up to version 1
    decided = await prompt(client, app.public_key, "v1")
    assert decided is not None and decided["state"] == {"status": "completed", "step": 1}


async def test_a_retry_records_once_and_a_wrong_text_is_refused(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await push_policy(client, app.secret_key)
    guide = await prompt(client, app.public_key, "v1")
    assert guide is not None
    request_id = uuid.uuid4().hex
    first = await decide(client, app.public_key, guide, "v1", id=request_id)
    again = await decide(client, app.public_key, guide, "v1", id=request_id)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {**first.json(), "recorded": False}
    wrong = await decide(client, app.public_key, guide, "v2", text_hash="0" * 64)
    assert wrong.status_code == 409 and "SHA-256" in wrong.json()["detail"]
    no_decline = await decide(client, app.public_key, guide, "v3", decision="declined")
    assert no_decline.status_code == 409 and "cannot be declined" in no_decline.json()["detail"]
    unknown = await decide(client, app.public_key, guide, "v4", version=7)
    assert unknown.status_code == 404
    evidence = (await client.get("/api/v1/policies/terms/evidence", headers=_auth(app.secret_key))).json()
    assert [(e["seq"], e["visitor"]) for e in evidence] == [(1, "v1")]
    verified = (await client.get("/api/v1/policies/verify", headers=_auth(app.secret_key))).json()
    assert verified == {"intact": True, "records": 1, "first_broken": None}


async def test_a_changed_text_needs_a_new_version_which_asks_again(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    await push_policy(client, app.secret_key)
    guide = await prompt(client, app.public_key, "v1")
    assert guide is not None
    assert (await decide(client, app.public_key, guide, "v1")).status_code == 200

    changed = await push_policy(client, app.secret_key, body={**TERMS, "en": "New **terms**."})
    assert changed.status_code == 422
    assert any("terms.yaml: policy.version: policy 'terms' v1 is already published with another text" in e
               for e in changed.json()["errors"]), changed.json()
    assert (await prompt(client, app.public_key, "v2")) == {**guide, "state": guide["state"]}  # nothing changed

    # another file in the same push is not published either: the push is atomic
    other = await push(client, app.secret_key, {"terms.yaml": policy_file(body={"en": "New **terms**."}),
                                                 "hello.yaml": "id: hello\nname: Hi\nsteps:\n  - type: lightbox\n"
                                                               "    title: Hi\n"})
    assert other.status_code == 422
    listed = (await client.get("/api/v1/guide-definitions", headers=_auth(app.secret_key))).json()
    assert [g["id"] for g in listed] == ["terms"]

    assert (await push_policy(client, app.secret_key, version=2, body={"en": "New **terms**."})).status_code == 200
    renewed = await prompt(client, app.public_key, "v1")
    assert renewed is not None and renewed["policy"]["version"] == 2
    assert renewed["state"] == {"status": "completed", "step": 1}  # decided up to v1 only: the widget asks again
    status = (await client.get("/api/v1/policies/terms/status", params={"visitor": "v1"},
                               headers=_auth(app.secret_key))).json()
    assert (status["current_version"], status["accepted"], status["accepted_version"]) == (2, False, 1)
    lower = await push_policy(client, app.secret_key, version=1, body={"en": "Old again."})
    assert lower.status_code == 422


async def test_decline_where_allowed_withdrawal_and_tenant_policies(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    extra = "      allow_decline: true\n      tenant: acme"
    assert (await push_policy(client, app.secret_key, policy_id="acme-rules", extra=extra)).status_code == 200
    assert await prompt(client, app.public_key, "v1", tenant="globex", policy_id="acme-rules") is None
    assert await prompt(client, app.public_key, "v1", policy_id="acme-rules") is None
    guide = await prompt(client, app.public_key, "v1", tenant="acme", policy_id="acme-rules")
    assert guide is not None and guide["policy"]["allow_decline"] is True
    declined = await decide(client, app.public_key, guide, "v1", decision="declined", tenant="acme")
    assert declined.status_code == 200 and declined.json()["evidence"]["tenant"] == "acme"
    elsewhere = await decide(client, app.public_key, guide, "v2", tenant="globex")
    assert elsewhere.status_code == 409

    accepted = await decide(client, app.public_key, guide, "v3", tenant="acme")
    assert accepted.status_code == 200
    withdrawn = await client.post("/api/v1/policies/acme-rules/decisions", headers=_auth(app.secret_key), json={
        "id": "w-1", "visitor": "v3", "version": 1, "decision": "withdrawn", "tenant": "acme"})
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["evidence"]["method"], withdrawn.json()["evidence"]["locale"]) == ("api", "en")
    status = (await client.get("/api/v1/policies/acme-rules/status", params={"visitor": "v3", "tenant": "acme"},
                               headers=_auth(app.secret_key))).json()
    assert (status["accepted"], status["decision"], status["required"]) == (False, "withdrawn", True)
    asked_again = await prompt(client, app.public_key, "v3", tenant="acme", policy_id="acme-rules")
    assert asked_again is not None and asked_again["state"]["status"] == "new"
    other = (await client.get("/api/v1/policies/acme-rules/status", params={"visitor": "v9", "tenant": "globex"},
                              headers=_auth(app.secret_key))).json()
    assert other["required"] is False

    exported = await client.get("/api/v1/policies/acme-rules/evidence",
                                params={"format": "csv", "tenant": "acme", "version": 1},
                                headers=_auth(app.secret_key))
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["seq"], r["visitor"], r["decision"], r["method"]) for r in rows] == [
        ("1", "v1", "declined", "widget"), ("2", "v3", "accepted", "widget"), ("3", "v3", "withdrawn", "api")]
    assert rows[1]["prev_hash"] == rows[0]["row_hash"]


async def test_each_decision_is_also_an_analytics_event(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await push_policy(client, app.secret_key)
    guide = await prompt(client, app.public_key, "v1")
    assert guide is not None
    ack = (await decide(client, app.public_key, guide, "v1")).json()["evidence"]
    exported = await client.get("/api/v1/events/export", params={"type": "policy_decision"},
                                headers=_auth(app.secret_key))
    lines = [line for line in exported.text.splitlines() if line]
    assert len(lines) == 1, exported.text
    assert '"name":"policy_accepted"' in lines[0] and f'"evidence":{ack["id"]}' in lines[0]


async def test_report_counts_and_coverage(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await push_policy(client, app.secret_key, extra="      allow_decline: true")
    # three active visitors of tenant acme: one accepts, one declines, one has not decided
    events = [{"id": uuid.uuid4().hex, "type": "page", "ts": at(), "visitor": v, "tenant": "acme",
               "url": "https://h/app"} for v in ("a", "b", "c")]
    assert (await client.post(f"/api/v1/events?key={app.public_key}", json={"events": events})).status_code == 202
    guide = await prompt(client, app.public_key, "a", tenant="acme")
    assert guide is not None
    await decide(client, app.public_key, guide, "a", tenant="acme")
    await decide(client, app.public_key, guide, "b", decision="declined", tenant="acme")
    report = (await client.get("/api/v1/reports/policies", params={"policy": "terms"},
                               headers=_auth(app.secret_key))).json()
    assert [(r["policy"], r["version"], r["tenant"], r["accepted"], r["declined"], r["pending"])
            for r in report["rows"]] == [("terms", 1, "acme", 1, 1, 1)]
    today = report["rows"][0]["coverage"][-1]
    assert (today["active"], today["accepted"], today["coverage"]) == (3, 1, 0.3333)
    as_csv = await client.get("/api/v1/reports/policies", params={"format": "csv"}, headers=_auth(app.secret_key))
    assert as_csv.text.splitlines()[1].startswith("terms,1,acme,")


async def test_rest_managed_policy(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    body = {"version": 1, "title": {"en": "Privacy"}, "body": {"en": "We keep **little**."}, "allow_decline": True}
    put = await client.put("/api/v1/policies/privacy", json=body, headers=_auth(app.secret_key))
    assert put.status_code == 200, put.text
    assert put.json() == {"id": "privacy", "current_version": 1, "tenant": None, "allow_decline": True,
                          "versions": [1]}
    changed = await client.put("/api/v1/policies/privacy", json={**body, "body": {"en": "We keep more."}},
                               headers=_auth(app.secret_key))
    assert changed.status_code == 422 and "new version number" in changed.json()["errors"][0]
    bad = await client.put("/api/v1/policies/privacy", json={**body, "title": {"fr": "Vie privée"}},
                           headers=_auth(app.secret_key))
    assert bad.status_code == 422 and "same locales" in bad.json()["errors"][0]
    guide = await prompt(client, app.public_key, "v1", policy_id="privacy")
    assert guide is not None and shown_hash(guide) == expected_hash("Privacy", "We keep **little**.")
    listed = (await client.get("/api/v1/policies", headers=_auth(app.secret_key))).json()
    assert [p["id"] for p in listed] == ["privacy"]
