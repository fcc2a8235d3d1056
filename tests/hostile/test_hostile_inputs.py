"""A table of hostile inputs thrown at every route family, on SQLite and on PostgreSQL.

Each input class (NUL and other control characters, integers past a column's range, dates at
the edges of the calendar, deep nesting, too many properties) goes to every route family. The
answer is a 2xx or a 4xx whose JSON body says what was wrong, never a 5xx; in a batch, a bad
event is refused with its own id and the good event beside it is stored.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

from tests.support import at, guide_yaml, make_app, on_shared_server
from waymark.settings import Settings

NUL = "a\u0000b"
BELL = "a\u0007b"
STRINGS = {"nul": NUL, "bell": BELL, "escape": "a\u001bb", "delete": "a\u007fb"}
HUGE_INTS = {"2**40": 2**40, "10**20": 10**20, "-2**63-1": -(2**63) - 1}
EDGE_DATES = {
    "year-1-east": "0001-01-01T00:00:00+14:00",
    "year-9999-west": "9999-12-31T23:59:59-14:00",
    "year-1": "0001-01-01T00:00:00Z",
    "year-1969": "1969-12-31T23:59:59Z",
    "year-2200": "2200-01-01T00:00:00Z",
}


DEEP = "<deep>"
"""Stands for 5,000 levels of nesting, put in by :func:`dumps` (``json.dumps`` cannot recurse that far)."""


def deep(levels: int = 100) -> Any:
    """Nesting deeper than any property may go, yet shallow enough to decode."""
    value: Any = "x"
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


def deep_json(levels: int = 5000) -> str:
    return '[{"k":' * (levels // 2) + "1" + "}]" * (levels // 2)


def dumps(value: Any) -> str:
    return json.dumps(value).replace(json.dumps(DEEP), deep_json())


WIDE = {f"k{i}": i for i in range(5000)}


def good_event(visitor: str = "good") -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "type": "track", "ts": at(), "visitor": visitor, "name": "Fine"}


def event_variants() -> dict[str, dict[str, Any]]:
    """One bad event per (field, class); each must be refused alone."""
    base: dict[str, Any] = {"type": "track", "ts": at(), "visitor": "v", "name": "Bad"}
    out: dict[str, dict[str, Any]] = {}
    for label, s in STRINGS.items():
        for field in ("visitor", "tenant", "url", "name"):
            out[f"{label}-in-{field}"] = {**base, field: s}
        out[f"{label}-in-props-value"] = {**base, "props": {"k": s}}
        out[f"{label}-in-props-key"] = {**base, "props": {s: 1}}
        out[f"{label}-in-nested-props"] = {**base, "props": {"k": [{"j": s}]}}
        out[f"{label}-in-page-title"] = {**base, "type": "page", "title": s}
        out[f"{label}-in-element"] = {**base, "type": "click", "element": {"tag": "a", "text": s}}
        out[f"{label}-in-traits"] = {**base, "type": "identify", "traits": {"role": s}}
        out[f"{label}-in-group"] = {**base, "type": "group", "tenant": s}
        out[f"{label}-in-alias"] = {**base, "type": "alias", "previous": s}
        out[f"{label}-in-guide"] = {**base, "type": "guide_seen", "guide": s}
    for label, n in HUGE_INTS.items():
        out[f"int-{label}-guide-version"] = {**base, "type": "guide_seen", "guide": "g", "guide_version": n}
        out[f"int-{label}-step"] = {**base, "type": "guide_seen", "guide": "g", "step": n}
        out[f"int-{label}-ms"] = {**base, "type": "time", "ms": n}
    for label, d in EDGE_DATES.items():
        out[f"date-{label}"] = {**base, "ts": d}
    out["deep-props"] = {**base, "props": {"k": deep()}}
    out["deep-traits"] = {**base, "type": "identify", "traits": {"k": deep()}}
    out["many-props"] = {**base, "props": {"k": [{"j": i} for i in range(3000)]}}
    out["wide-props"] = {**base, "props": WIDE}
    return out


def check(response: Any, what: str) -> list[str]:
    """Problems with an answer: a 5xx, or a 4xx that is not JSON naming the problem."""
    if response.status_code >= 500:
        return [f"{what}: {response.status_code} {response.text[:200]}"]
    if response.status_code >= 400:
        if not response.headers.get("content-type", "").startswith("application/json"):
            return [f"{what}: {response.status_code} is not JSON"]
        if not response.json().get("detail"):
            return [f"{what}: {response.status_code} without a detail"]
    return []


@pytest_asyncio.fixture(loop_scope="module")
async def keys(shared_settings: Settings) -> tuple[str, str]:
    """The keys of a new app on the module's shared server: no case sees what another sent."""
    new = await make_app(shared_settings)
    return new.public_key, new.secret_key


