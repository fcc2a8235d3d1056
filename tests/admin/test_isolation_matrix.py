"""Every admin and API route × every caller × its own tenant, a foreign tenant and a foreign app: no leak, no 500.

The routes come from the router (``create_app().routes``); ``tests/admin/matrix.py`` says for each what it
needs, and a route without an entry fails. Two apps with two tenants each are seeded with marker strings in
their events, visitors, tenants and answers, so any foreign data in an answer (HTML, JSON or CSV) is found.
One app and one client per database; each test is one route, asked by every caller about every target.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.admin.matrix import MATRIX, PEOPLE, Entry, Expect, Target, Who, app_of, expect
from tests.conftest import _truncate_postgres
from tests.support import guide_yaml, make_app
from tests.surveys.helpers import NPS, POLLS
from waymark.access.principal import Grant, Role
from waymark.access.services import create_user
from waymark.app import create_app
from waymark.apps.secret_keys import create_secret_key
from waymark.apps.services import NewApp
from waymark.clock import utcnow
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.settings import Settings

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
_SAFE = ("GET", "HEAD")
_GUIDE = guide_yaml("""
    id: {id}
    name: {title}
    {more}
    steps:
      - type: lightbox
        title: {title}
""")
_HELD = _GUIDE.format(id="held", title="Held out", more="hold_out: {share: 0.5}\ngoal: {event: Done, days: 3}")
# Tenants: (app, tag). The tag is in every marker string of that tenant, never in anything else.
_TAGS = {("A", "own"): "zqa1", ("A", "other"): "zqa2", ("B", "own"): "zqb1", ("B", "other"): "zqb2"}
_TARGET_TENANT = {Target.OWN: ("A", "own"), Target.FOREIGN_TENANT: ("A", "other"), Target.FOREIGN_APP: ("B", "own")}


def markers(tag: str) -> dict[str, str]:
    """The marker strings of one tenant's data, by kind."""
    return {"tenant": f"tenant-{tag}", "visitor": f"visitor-{tag}", "email": f"email-{tag}@example.test",
            "name": f"Name {tag}", "plan": f"plan-{tag}", "comment": f"comment {tag} said",
            "answer": f"answer {tag} wrote"}


def _routes(app: Litestar) -> list[tuple[str, str]]:
    return sorted(
        {(method, route.path)
         for route in app.routes if route.path.startswith(("/admin", "/api/", "/v1/"))
         for method in (getattr(route, "methods", None) or {"GET"}) - {"OPTIONS", "HEAD"}},
        # safe methods first, unsafe ones last, then the session-ending ones: they change what others read
        key=lambda r: (MATRIX.get(r, Entry("open")).spends_session, r[0] not in _SAFE, r[1], r[0]),
    )


ROUTES = _routes(create_app(Settings(database_url="sqlite+aiosqlite:///unused-by-route-listing.db")))


@dataclass
class World:
    client: TestClient[Litestar]
    apps: dict[str, NewApp]
    csrf: str
    values: dict[Target, dict[str, str]]
    users: dict[Who, int]
    sessions: dict[Who, str] = field(default_factory=dict)

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
        ev("click", 1, element={"tag": "button", "id": "matrix-button", "classes": [], "attrs": {}, "text": "Go",
                                "path": "main > button#matrix-button"}),
        ev("guide_seen", 0, 1, guide="nps", step=0, **guide),
        ev("nps_response", 0, 2, guide="nps", guide_version=1, score=9, comment=m["comment"]),
        ev("guide_seen", 0, 3, guide="tour-poll", step=0, **guide),
        ev("poll_response", 0, 4, guide="tour-poll", guide_version=1, step=4, question="more", text=m["answer"]),
    ]


