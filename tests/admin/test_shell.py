"""The admin shell over HTTP: CSP with a fresh nonce on every admin page, no inline style or code, hashed assets,
one report URL answering HTML, JSON and CSV, filters refused with a 400 that says why."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest
from litestar import Litestar, Request, Response, get
from litestar.di import NamedDependency
from litestar.response import ServerSentEvent
from litestar.testing import AsyncTestClient

from tests.access.helpers import add_person, owner, sign_in
from tests.support import make_app
from waymark.admin.assets import AdminAssets
from waymark.admin.filters import ReportFilters, filters_dependency
from waymark.admin.render import report_page
from waymark.admin.templating import template_config
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import Tenant
from waymark.settings import Settings

_NONCE = re.compile(r"script-src 'self' 'nonce-([A-Za-z0-9_-]{16,})'")
_INLINE_STYLE = re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.S)
_STYLE_ELEMENT = re.compile(r"<style[\s>]", re.I)
_HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.S)
_SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)


def check_page(response: Any) -> str:
    """The page's CSP nonce, after checking that nothing inline could run or style the page."""
    policy = response.headers.get("content-security-policy", "")
    found = _NONCE.search(policy)
    assert found, f"{response.request.url}: no nonce in CSP {policy!r}"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "style-src 'self'" in policy and "default-src 'none'" in policy
    if response.headers.get("content-type", "").startswith("text/html"):
        html = response.text
        where = response.request.url
        assert not _INLINE_STYLE.search(html), f"{where}: inline style attribute"
        assert not _STYLE_ELEMENT.search(html), f"{where}: inline <style> element"
        assert not _HANDLER.search(html), f"{where}: inline event handler"
        for attributes in _SCRIPT.findall(html):
            assert 'type="application/json"' in attributes or f'nonce="{found.group(1)}"' in attributes, (
                f"{where}: a script without this response's nonce: {attributes}")
    return found.group(1)


async def _tenant(settings: Settings, app_id: str, tenant_id: str) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            session.add(Tenant(app_id=app_id, id=tenant_id, meta={"plan": "pro"}))
            await session.commit()
    finally:
        await engine.dispose()


def _streams(route: Any) -> bool:
    """An endpoint that streams (server-sent events) never ends by itself: its page is checked instead."""
    return any(h.parsed_fn_signature.return_type.annotation is ServerSentEvent
               for h in getattr(route, "route_handlers", ()))


def _fill(path: str, values: dict[str, str]) -> str | None:
    names = re.findall(r"\{(\w+)(?::\w+)?\}", path)
    if any(name not in values for name in names):
        return None
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], path)


async def test_every_admin_page_has_a_fresh_nonce_and_nothing_inline(client: AsyncTestClient, settings: Settings
                                                                     ) -> None:
    app = await make_app(settings)
    await _tenant(settings, app.id, "acme")
    await add_person(settings, "owner@example.test", owner(app.id))
    assert (await sign_in(client, "owner@example.test")).status_code in (200, 303)
    values = {"app_id": app.id, "tenant_id": "acme", "visitor_id": "v1", "guide_id": "welcome",
              "policy_id": "terms", "token": "x" * 32}
    paths = sorted({re.sub(r":\w+\}", "}", route.path) for route in client.app.routes
                    if route.path.startswith("/admin") and "GET" in getattr(route, "methods", ())
                    and not route.path.startswith("/admin/static") and not _streams(route)})
    assert {"/admin", "/admin/apps", "/admin/apps/{app_id}/keys", "/admin/apps/{app_id}/settings",
            "/admin/apps/{app_id}/privacy", "/admin/apps/{app_id}/content"} <= set(paths)
    checked, nonces = [], set()
    for path in paths:
        url = _fill(path, values)
        if url is None:
            continue
        response = await client.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code} {response.text[:300]}"
        nonces.add(check_page(response))
        checked.append(url)
    assert len(nonces) == len(checked) >= 6, "every response gets a nonce of its own"


