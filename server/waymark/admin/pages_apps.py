"""``/admin/apps``: the apps a person can see, and a new app (its creator becomes its owner)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Template

from waymark.access.deps import LoginRequired, SecondFactorSetupRequired, audit, resolve_principal
from waymark.access.principal import Grant, Principal, Role
from waymark.access.services import set_grant
from waymark.admin.app_context import form_of
from waymark.admin.pages_home import visible_apps
from waymark.admin.pages_keys import embed_snippet
from waymark.admin.render import page
from waymark.apps.services import NewApp, create_app_with_keys

__all__ = ["AppsPage", "may_create_apps"]

_MAX_NAME = 200


def may_create_apps(principal: Principal) -> bool:
    """A person who owns an app, or one with no app yet (the first owner): never a key, never only a reader."""
    if principal.kind != "person" or principal.user_id is None:
        return False
    return not principal.grants or any(g.role is Role.OWNER for g in principal.grants)


async def _signed_in(request: Request[Any, Any, Any]) -> Principal:
    principal = await resolve_principal(request)
    if principal is None:
        raise LoginRequired(request.url.path)
    if principal.totp_setup_required:
        raise SecondFactorSetupRequired("set up a second factor first")
    return principal


async def _render(request: Request[Any, Any, Any], principal: Principal, *, created: NewApp | None = None,
                  notice: str = "", error: str = "", name: str = "", status_code: int = 200) -> Template:
    return page(request, "apps/list.html", {
        "apps": await visible_apps(request, principal), "may_create": may_create_apps(principal),
        "created": created, "name": name, "notice": notice, "error": error,
        "snippet": embed_snippet(request.app.state.settings.public_url, created.public_key) if created else "",
    }, status_code=status_code)


class AppsPage(Controller):
    path = "/admin/apps"
    include_in_schema = False

    @get("/", name="admin-apps")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        return await _render(request, await _signed_in(request))

    @post("/", status_code=200)
    async def create(self, request: Request[Any, Any, Any]) -> Template:
        principal = await _signed_in(request)
        if not may_create_apps(principal) or principal.user_id is None:
            return await _render(request, principal, status_code=403,
                                 error="Only an app's owner can create apps; ask an owner.")
        name = " ".join((await form_of(request)).get("name", "").split())
        if not name or len(name) > _MAX_NAME:
            return await _render(request, principal, name=name[:_MAX_NAME], status_code=400,
                                 error=f"Name: give the app a name (at most {_MAX_NAME} characters).")
        async with request.app.state.sessionmaker() as session:
            created = await create_app_with_keys(session, name)
            await set_grant(session, principal.user_id, Grant(created.id, Role.OWNER))
        await audit(request, "app.create", f"{created.id} {name}", created.id)
        # The grants on this request's principal predate the app: list it from the new grant too.
        now = Principal(kind=principal.kind, grants=(*principal.grants, Grant(created.id, Role.OWNER)),
                        user_id=principal.user_id, email=principal.email, session_id=principal.session_id)
        return await _render(request, now, created=created,
                             notice=f"App {name} is created and you are its owner.")
