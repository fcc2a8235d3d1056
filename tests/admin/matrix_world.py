"""The isolation matrix's world: two apps with two tenants of marker data, its people, and fresh things to use up.

Every marker string of a tenant carries that tenant's tag (``zqa1`` …), and nothing else does, so a leak of
any foreign tenant's data into an answer is found by looking for its markers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from tests.admin.matrix import Target, Who
from tests.support import guide_yaml
from tests.surveys.helpers import NPS, POLLS
from waymark.access.principal import Grant, Role
from waymark.access.services import create_user
from waymark.apps.secret_keys import create_secret_key
from waymark.apps.services import NewApp
from waymark.clock import utcnow
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.scope import app_session
from waymark.settings import Settings
from waymark.webhooks.services import add_endpoint, list_endpoints, remove_endpoint

__all__ = ["TAGS", "TARGET_TENANT", "World", "add_people", "fresh", "markers", "seed_app", "target_values",
           "untouched"]

_GUIDE = guide_yaml("""
    id: {id}
    name: {title}
    {more}
    steps:
      - type: lightbox
        title: {title}
""")
_MILESTONE = {"kind": "visitors_did", "name": "Product-qualified", "ref": "page:home", "at_least": 1,
              "within_days": 30}
_HELD = _GUIDE.format(id="held", title="Held out", more="hold_out: {share: 0.5}\ngoal: {event: Done, days: 3}")
# Tenants: (app, tag). The tag is in every marker string of that tenant, never in anything else.
TAGS = {("A", "own"): "zqa1", ("A", "other"): "zqa2", ("B", "own"): "zqb1", ("B", "other"): "zqb2"}
TARGET_TENANT = {Target.OWN: ("A", "own"), Target.FOREIGN_TENANT: ("A", "other"), Target.FOREIGN_APP: ("B", "own")}


def markers(tag: str) -> dict[str, str]:
    """The marker strings of one tenant's data, by kind."""
    return {"tenant": f"tenant-{tag}", "visitor": f"visitor-{tag}", "email": f"email-{tag}@example.test",
            "name": f"Name {tag}", "plan": f"plan-{tag}", "comment": f"comment {tag} said",
            "answer": f"answer {tag} wrote", "event": f"event-{tag}"}