@on_shared_server
async def test_widget_events_refuse_each_bad_event_alone(server: AsyncTestClient, keys: tuple[str, str]) -> None:
    public, secret = keys
    problems: list[str] = []
    for label, bad in event_variants().items():
        bad_id = f"bad-{label}"[:64]
        good = good_event(f"good-{label}")
        sent = await server.post(f"/api/v1/events?key={public}",
                                 content=json.dumps({"events": [{**bad, "id": bad_id}, good]}))
        problems += check(sent, label)
        if sent.status_code != 202:
            problems.append(f"{label}: {sent.status_code} {sent.text[:200]}")
            continue
        result = sent.json()
        if result["accepted"] != 1:
            problems.append(f"{label}: the good event was not stored: {result}")
        if [(r["index"], r["id"]) for r in result["rejected"]] != [(0, bad_id)]:
            problems.append(f"{label}: the bad event was not refused with its id: {result}")
        elif not result["rejected"][0]["reason"]:
            problems.append(f"{label}: refused without a reason")
    assert not problems, "\n".join(problems)
    exported = await server.get("/api/v1/events/export", headers={"Authorization": f"Bearer {secret}"})
    assert len(exported.text.splitlines()) == len(event_variants())


@on_shared_server
async def test_an_oversized_event_is_refused_with_its_id(server: AsyncTestClient, keys: tuple[str, str]) -> None:
    public, _ = keys
    big = {**good_event(), "id": "too-big", "props": {"blob": "x" * 40_000}}
    sent = await server.post(f"/api/v1/events?key={public}", content=json.dumps({"events": [big, good_event()]}))
    assert sent.status_code == 202
    assert sent.json()["accepted"] == 1
    assert [(r["index"], r["id"]) for r in sent.json()["rejected"]] == [(0, "too-big")]


@on_shared_server
@pytest.mark.parametrize("sent_at", [*EDGE_DATES.values(), NUL, 2**70, deep(), DEEP])
async def test_widget_batch_envelope(server: AsyncTestClient, keys: tuple[str, str], sent_at: Any) -> None:
    """A strange ``sent_at`` never costs the events: it is ignored (no clock correction) or refused as a 400."""
    public, _ = keys
    sent = await server.post(f"/api/v1/events?key={public}",
                             content=dumps({"events": [good_event()], "sent_at": sent_at}))
    assert not check(sent, "sent_at")
    if sent.status_code == 202:
        assert sent.json()["accepted"] == 1


@on_shared_server
@pytest.mark.parametrize("body", [
    '{"events": ' + deep_json() + "}",
    '{"events": [' + deep_json() + "]}",
    deep_json(),
    dumps({"events": [{**good_event(), "props": {"k": DEEP}}]}),
    '{"events": [], "identity": "a\\u0000b"}',
    '{"events": [{"id": "x", "type": "track", "ts": "' + at() + '", "visitor": "v", "name": "n", "props": '
    + deep_json(100_000) + "}]}",
], ids=["deep-events", "deep-event", "deep-body", "deep-props", "nul-identity", "very-deep-props"])
async def test_widget_body(server: AsyncTestClient, keys: tuple[str, str], body: str) -> None:
    public, _ = keys
    assert not check(await server.post(f"/api/v1/events?key={public}", content=body), "body")