async def test_admin_errors_and_redirects_carry_the_policy_too(client: AsyncTestClient) -> None:
    for url in ("/admin/", "/admin/no-such-page", "/admin/apps/nope/keys"):
        response = await client.get(url)
        check_page(response)
        assert response.headers["cache-control"] == "no-store"
    assert "content-security-policy" not in (await client.get("/livez")).headers


async def test_the_page_loads_its_assets_from_hashed_urls_cached_forever(client: AsyncTestClient,
                                                                         settings: Settings) -> None:
    await add_person(settings, "nobody@example.test", [])
    await sign_in(client, "nobody@example.test")
    html = (await client.get("/admin/")).text
    urls = re.findall(r'(?:src|href)="(/admin/static/admin\.[0-9a-f]{12}\.(?:js|css))"', html)
    assert len(urls) == 2, html[:800]
    for url in urls:
        response = await client.get(url, headers={"accept-encoding": "gzip"})
        assert response.status_code == 200 and len(response.content) > 1000
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert (await client.get("/admin/static/admin.000000000000.js")).status_code == 404


# A report outside the database: report_page and the filters dependency on their own.
_ROWS = [["tenant", "note"], ["acme", "=cmd()"], ["globex", "fine"]]


class _Data(msgspec.Struct):
    tenants: list[str]
    start: str


@get("/admin/test-report", dependencies={"filters": filters_dependency})
async def _report(request: Request[Any, Any, Any], filters: NamedDependency[ReportFilters]) -> Response[Any]:
    return report_page(request, template="home.html", data=_Data(["acme", "globex"], filters.start.isoformat()),
                       csv_rows=_ROWS, filename="tenants report", context={"apps": []})


@pytest.fixture
async def report_client() -> Any:
    app = Litestar([_report], template_config=template_config())
    app.state.admin_assets = AdminAssets.load()
    async with AsyncTestClient(app) as test_client:
        yield test_client


async def test_one_report_url_answers_html_json_and_csv(report_client: AsyncTestClient) -> None:
    html = await report_client.get("/admin/test-report?from=2026-01-01&to=2026-01-31")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "<main" in html.text and 'href="#main"' in html.text
    as_json = await report_client.get("/admin/test-report?from=2026-01-01&to=2026-01-31&format=json")
    assert as_json.json() == {"tenants": ["acme", "globex"], "start": "2026-01-01"}
    as_csv = await report_client.get("/admin/test-report?format=csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["content-disposition"] == 'attachment; filename="tenants-report.csv"'
    assert as_csv.content.decode() == "\ufefftenant,note\r\nacme,'=cmd()\r\nglobex,fine\r\n"
    assert (await report_client.get("/admin/test-report?format=xml")).status_code == 400


@pytest.mark.parametrize("query", ["from=nope", "from=2026-02-01&to=2026-01-01", "from=2020-01-01&to=2026-01-01",
                                   "segment=plan", "segment=tenant.plan="])
async def test_bad_filters_answer_400_with_a_message(report_client: AsyncTestClient, query: str) -> None:
    for fmt in ("html", "json", "csv"):
        response = await report_client.get(f"/admin/test-report?{query}&format={fmt}")
        assert response.status_code == 400, (query, fmt, response.text)
        assert response.json()["detail"]


async def test_a_filter_update_from_htmx_gets_the_report_without_the_page_around_it(
        report_client: AsyncTestClient) -> None:
    url = "/admin/test-report?from=2026-01-01&to=2026-01-31"
    full = await report_client.get(url)
    partial = await report_client.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and partial.headers["hx-push-url"] == url
    assert "<!doctype html>" in full.text and 'class="skip-link"' in full.text
    assert "<!doctype html>" not in partial.text and 'class="skip-link"' not in partial.text
    assert "<title>Your apps · Waymark</title>" in partial.text and "<h1>Your apps</h1>" in partial.text
    assert full.headers["vary"] == partial.headers["vary"] == "HX-Request"