def _seed_app(client: TestClient[Litestar], app: NewApp, letter: str) -> dict[str, str]:
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
        tag = _TAGS[(letter, part)]
        sent = client.post(f"/api/v1/events?key={app.public_key}", json={"events": _events(tag)})
        assert sent.status_code == 202 and not sent.json()["rejected"], sent.text
        decided = client.post("/api/v1/policies/terms/decisions", headers=auth, json={
            "id": f"decision-{tag}", "visitor": markers(tag)["visitor"], "tenant": markers(tag)["tenant"],
            "version": 1, "decision": "accepted"})
        assert decided.status_code == 200, decided.text
    return {"secret_id": str(secret.json()["id"])}


def _fresh(world: World, kind: str, target: Target) -> str:
    """Something new of ``kind`` in the target's app, for a call that uses it up (see ``Entry.fresh``)."""
    letter, part = _TARGET_TENANT[target]
    app, new, client = world.apps[letter], f"fresh-{uuid.uuid4().hex[:12]}", world.client
    auth = {"Authorization": f"Bearer {app.secret_key}"}
    client.cookies.clear()
    if kind == "visitor":
        event = {"id": uuid.uuid4().hex, "type": "page", "ts": _ts(), "visitor": new, "title": "Invoices",
                 "tenant": markers(_TAGS[(letter, part)])["tenant"], "referrer": "",
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
    elif kind == "identity_secret":
        answer = client.post("/api/v1/identity/secrets", headers=auth)
        new = str(answer.json()["id"])
    elif kind == "secret_key":
        return str(client.blocking_portal.call(_new_secret_key, client.app, app.id))
    elif kind == "person":
        return str(client.blocking_portal.call(_new_person, client.app, app.id, new))
    else:
        assert kind == "new_id", f"Entry.fresh: unknown kind {kind!r}"
        return new
    client.cookies.clear()
    assert answer.status_code < 300, f"making a fresh {kind}: {answer.status_code} {answer.text}"
    return new


async def _new_secret_key(app: Litestar, app_id: str) -> int:
    async with app.state.sessionmaker() as session:
        made = await create_secret_key(session, app_id)
        await session.commit()
    return made.id


async def _new_person(app: Litestar, app_id: str, name: str) -> int:
    async with app.state.sessionmaker() as session:
        return await create_user(session, f"{name}@matrix.test", None, [Grant(app_id, Role.ANALYST)])


def _values(apps: dict[str, NewApp], extra: dict[str, dict[str, str]]) -> dict[Target, dict[str, str]]:
    values: dict[Target, dict[str, str]] = {}
    for target, (letter, part) in _TARGET_TENANT.items():
        m, tag = markers(_TAGS[(letter, part)]), _TAGS[(letter, part)]
        values[target] = {
            "app_id": apps[letter].id, "tenant_id": m["tenant"], "visitor_id": m["visitor"],
            "guide_id": "nps", "poll_guide_id": "tour-poll", "held_guide_id": "held", "policy_id": "terms",
            "page_id": "home", "feature_id": "button", "token": "no-such-token-" + tag,
            "person_email": f"analyst-of-{letter.lower()}@matrix.test", **extra[letter],
        }
    return values


async def _people(settings: Settings, apps: dict[str, NewApp]) -> dict[Who, int]:
    """The people of app A (no password: they get sessions, not logins) and one analyst in each app."""
    a = apps["A"].id
    grants = {Who.OWNER: Grant(a, Role.OWNER), Who.AUTHOR: Grant(a, Role.AUTHOR), Who.ANALYST: Grant(a, Role.ANALYST),
              Who.TENANT_ADMIN: Grant(a, Role.TENANT_ADMIN, markers(_TAGS[("A", "own")])["tenant"])}
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


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          sqlite_template: Path) -> Iterator[World]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("matrix") / "matrix.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_migrated")
        asyncio.run(_truncate_postgres(url))
    settings = Settings(database_url=url, snapshot_check_seconds=0.0)
    apps = {"A": asyncio.run(make_app(settings, "App A")), "B": asyncio.run(make_app(settings, "App B"))}
    users = asyncio.run(_people(settings, apps))
    with TestClient(app=create_app(settings)) as client:
        extra = {letter: _seed_app(client, app, letter) for letter, app in apps.items()}
        login = client.get("/admin/login")
        csrf = login.cookies.get("waymark_csrf")
        assert csrf, "the login page sets no CSRF cookie"
        client.cookies.clear()
        world = World(client, apps, csrf, _values(apps, extra), users)
        world.sessions = {who: world.sign_in(who) for who in PEOPLE}
        yield world


