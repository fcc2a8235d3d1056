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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.admin.matrix import MATRIX, PEOPLE, Entry, Expect, Target, Who, app_of, expect
from tests.admin.matrix_world import (
    TAGS,
    World,
    add_people,
    fresh,
    markers,
    seed_app,
    target_values,
    untouched,
)
from tests.conftest import _empty_postgres
from tests.support import make_app
from waymark.app import create_app
from waymark.settings import Settings

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
_SAFE = ("GET", "HEAD")
def _routes(app: Litestar) -> list[tuple[str, str]]:
    return sorted(
        {(method, route.path)
         for route in app.routes if route.path.startswith(("/admin", "/api/", "/v1/"))
         for method in (getattr(route, "methods", None) or {"GET"}) - {"OPTIONS", "HEAD"}},
        # safe methods first, unsafe ones last, then the session-ending ones: they change what others read
        key=lambda r: (MATRIX.get(r, Entry("open")).spends_session, r[0] not in _SAFE, r[1], r[0]),
    )


ROUTES = _routes(create_app(Settings(database_url="sqlite+aiosqlite:///unused-by-route-listing.db")))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          sqlite_template: Path) -> Iterator[World]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("matrix") / "matrix.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_migrated")
        asyncio.run(_empty_postgres(url))
    settings = Settings(database_url=url, snapshot_check_seconds=0.0)
    apps = {"A": asyncio.run(make_app(settings, "App A")), "B": asyncio.run(make_app(settings, "App B"))}
    users = asyncio.run(add_people(settings, apps))
    with TestClient(app=create_app(settings)) as client:
        extra = {letter: seed_app(client, app, letter) for letter, app in apps.items()}
        login = client.get("/admin/login")
        csrf = login.cookies.get("waymark_csrf")
        assert csrf, "the login page sets no CSRF cookie"
        client.cookies.clear()
        world = World(client, apps, csrf, target_values(apps, extra), users)
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
        values = {**values, "fresh": fresh(world, entry.fresh, target)}
        world.made = values["fresh"]
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
    tenants = [t for (letter, part), t in TAGS.items()
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
        own = markers(TAGS[("A", "own")])
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
                if entry.fresh and wanted is not Expect.ALLOW and not untouched(world, entry.fresh, target,
                                                                                  world.made):
                    problems.append(f"{ask.method} {ask.url} as {who} ({target}): refused, yet it changed the "
                                    f"{entry.fresh} {world.made}")
                if fmt and wanted is Expect.ALLOW and answer.status_code == 200:
                    kind = {"json": "application/json", "csv": "text/csv"}[fmt]
                    if not answer.headers.get("content-type", "").startswith(kind):
                        problems.append(f"{ask.url} as {who}: ?format={fmt} answered {answer.headers}")
    assert not problems, "\n".join(problems)