@dataclass
class World:
    client: TestClient[Litestar]
    apps: dict[str, NewApp]
    csrf: str
    values: dict[Target, dict[str, str]]
    users: dict[Who, int]
    sessions: dict[Who, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    """What checks a fresh thing later, by its id: a secret key's key, a person's email."""
    made: str = ""
    """The fresh thing (id) of the latest call."""

    def sign_in(self, who: Who) -> str:
        """A new server-side session of ``who``, as the login form starts one (argon2 is slow on purpose,
        and the access tests sign in through the form already)."""
        store = self.client.app.state.sessions
        return str(self.client.blocking_portal.call(store.create, self.users[who], utcnow()))


def _ts(days: float = 0, seconds: float = 0) -> str:
    moment = datetime.now(UTC) - timedelta(days=days, minutes=2) + timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _events(tag: str) -> list[dict[str, Any]]:
    """A tenant's history: the visitor, the tenant, page views over a week, a click, an NPS answer, a poll text."""
    m = markers(tag)
    base = {"visitor": m["visitor"], "tenant": m["tenant"], "url": "https://app.example.test/demo/invoices"}

    def ev(kind: str, days: float = 0, seconds: float = 0, **fields: Any) -> dict[str, Any]:
        return {"id": uuid.uuid4().hex, "type": kind, "ts": _ts(days, seconds), **base, **fields}

    guide = {"guide_version": 1, "props": {"trigger": "auto"}}
    return [
        ev("identify", 8, traits={"email": m["email"], "name": m["name"]}),
        ev("group", 8, traits={"plan": m["plan"], "industry": "software", "employees": 40}),
        *(ev("page", day, title="Invoices", referrer="") for day in (7, 5, 3, 2, 1, 0)),
        ev("track", 1, name=m["event"], props={"matrix": 1}),
        ev("click", 1, element={"tag": "button", "id": "matrix-button", "classes": [], "attrs": {}, "text": "Go",
                                "path": "main > button#matrix-button"}),
        ev("guide_seen", 0, 1, guide="nps", step=0, **guide),
        ev("nps_response", 0, 2, guide="nps", guide_version=1, score=9, comment=m["comment"]),
        ev("guide_seen", 0, 3, guide="tour-poll", step=0, **guide),
        ev("poll_response", 0, 4, guide="tour-poll", guide_version=1, step=4, question="more", text=m["answer"]),
    ]


def seed_app(client: TestClient[Litestar], app: NewApp, letter: str) -> dict[str, str]:
    auth = {"Authorization": f"Bearer {app.secret_key}"}
    files = {"nps.yaml": NPS.format(sample=1.0), "polls.yaml": POLLS, "held.yaml": _HELD}
    pushed = client.post("/api/v1/guide-definitions/push", json={"files": [
        {"name": n, "content": c} for n, c in files.items()]}, headers=auth)
    assert pushed.status_code == 200, pushed.text
    policy = {"version": 1, "title": {"en": "Terms"}, "body": {"en": "Be kind."}}
    assert client.put("/api/v1/policies/terms", json=policy, headers=auth).status_code == 200
    assert client.put("/api/v1/pages/home", json={"name": "Home", "rule": "/demo/invoices"},
                      headers=auth).status_code in (200, 201)
    assert client.put("/api/v1/features/button", json={"name": "Button", "selector": "#matrix-button"},
                      headers=auth).status_code in (200, 201)
    secret = client.post("/api/v1/identity/secrets", headers=auth)
    assert secret.status_code in (200, 201), secret.text
    for part in ("own", "other"):
        tag = TAGS[(letter, part)]
        sent = client.post(f"/api/v1/events?key={app.public_key}", json={"events": _events(tag)})
        assert sent.status_code == 202 and not sent.json()["rejected"], sent.text
        decided = client.post("/api/v1/policies/terms/decisions", headers=auth, json={
            "id": f"decision-{tag}", "visitor": markers(tag)["visitor"], "tenant": markers(tag)["tenant"],
            "version": 1, "decision": "accepted"})
        assert decided.status_code == 200, decided.text
    # a milestone every tenant of the app holds: its flags name each tenant
    flagged = client.put("/api/v1/milestones/pqt", headers=auth, json=_MILESTONE)
    assert flagged.status_code == 201 and flagged.json()["flagged"] == 2, flagged.text
    cohort = client.put("/api/v1/cohorts/recent", json={"name": "Recent", "rule": {"first_seen_within": 30}},
                        headers=auth)  # after the events: its members are the app's visitors
    assert cohort.status_code == 201 and cohort.json()["size"] > 0, cohort.text
    return {"secret_id": str(secret.json()["id"]), "milestone_id": "pqt"}


def fresh(world: World, kind: str, target: Target) -> str:
    """Something new of ``kind`` in the target's app, for a call that uses it up (see ``Entry.fresh``)."""
    letter, part = TARGET_TENANT[target]
    app, new, client = world.apps[letter], f"fresh-{uuid.uuid4().hex[:12]}", world.client
    auth = {"Authorization": f"Bearer {app.secret_key}"}
    client.cookies.clear()
    if kind == "visitor":
        event = {"id": uuid.uuid4().hex, "type": "page", "ts": _ts(), "visitor": new, "title": "Invoices",
                 "tenant": markers(TAGS[(letter, part)])["tenant"], "referrer": "",
                 "url": "https://app.example.test/demo/invoices"}
        answer = client.post(f"/api/v1/events?key={app.public_key}", json={"events": [event]})
    elif kind in ("guide", "guide_v2"):  # guide_v2 has two versions, so that it can be rolled back
        for title in ("One", "Two")[: 2 if kind == "guide_v2" else 1]:
            answer = client.post("/api/v1/guide-definitions/push", headers=auth, json={"files": [
                {"name": f"{new}.yaml", "content": _GUIDE.format(id=new, title=title, more="")}]})
    elif kind == "page":
        answer = client.put(f"/api/v1/pages/{new}", json={"name": "Fresh", "rule": "/fresh"}, headers=auth)
    elif kind == "feature":
        answer = client.put(f"/api/v1/features/{new}", json={"name": "Fresh", "selector": "#fresh"}, headers=auth)
    elif kind == "milestone":
        answer = client.put(f"/api/v1/milestones/{new}", json=_MILESTONE, headers=auth)
    elif kind == "cohort":
        answer = client.put(f"/api/v1/cohorts/{new}", json={"name": "Fresh", "rule": {"first_seen_within": 7}},
                            headers=auth)
    elif kind == "identity_secret":
        answer = client.post("/api/v1/identity/secrets", headers=auth)
        new = str(answer.json()["id"])
    elif kind == "secret_key":
        key_id, key = client.blocking_portal.call(_new_secret_key, client.app, app.id)
        world.notes[str(key_id)] = key
        return str(key_id)
    elif kind == "person":
        person = str(client.blocking_portal.call(_new_person, client.app, app.id, new))
        world.notes[person] = f"{new}@matrix.test"
        return person
    elif kind == "alert_rule":
        answer = client.post("/api/v1/alerts", headers=auth, json={
            "name": new, "metric": "active_visitors", "period": "day", "condition": "below", "value": 3})
        new = str(answer.json()["id"])
    elif kind == "webhook_endpoint":
        return str(client.blocking_portal.call(_new_endpoint, client.app, app.id))
    else:
        assert kind == "new_id", f"Entry.fresh: unknown kind {kind!r}"
        return new
    client.cookies.clear()
    assert answer.status_code < 300, f"making a fresh {kind}: {answer.status_code} {answer.text}"
    return new


async def _new_endpoint(app: Litestar, app_id: str) -> int:
    """A new endpoint; earlier ones go first, so the matrix's many calls never reach the app's limit."""
    async with app_session(app.state.sessionmaker, app_id) as session:
        for old in await list_endpoints(session, app_id):
            await remove_endpoint(session, app_id, old.id)
        made, _ = await add_endpoint(session, app_id, "https://hooks.example.test/fresh")
        await session.commit()
    return made.id


async def _endpoint_ids(app: Litestar, app_id: str) -> list[int]:
    async with app_session(app.state.sessionmaker, app_id) as session:
        return [e.id for e in await list_endpoints(session, app_id)]


async def _new_secret_key(app: Litestar, app_id: str) -> tuple[int, str]:
    async with app.state.sessionmaker() as session:
        made = await create_secret_key(session, app_id)
        await session.commit()
    return made.id, made.key


def untouched(world: World, kind: str, target: Target, made: str) -> bool:
    """Is the fresh thing a refused call was about still as it was made (not revoked, erased, archived)?"""
    app = world.apps[TARGET_TENANT[target][0]]
    auth = {"Authorization": f"Bearer {app.secret_key}"}
    get = world.client.get
    if kind == "visitor":
        exported = get(f"/api/v1/visitors/{made}/export", headers=auth)
        return exported.status_code == 200 and bool(exported.json().get("events"))
    if kind in ("guide", "guide_v2"):
        published = {g["id"]: g["published_version"] for g in get("/api/v1/guide-definitions", headers=auth).json()}
        return published.get(made) == (2 if kind == "guide_v2" else 1)
    if kind in ("page", "feature"):
        return get(f"/api/v1/{kind}s/{made}", headers=auth).status_code == 200
    if kind == "cohort":
        found = get(f"/api/v1/cohorts/{made}", headers=auth)
        return found.status_code == 200 and found.json()["name"] == "Fresh"
    if kind == "identity_secret":
        return int(made) in get("/api/v1/identity", headers=auth).json()["active_secret_ids"]
    if kind == "secret_key":
        return get("/api/v1/settings", headers={"Authorization": f"Bearer {world.notes[made]}"}).status_code == 200
    if kind == "person":
        people = {p["email"]: p["role"] for p in get("/api/v1/people", headers=auth).json()}
        return people.get(world.notes[made]) == "analyst"
    if kind == "alert_rule":
        return get(f"/api/v1/alerts/{made}", headers=auth).status_code == 200
    if kind == "webhook_endpoint":
        return int(made) in world.client.blocking_portal.call(_endpoint_ids, world.client.app, app.id)
    return True  # a new id: nothing was there to keep


async def _new_person(app: Litestar, app_id: str, name: str) -> int:
    async with app.state.sessionmaker() as session:
        return await create_user(session, f"{name}@matrix.test", None, [Grant(app_id, Role.ANALYST)])


def target_values(apps: dict[str, NewApp], extra: dict[str, dict[str, str]]) -> dict[Target, dict[str, str]]:
    values: dict[Target, dict[str, str]] = {}
    for target, (letter, part) in TARGET_TENANT.items():
        m, tag = markers(TAGS[(letter, part)]), TAGS[(letter, part)]
        values[target] = {
            "app_id": apps[letter].id, "tenant_id": m["tenant"], "visitor_id": m["visitor"],
            "guide_id": "nps", "poll_guide_id": "tour-poll", "held_guide_id": "held", "policy_id": "terms",
            "page_id": "home", "feature_id": "button", "cohort_id": "recent", "token": "no-such-token-" + tag,
            "event_name": m["event"],
            "person_email": f"analyst-of-{letter.lower()}@matrix.test", **extra[letter],
        }
    return values


async def add_people(settings: Settings, apps: dict[str, NewApp]) -> dict[Who, int]:
    """The people of app A (no password: they get sessions, not logins) and one analyst in each app."""
    a = apps["A"].id
    grants = {Who.OWNER: Grant(a, Role.OWNER), Who.AUTHOR: Grant(a, Role.AUTHOR), Who.ANALYST: Grant(a, Role.ANALYST),
              Who.TENANT_ADMIN: Grant(a, Role.TENANT_ADMIN, markers(TAGS[("A", "own")])["tenant"])}
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            for letter, app in apps.items():
                await create_user(session, f"analyst-of-{letter.lower()}@matrix.test", None,
                                  [Grant(app.id, Role.ANALYST)])
            return {who: await create_user(session, f"{who.value.replace('_', '-')}@matrix.test", None, [grant])
                    for who, grant in grants.items()}
    finally:
        await engine.dispose()