def segment_variants() -> dict[str, dict[str, Any]]:
    base: dict[str, Any] = {"type": "track", "userId": "u", "event": "Bad", "timestamp": at()}
    out: dict[str, dict[str, Any]] = {}
    for label, s in STRINGS.items():
        for field in ("userId", "event", "groupId"):
            out[f"{label}-in-{field}"] = {**base, field: s}
        out[f"{label}-in-anonymousId"] = {**base, "userId": None, "anonymousId": s}
        out[f"{label}-in-implied-alias"] = {**base, "type": "identify", "anonymousId": s}
        out[f"{label}-in-properties"] = {**base, "properties": {"k": s}}
        out[f"{label}-in-traits"] = {**base, "type": "identify", "traits": {s: 1}}
        out[f"{label}-in-previousId"] = {**base, "type": "alias", "previousId": s}
        out[f"{label}-in-page-name"] = {**base, "type": "page", "name": s}
    for label, d in EDGE_DATES.items():
        out[f"date-{label}"] = {**base, "timestamp": d}
    out["deep-properties"] = {**base, "properties": {"k": deep()}}
    out["wide-properties"] = {**base, "properties": WIDE}
    return out


@on_shared_server
async def test_segment_batch_refuses_each_bad_message_alone(
    server: AsyncTestClient, keys: tuple[str, str]
) -> None:
    public, _ = keys
    problems: list[str] = []
    for label, bad in segment_variants().items():
        bad_id = f"bad-{label}"[:64]
        good = {"type": "track", "userId": f"good-{label}", "event": "Fine", "messageId": uuid.uuid4().hex}
        sent = await server.post("/v1/batch", auth=(public, ""),
                                 content=json.dumps({"batch": [{**bad, "messageId": bad_id}, good]}))
        problems += check(sent, label)
        if sent.status_code != 200:
            problems.append(f"{label}: {sent.status_code} {sent.text[:200]}")
            continue
        result = sent.json()
        # an identify is good on its own; the alias it implies is refused with an id of its own
        implied = "implied-alias" in label
        expected = (2, [(0, bad_id + ":alias")]) if implied else (1, [(0, bad_id)])
        if (result["accepted"], [(r["index"], r["id"]) for r in result["rejected"]]) != expected:
            problems.append(f"{label}: {result}")
    assert not problems, "\n".join(problems)


@on_shared_server
@pytest.mark.parametrize("call", ["track", "identify", "page", "group", "alias"])
async def test_segment_single_calls(server: AsyncTestClient, keys: tuple[str, str], call: str) -> None:
    public, _ = keys
    problems: list[str] = []
    for label, s in {**STRINGS, "deep": deep(), "very-deep": DEEP, "year-1": EDGE_DATES["year-1-east"]}.items():
        for field in ("userId", "previousId", "groupId", "timestamp", "properties", "traits", "context"):
            body = {"userId": "u", "event": "E", "groupId": "g", "previousId": "p", field: s}
            problems += check(await server.post(f"/v1/{call}", auth=(public, ""), content=dumps(body)),
                              f"{call} {label} in {field}")
        problems += check(await server.post(f"/v1/{call}", auth=(public, ""),
                                            content=dumps({"userId": "u", "sentAt": s})), f"sentAt {label}")
        problems += check(await server.post(f"/v1/{call}", auth=(s if isinstance(s, str) else "x", ""),
                                            content="{}"), f"write key {label}")
        problems += check(await server.post(f"/v1/{call}", content=dumps({"writeKey": s, "userId": "u"})),
                          f"writeKey {label}")
    assert not problems, "\n".join(problems)


def query_values() -> dict[str, str]:
    return {**STRINGS, "huge": str(10**20), "negative": "-1", "year-1": "0001-01-01",
            "year-9999": "9999-12-31", "edge-datetime": EDGE_DATES["year-1-east"], "long": "x" * 10_000}


@on_shared_server
async def test_delivery_query(server: AsyncTestClient, keys: tuple[str, str]) -> None:
    public, _ = keys
    problems: list[str] = []
    for label, value in query_values().items():
        for field in ("visitor", "url", "tenant", "locale", "meta", "identity", "key"):
            params = {"key": public, "visitor": "v", "url": "https://h/", field: value}
            problems += check(await server.get("/api/v1/guides", params=params), f"{field}={label}")
    assert not problems, "\n".join(problems)