@dataclass
class Ask:
    method: str
    url: str
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] | None = None
    auth: tuple[str, str] | None = None


def _fill(template: Any, values: dict[str, str]) -> Any:
    if isinstance(template, str):
        return _PARAM.sub(lambda m: values[m.group(1)], template)
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, values) for v in template]
    return template


def _path(route: str, entry: Entry, values: dict[str, str], world: World) -> str:
    def value(m: re.Match[str]) -> str:
        name = entry.params.get(m.group(1), m.group(1))
        if name == "asset":
            return _asset(world)
        assert name in values, f"{route}: the matrix has no value for the path parameter {{{m.group(1)}}}"
        return values[name]

    return _PARAM.sub(value, route)


def _asset(world: World) -> str:
    found = re.search(r"/admin/static/([^\"'?]+)", world.client.get("/admin/login").text)
    world.client.cookies.clear()
    assert found, "the login page links no admin asset"
    return found.group(1)


def _ask(world: World, method: str, route: str, entry: Entry, who: Who, target: Target, fmt: str | None) -> Ask:
    values = world.values[target]
    if entry.fresh:
        values = {**values, "fresh": _fresh(world, entry.fresh, target)}
    path = _path(route, entry, values, world)
    query = _fill(entry.query, values)
    if fmt:
        query["format"] = fmt
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    auth: tuple[str, str] | None = None
    if who in PEOPLE and path.startswith("/admin"):  # the session cookie's Path is /admin
        cookies["waymark_session"] = world.sign_in(who) if entry.spends_session else world.sessions[who]
    app = world.apps.get(app_of(who) or "")
    if app is not None and who not in PEOPLE:
        key = app.secret_key if who in (Who.SECRET_OWN, Who.SECRET_FOREIGN) else app.public_key
        if entry.kind == "public" and path.startswith("/v1/"):
            auth = (key, "")
        elif entry.kind == "public" or key.startswith("pk_"):
            query["key"] = key
        else:
            headers["Authorization"] = f"Bearer {key}"
    body = _fill(entry.body, values) if method not in _SAFE else None
    form: dict[str, str] | None = None
    if method not in _SAFE and path.startswith("/admin"):
        cookies["waymark_csrf"] = world.csrf
        form, body = {**(body or {}), "_csrf_token": world.csrf}, None
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    url = path + ("?" + str(httpx.QueryParams(query)) if query else "")
    return Ask(method, url, headers, body, form, auth)


def _forbidden(who: Who) -> set[str]:
    """Every marker ``who`` must never be shown."""
    mine = {"A": {"A"}, "B": {"B"}}.get(app_of(who) or "", set())
    tenants = [t for (letter, part), t in _TAGS.items()
               if letter not in mine or (who is Who.TENANT_ADMIN and part != "own")]
    return {value for tag in tenants for value in markers(tag).values()}


