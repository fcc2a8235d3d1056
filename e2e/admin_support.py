"""What the admin's e2e tests share: signing in through the form, the demo's admin pages, axe-core and 390 px checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from litestar import Litestar
from litestar.response import ServerSentEvent
from playwright.sync_api import Page, expect
from tests.admin.matrix import MATRIX, Entry

from waymark.access.principal import Action

__all__ = [
    "ADMIN_EMAIL", "DEMO_APP", "OTHER_TENANT", "OWNER_EMAIL", "PASSWORD", "TENANT", "AdminPage",
    "accessibility_problems", "admin_pages", "scrolls_sideways", "sign_in", "sign_out", "tenant_admin_may_open",
]

OWNER_EMAIL = "owner@ledgerly.test"
ADMIN_EMAIL = "admin@acme.test"
PASSWORD = "demo-password"
DEMO_APP = "demo"
TENANT = "acme"
"""The demo tenant whose admin is ``admin@acme.test``."""
OTHER_TENANT = "umbrella"
"""Another demo tenant: nothing of it is the tenant admin's."""
DEMO_VALUES = {"app_id": DEMO_APP, "guide_id": "welcome-tour", "visitor_id": "acme-u01", "policy_id": "terms-of-use"}
"""Path parameters of the demo's pages (besides ``tenant_id``)."""
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
_axe = Axe()


@dataclass(frozen=True)
class AdminPage:
    path: str
    """A concrete URL path of the demo (``tenant_id`` filled with ``TENANT`` unless told)."""
    route: str
    entry: Entry


def _filled(route: str, values: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: values[m.group(1)], route)


def admin_pages(app: Litestar, tenant: str = TENANT) -> Iterator[AdminPage]:
    """Every admin page a browser can open (GET, signed in), from the router, with the demo's ids filled in."""
    # An event stream (the live view's) is read by the page's script, never opened as a page.
    streams = {r.path for r in app.routes for h in getattr(r, "route_handlers", ())
               if h.parsed_fn_signature.return_type.annotation is ServerSentEvent}
    for route in sorted({r.path for r in app.routes if r.path.startswith("/admin")} - streams):
        entry = MATRIX.get(("GET", route))
        if entry is None or entry.kind != "page":
            continue
        values = {**DEMO_VALUES, "tenant_id": tenant}
        if any(name not in values for name in _PARAM.findall(route)):
            continue  # a page about one object this demo does not name (a token, a secret): not browsable
        yield AdminPage(_filled(route, values) or "/admin", route, entry)


def tenant_admin_may_open(page: AdminPage) -> bool:
    return page.entry.action is Action.READ_TENANT and page.entry.tenant_scoped


def sign_in(page: Page, email: str, password: str = PASSWORD, code: str | None = None, next_path: str = "") -> None:
    """Sign in through /admin/login as a person would (labels, the button), with a TOTP code when asked."""
    page.goto("/admin/login" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if code is not None:
        page.wait_for_url("**/admin/login/code**")
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/admin/login" not in url)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name=re.compile("Sign out", re.I)).first.click()
    page.wait_for_url("**/admin/login**")
    expect(page.get_by_label("Email")).to_be_visible()


def accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as shown now, one line per element."""
    results = _axe.run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}) {v['help']}: {', '.join(map(str, node['target']))}"
        for v in results.response["violations"] if v["impact"] in ("serious", "critical")
        for node in v["nodes"]
    ]


def scrolls_sideways(page: Page) -> bool:
    """Does the page's body scroll horizontally at the current viewport width?"""
    return bool(page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"))