SECRET_GETS = [
    "/api/v1/events/export?{p}={v}",
    "/api/v1/reports/usage?{p}={v}",
    "/api/v1/guide-definitions/{v}/versions",
    "/api/v1/pages/{v}",
    "/api/v1/features/{v}",
    "/api/v1/features/untagged?{p}={v}",
    "/api/v1/tenants/{v}/privacy",
    "/api/v1/visitors/{v}/export",
    "/api/v1/erasures?{p}={v}",
    "/api/v1/reports/benchmarks?metric=nps&tenant={v}",
    "/api/v1/reports/benchmarks?tenant=t&metric={v}",
    "/api/v1/reports/benchmarks?tenant=t&metric=nps&peer_group={v}",
]
QUERY_NAMES = ["since", "until", "tenant", "visitor", "type", "from", "to", "format", "limit"]


@on_shared_server
async def test_secret_key_reads(server: AsyncTestClient, keys: tuple[str, str]) -> None:
    _, secret = keys
    auth = {"Authorization": f"Bearer {secret}"}
    problems: list[str] = []
    for value in query_values().values():
        encoded = quote(value, safe="")
        for template in SECRET_GETS:
            names = QUERY_NAMES if "{p}" in template else [""]
            for name in names:
                url = template.format(p=name, v=encoded)
                response = await server.get(url, headers=auth)
                problems += check(response, f"GET {url[:80]}")
                if response.status_code == 200 and "export" in url:
                    response.read()  # a streamed body must not break after the status was sent
    assert not problems, "\n".join(problems)


@on_shared_server
async def test_secret_key_writes(server: AsyncTestClient, keys: tuple[str, str]) -> None:
    _, secret = keys
    auth = {"Authorization": f"Bearer {secret}"}
    problems: list[str] = []
    calls: list[tuple[str, str, Callable[[Any], Any]]] = [
        ("PUT", "/api/v1/pages/{v}", lambda v: {"name": v, "rules": [{"path": v}]}),
        ("PUT", "/api/v1/features/{v}", lambda v: {"name": v, "selector": v}),
        ("DELETE", "/api/v1/pages/{v}", lambda v: None),
        ("DELETE", "/api/v1/features/{v}", lambda v: None),
        ("PUT", "/api/v1/tenants/{v}/privacy", lambda v: {"opted_out": v, "drop_fields": [v]}),
        ("DELETE", "/api/v1/visitors/{v}", lambda v: None),
        ("POST", "/api/v1/guide-definitions/{v}/rollback", lambda v: None),
        ("DELETE", "/api/v1/identity/secrets/{v}", lambda v: None),
        ("PUT", "/api/v1/identity", lambda v: {"required": v}),
        ("PUT", "/api/v1/settings", lambda v: {"honor_dnt": v, "retention_days": v}),
        ("POST", "/api/v1/guide-definitions/push", lambda v: {"files": [{"name": v, "content": v}]}),
    ]
    values: dict[str, Any] = {**query_values(), "int": 2**40, "deep": deep(), "very-deep": DEEP, "wide": WIDE}
    for label, value in values.items():
        path_value = quote(value if isinstance(value, str) else dumps(value)[:100], safe="")
        for method, template, body in calls:
            url = template.format(v=path_value)
            content = dumps(body(value)) if body(value) is not None else None
            response = await server.request(method, url, headers=auth, content=content)
            problems += check(response, f"{method} {template} {label}")
    assert not problems, "\n".join(problems)


GUIDE_FILES = {
    "nul-in-content": guide_yaml("""
        id: g
        name: "a\\0b"
        steps: [{type: lightbox, title: T}]
    """),
    "raw-nul": "id: g\nname: a\u0000b\nsteps: [{type: lightbox, title: T}]\n",
    "deep-flow": "id: g\nname: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep-block": "id: g\nname: n\nsteps:\n" + "".join("  " * i + "- \n" for i in range(2000)),
    "huge-int": guide_yaml("""
        id: g
        name: n
        priority: 100000000000000000000
        steps: [{type: lightbox, title: T}]
    """),
    "edge-date": guide_yaml("""
        id: g
        name: n
        targeting: {schedule: {start: 0001-01-01T00:00:00+14:00, end: 9999-12-31T23:59:59-14:00}}
        steps: [{type: lightbox, title: T}]
    """),
}