def _check(ask: Ask, answer: httpx.Response, wanted: Expect, who: Who, target: Target, entry: Entry,
           fmt: str | None) -> list[str]:
    status, where = answer.status_code, f"{ask.method} {ask.url} as {who} ({target}): {answer.status_code}"
    location = answer.headers.get("location", "")
    problems: list[str] = []
    if status >= 500:
        return [f"{where}: server error {answer.text[:300]}"]
    to_login = status in (302, 303) and location.startswith("/admin/login")
    if wanted is Expect.ALLOW:
        unsafe_refusal = ask.method not in _SAFE and status in (400, 409, 422)
        if not (status < 400 or unsafe_refusal) or to_login:
            problems.append(f"{where}: expected the page, got {location or answer.text[:200]}")
    elif wanted is Expect.NOT_FOUND and status != 404:
        problems.append(f"{where}: expected 404 (never 403: nothing may say the page exists)")
    elif wanted is Expect.LOGIN and not (status == 303 and location.startswith("/admin/login")):
        problems.append(f"{where}: expected a 303 to /admin/login, got {location or answer.text[:200]}")
    elif wanted is Expect.UNAUTHENTICATED and status != 401:
        problems.append(f"{where}: expected 401 without a key")
    elif wanted is Expect.WRONG_KEY and status not in (401, 403):
        problems.append(f"{where}: expected 401/403 for a key of the wrong kind")
    elif wanted is Expect.REFUSED and status not in (403, 404):
        problems.append(f"{where}: expected a refusal (403/404)")
    elif wanted is Expect.OWN_DATA_ONLY and status not in (200, 201, 202, 204, 400, 404, 409, 422):
        problems.append(f"{where}: expected its own (empty) data or a 404")
    text = answer.text + " " + location
    sent = f"{ask.url} {ask.json} {ask.form}"  # what the caller sent itself may come back (an echo is no leak)
    leaked = sorted(m for m in _forbidden(who) if m in text and m not in sent)
    if leaked:
        problems.append(f"{where}: LEAK of {leaked}")
    # a CSV export may leave the profile out (a tenant's is its overview's figures): the page and JSON show it
    if wanted is Expect.ALLOW and target is Target.OWN and who in (Who.OWNER, Who.SECRET_OWN) and status < 300 \
            and fmt != "csv":
        own = markers(_TAGS[("A", "own")])
        missing = [own[kind] for kind in entry.shows if own[kind] not in text]
        if missing:
            problems.append(f"{where}: the owner does not see their own {missing}: is the seed reaching the page?")
    return problems


def _send(world: World, ask: Ask) -> httpx.Response:
    world.client.cookies.clear()
    answer = world.client.request(ask.method, ask.url, headers=ask.headers, json=ask.json, data=ask.form,
                                  auth=ask.auth, follow_redirects=False)
    world.client.cookies.clear()
    return answer


def _targets(route: str) -> tuple[Target, ...]:
    return tuple(Target) if _PARAM.search(route) or route.startswith("/api/v1/") else (Target.OWN,)


def test_every_route_has_an_entry() -> None:
    missing = [f"{m} {p}" for m, p in ROUTES if (m, p) not in MATRIX]
    assert not missing, f"routes without an entry in tests/admin/matrix.py: {missing}"
    stale = sorted(f"{m} {p}" for m, p in set(MATRIX) - set(ROUTES))
    assert not stale, f"entries in tests/admin/matrix.py for routes that no longer exist: {stale}"


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_route(world: World, route: tuple[str, str]) -> None:
    method, path = route
    entry = MATRIX.get(route)
    assert entry is not None, f"{method} {path} has no entry in tests/admin/matrix.py: say who may call it"
    formats: tuple[str | None, ...] = (None, "json", "csv") if entry.report else (None,)
    problems: list[str] = []
    # an open page (login, links, assets) is the same for everyone: one caller of each kind asks it
    callers = (Who.NOBODY, Who.TENANT_ADMIN, Who.SECRET_FOREIGN) if entry.kind == "open" else tuple(Who)
    for who in callers:
        for target in _targets(path):
            wanted = expect(entry, who, target, app_scoped="{app_id" in path)
            for fmt in formats:
                ask = _ask(world, method, path, entry, who, target, fmt)
                answer = _send(world, ask)
                problems += _check(ask, answer, wanted, who, target, entry, fmt)
                if fmt and wanted is Expect.ALLOW and answer.status_code == 200:
                    kind = {"json": "application/json", "csv": "text/csv"}[fmt]
                    if not answer.headers.get("content-type", "").startswith(kind):
                        problems.append(f"{ask.url} as {who}: ?format={fmt} answered {answer.headers}")
    assert not problems, "\n".join(problems)