@on_shared_server
@pytest.mark.parametrize("content", GUIDE_FILES.values(), ids=GUIDE_FILES.keys())
async def test_guide_files(server: AsyncTestClient, keys: tuple[str, str], content: str) -> None:
    _, secret = keys
    pushed = await server.post("/api/v1/guide-definitions/push", headers={"Authorization": f"Bearer {secret}"},
                               json={"files": [{"name": "g.yaml", "content": content}]})
    assert not check(pushed, "push")
    if pushed.status_code == 422:
        assert all(e.startswith("g.yaml") for e in pushed.json()["errors"]), pushed.json()


# --- policies and their evidence ----------------------------------------------------------------------------

POLICY = {"version": 1, "title": {"en": "Terms"}, "body": {"en": "Be kind."}, "allow_decline": True}


@on_shared_server
async def test_policy_routes(server: AsyncTestClient, keys: tuple[str, str]) -> None:
    public, secret = keys
    auth = {"Authorization": f"Bearer {secret}"}
    assert (await server.put("/api/v1/policies/terms", json=POLICY, headers=auth)).status_code == 200
    decision = {"id": "d", "visitor": "v", "policy": "terms", "version": 1, "locale": "en", "decision": "accepted"}
    problems: list[str] = []
    values: dict[str, Any] = {**query_values(), "int": 2**40, "zero": 0, "deep": deep(), "very-deep": DEEP,
                              "wide": WIDE, "null": None}
    for label, value in values.items():
        encoded = quote(value if isinstance(value, str) else dumps(value)[:100], safe="")
        for field in (*decision, "tenant", "text_hash", "identity"):
            sent = await server.post(f"/api/v1/policy-decisions?key={public}",
                                     content=dumps({**decision, "id": f"d-{label}-{field}"[:64], field: value}))
            problems += check(sent, f"decision {field}={label}")
        for field in ("id", "visitor", "version", "decision", "locale", "tenant"):
            body = {"id": "a", "visitor": "v", "version": 1, "decision": "withdrawn", field: value}
            problems += check(await server.post("/api/v1/policies/terms/decisions", headers=auth,
                                                content=dumps(body)), f"api decision {field}={label}")
        for field in ("version", "title", "body", "name", "default_locale", "tenant", "pages", "priority"):
            problems += check(await server.put("/api/v1/policies/terms", headers=auth,
                                               content=dumps({**POLICY, field: value})), f"put {field}={label}")
        problems += check(await server.put("/api/v1/policies/terms", headers=auth,
                                           content=dumps({**POLICY, "title": {encoded[:30] or "x": "T"}})),
                          f"put title locale {label}")
        problems += check(await server.put(f"/api/v1/policies/{encoded}", headers=auth, json=POLICY),
                          f"put id {label}")
        for url in (f"/api/v1/policies/{encoded}/status?visitor=v", f"/api/v1/policies/terms/status?visitor={encoded}",
                    f"/api/v1/policies/terms/status?visitor=v&tenant={encoded}",
                    f"/api/v1/policies/{encoded}/evidence", f"/api/v1/policies/terms/evidence?version={encoded}",
                    f"/api/v1/policies/terms/evidence?tenant={encoded}&format={encoded}",
                    f"/api/v1/reports/policies?policy={encoded}", f"/api/v1/reports/policies?tenant={encoded}",
                    f"/api/v1/reports/policies?to={encoded}", f"/api/v1/reports/policies?format={encoded}",
                    "/api/v1/policies/verify", "/api/v1/policies"):
            problems += check(await server.get(url, headers=auth), f"GET {url[:80]}")
    assert not problems, "\n".join(problems)
    assert (await server.get("/api/v1/policies/verify", headers=auth)).json()["intact"] is True


POLICY_FILES = {
    "huge-version": "id: p\nname: P\nkind: policy\npolicy: {version: 100000000000000000000}\n"
                    "steps: [{type: lightbox, title: T, body: B}]\n",
    "zero-version": "id: p\nname: P\nkind: policy\npolicy: {version: 0}\n"
                    "steps: [{type: lightbox, title: T, body: B}]\n",
    "nul-tenant": 'id: p\nname: P\nkind: policy\npolicy: {version: 1, tenant: "a\\0b"}\n'
                  "steps: [{type: lightbox, title: T, body: B}]\n",
    "tooltip-step": "id: p\nname: P\nkind: policy\npolicy: {version: 1}\n"
                    "steps: [{type: tooltip, anchor: '#x', title: T, body: B}]\n",
}


@on_shared_server
@pytest.mark.parametrize("content", POLICY_FILES.values(), ids=POLICY_FILES.keys())
async def test_policy_files(server: AsyncTestClient, keys: tuple[str, str], content: str) -> None:
    _, secret = keys
    pushed = await server.post("/api/v1/guide-definitions/push", headers={"Authorization": f"Bearer {secret}"},
                               json={"files": [{"name": "p.yaml", "content": content}]})
    assert not check(pushed, "push")
    assert pushed.status_code == 422, pushed.text


# --- surveys: NPS and poll answers, their reports, their guide files --------------------------------------------


def survey_answer_variants() -> dict[str, dict[str, Any]]:
    """One bad NPS or poll answer per (field, class); each must be refused alone."""
    nps: dict[str, Any] = {"type": "nps_response", "ts": at(), "visitor": "v", "guide": "nps", "score": 7}
    poll: dict[str, Any] = {"type": "poll_response", "ts": at(), "visitor": "v", "guide": "p", "question": "q"}
    out: dict[str, dict[str, Any]] = {}
    for label, s in STRINGS.items():
        out[f"{label}-in-comment"] = {**nps, "comment": s}
        out[f"{label}-in-question"] = {**poll, "question": s}
        out[f"{label}-in-choice"] = {**poll, "choices": [s]}
        out[f"{label}-in-text"] = {**poll, "text": s}
    for label, n in {**HUGE_INTS, "eleven": 11, "minus-one": -1}.items():
        out[f"int-{label}-score"] = {**nps, "score": n}
        out[f"int-{label}-rating"] = {**poll, "rating": n}
    out["score-as-text"] = {**nps, "score": "10"}
    out["long-comment"] = {**nps, "comment": "x" * 2001}
    out["long-text"] = {**poll, "text": "x" * 2001}
    out["no-score"] = {k: v for k, v in nps.items() if k != "score"}
    out["many-choices"] = {**poll, "choices": [f"c{i}" for i in range(51)]}
    out["no-choices"] = {**poll, "choices": []}
    out["deep-choices"] = {**poll, "choices": deep()}
    return out


@on_shared_server
async def test_survey_answers_refuse_each_bad_answer_alone(server: AsyncTestClient, keys: tuple[str, str]) -> None:
    public, _ = keys
    problems: list[str] = []
    for label, bad in survey_answer_variants().items():
        bad_id = f"bad-{label}"[:64]
        sent = await server.post(f"/api/v1/events?key={public}",
                                 content=json.dumps({"events": [{**bad, "id": bad_id}, good_event(label)]}))
        problems += check(sent, label)
        result = sent.json() if sent.status_code == 202 else {}
        if result.get("accepted") != 1 or [r["id"] for r in result.get("rejected", ())] != [bad_id]:
            problems.append(f"{label}: {sent.status_code} {sent.text[:200]}")
    assert not problems, "\n".join(problems)


@on_shared_server
async def test_survey_report_queries(server: AsyncTestClient, keys: tuple[str, str]) -> None:
    _, secret = keys
    auth = {"Authorization": f"Bearer {secret}"}
    values = {**query_values(), "deep-segment": json.dumps(deep(30)), "very-deep-segment": "[" * 2000 + "]" * 2000,
              "bad-rule": '{"field": "visitor.x", "op": "regex", "value": 1}',
              "wide-segment": json.dumps({"any": [{"field": f"visitor.k{i}", "op": "exists"} for i in range(120)]})}
    problems: list[str] = []
    for label, value in values.items():
        encoded = quote(value, safe="")
        for route in ("nps", "nps/comments", "polls"):
            for name in ("guide", "tenant", "from", "to", "segment", "format", "interval", "category", "limit"):
                query = f"guide=g&{name}={encoded}" if name != "guide" else f"guide={encoded}"
                problems += check(await server.get(f"/api/v1/reports/{route}?{query}", headers=auth),
                                  f"{route} {name}={label}")
    assert not problems, "\n".join(problems)


SURVEY_FILES = {
    "sample-above-one": "id: s\nname: S\nkind: nps\nsurvey: {sample: 2}\nsteps: [{type: nps}]\n",
    "huge-resurvey": "id: s\nname: S\nkind: nps\nsurvey: {resurvey_days: 100000000000000000000}\n"
                     "steps: [{type: nps}]\n",
    "huge-spread": "id: s\nname: S\nkind: nps\nsurvey: {spread_days: 1000000}\n"
                   "targeting: {schedule: {start: 2026-01-01}}\nsteps: [{type: nps}]\n",
    "nul-follow-up": 'id: s\nname: S\nkind: nps\nsteps: [{type: nps, follow_up: {default: "a\\0b"}}]\n',
    "huge-max-length": "id: s\nname: S\nkind: nps\nsteps: [{type: nps, max_length: 100000}]\n",
    "poll-in-tooltip": "id: s\nname: S\nkind: tooltip\nsteps: [{type: poll, title: Q, question: q, input: rating}]\n",
    "nul-option-id": 'id: s\nname: S\nsteps: [{type: poll, title: Q, question: q, input: single,'
                     ' options: [{id: "a\\0", label: A}, {id: b, label: B}]}]\n',
}


@on_shared_server
@pytest.mark.parametrize("content", SURVEY_FILES.values(), ids=SURVEY_FILES.keys())
async def test_survey_files(server: AsyncTestClient, keys: tuple[str, str], content: str) -> None:
    _, secret = keys
    pushed = await server.post("/api/v1/guide-definitions/push", headers={"Authorization": f"Bearer {secret}"},
                               json={"files": [{"name": "s.yaml", "content": content}]})
    assert not check(pushed, "push")
    assert pushed.status_code == 422, pushed.text


# --- the attention budget, the explainer and the lift report --------------------------------

ATTENTION_GUIDE = guide_yaml("""
    id: g
    name: n
    throttle_seconds: 60
    hold_out: {share: 0.5, unit: tenant}
    goal: {event: Done, days: 7}
    steps: [{type: lightbox, title: T}]
""")


@on_shared_server
async def test_attention_routes(server: AsyncTestClient, keys: tuple[str, str]) -> None:
    _, secret = keys
    auth = {"Authorization": f"Bearer {secret}"}
    pushed = await server.post("/api/v1/guide-definitions/push", headers=auth,
                               json={"files": [{"name": "g.yaml", "content": ATTENTION_GUIDE}]})
    assert pushed.status_code == 200, pushed.text
    problems: list[str] = []
    values: dict[str, Any] = {**query_values(), "int": 2**40, "huge-int": 10**20, "deep": deep(), "wide": WIDE}
    for label, value in values.items():
        text = value if isinstance(value, str) else dumps(value)[:100]
        encoded = quote(text, safe="")
        for guide in (encoded, "g"):
            for name in ("visitor", "url", "tenant", "locale"):
                params = {"visitor": "v", "url": "https://h/", name: text}
                response = await server.get(f"/api/v1/guides/{guide}/explain", headers=auth, params=params)
                problems += check(response, f"GET explain {guide[:20]} {name}={label}")
            for fmt in (text, "csv"):
                response = await server.get(f"/api/v1/guides/{guide}/lift", headers=auth, params={"format": fmt})
                problems += check(response, f"GET lift {guide[:20]} format={label}")
        for field in ("throttle_seconds", "max_auto_guides_per_day"):
            response = await server.put("/api/v1/settings", headers=auth, content=dumps(
                {"honor_dnt": False, "retention_days": None, field: value}))
            problems += check(response, f"PUT settings {field}={label}")
            if response.status_code == 200:
                problems.append(f"PUT settings {field}={label}: accepted")
        for field, bad in (("throttle_seconds", value), ("hold_out", {"share": value}), ("goal", {"event": value})):
            content = f"id: g\nname: n\n{field}: {json.dumps(bad)}\nsteps: [{{type: lightbox, title: T}}]\n"
            response = await server.post("/api/v1/guide-definitions/push", headers=auth,
                                         json={"files": [{"name": "g.yaml", "content": content}]})
            problems += check(response, f"push {field}={label}")
    assert not problems, "\n".join(problems)


# --- archiving, pruning and a step's next_url ------------------------------------------------------------------


@on_shared_server
async def test_archive_prune_and_next_url(server: AsyncTestClient, keys: tuple[str, str]) -> None:
    _, secret = keys
    auth = {"Authorization": f"Bearer {secret}"}
    guide = "id: g\nname: n\nsteps: [{type: lightbox, title: T}]\n"
    assert (await server.post("/api/v1/guide-definitions/push", headers=auth,
                              json={"files": [{"name": "g.yaml", "content": guide}]})).status_code == 200
    problems: list[str] = []
    values: dict[str, Any] = {**query_values(), "int": 2**40, "deep": deep(), "very-deep": DEEP, "wide": WIDE}
    for label, value in values.items():
        text = value if isinstance(value, str) else dumps(value)[:100]
        response = await server.post(f"/api/v1/guide-definitions/{quote(text, safe='')}/archive", headers=auth)
        problems += check(response, f"POST archive {label}")
        response = await server.post("/api/v1/guide-definitions/push", headers=auth, content=dumps(
            {"files": [{"name": "h.yaml", "content": guide.replace("id: g", "id: h")}], "prune": value}))
        problems += check(response, f"push prune={label}")
        if response.status_code == 200:
            problems.append(f"push prune={label}: accepted")
        content = f"id: g\nname: n\nsteps: [{{type: lightbox, title: T, next_url: {json.dumps(value)}}}]\n"
        response = await server.post("/api/v1/guide-definitions/push", headers=auth,
                                     json={"files": [{"name": "g.yaml", "content": content}]})
        problems += check(response, f"push next_url={label}")
        if response.status_code == 200:
            problems.append(f"push next_url={label}: accepted")
    assert not problems, "\n".join(problems)


FORM_VALUES = {**STRINGS, "10kb": "p" * 10_240, "1mb": "p" * 1_048_576, "empty": "", "unicode": "é\u202e\U0001f600",
               "crlf": "a@example.com\r\nBcc: x@example.com"}


async def test_login_and_invitation_forms(client: AsyncTestClient, settings: Settings) -> None:
    """The admin's forms answer a page (4xx at worst) to any value, never a 5xx."""
    from tests.access.helpers import add_person, csrf_token, owner, sign_in

    app = await make_app(settings)
    await add_person(settings, "owner@example.com", owner(app.id))
    problems: list[str] = []

    def page_check(response: Any, what: str) -> None:
        if response.status_code >= 500 or response.status_code not in (200, 303, 400, 401, 404, 413, 429):
            problems.append(f"{what}: {response.status_code} {response.text[:200]}")

    for label, value in FORM_VALUES.items():
        for field in ("email", "password", "next"):
            form = {"email": "owner@example.com", "password": "wrong password", "next": "/admin/", field: value}
            form["_csrf_token"] = await csrf_token(client)
            page_check(await client.post("/admin/login", data=form, follow_redirects=False), f"login {field}={label}")
    await sign_in(client, "owner@example.com")
    people = f"/admin/apps/{app.id}/people"
    token = await csrf_token(client, people)
    for label, value in FORM_VALUES.items():
        for field in ("email", "role", "tenant"):
            form = {"email": "new@example.com", "role": "analyst", "tenant": "", field: value, "_csrf_token": token}
            page_check(await client.post(f"{people}/invite", data=form), f"invite {field}={label}")
        encoded = quote(value, safe="")
        paths = [] if len(value) > 16_384 else [f"/admin/{kind}/{encoded}" for kind in ("invite", "reset")]
        for path in paths:
            page_check(await client.get(path), f"GET {path[:40]}")
            page_check(await client.post(path, data={"password": value, "confirm": value, "_csrf_token": token}),
                       f"POST {path[:40]}")
    for label, value in STRINGS.items():
        response = await client.post("/api/v1/people/invitations", json={"email": value, "role": "analyst"},
                                     headers={"Authorization": f"Bearer {(await make_app(settings)).secret_key}"})
        problems += check(response, f"API invitation email={label}")
    assert not problems, "\n".join(problems)
