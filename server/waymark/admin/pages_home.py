"""The admin's front door: ``/admin/`` lists the apps a person can see (a tenant admin goes to their tenant)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get
from litestar.response import Redirect
from sqlalchemy import select

from waymark.access.deps import login_url, resolve_principal
from waymark.access.principal import Principal, Role
from waymark.admin.render import page
from waymark.db.models import App

__all__ = ["home", "visible_apps"]


async def visible_apps(request: Request[Any, Any, Any], principal: Principal) -> list[dict[str, Any]]:
    """The apps this person has a grant in, with their name and the person's role there."""
    ids = [g.app_id for g in principal.grants]
    if not ids:
        return []
    async with request.app.state.sessionmaker() as session:
        names = {row.id: row.name for row in await session.execute(select(App.id, App.name).where(App.id.in_(ids)))}
    return [
        {"id": g.app_id, "name": names.get(g.app_id, g.app_id), "role": g.role.value.replace("_", " "),
         "href": (f"/admin/apps/{g.app_id}/tenants/{quote(g.tenant_id, safe='')}/"
                  if g.role is Role.TENANT_ADMIN and g.tenant_id else f"/admin/apps/{g.app_id}/"),
         "tenant": g.tenant_id}
        for g in principal.grants if g.app_id in names
    ]


@get(["/admin", "/admin/"], include_in_schema=False, name="admin-home")
async def home(request: Request[Any, Any, Any]) -> Response[Any]:
    """Signed out: to the login page. A tenant admin of one tenant only: to that tenant's page."""
    principal = await resolve_principal(request)
    if principal is None:
        return Redirect(login_url("/admin/"), status_code=303)
    if principal.totp_setup_required:
        return Redirect("/admin/account", status_code=303)
    apps = await visible_apps(request, principal)
    if len(apps) == 1 and apps[0]["tenant"] is not None:
        return Redirect(apps[0]["href"], status_code=303)
    return page(request, "home.html", {"apps": apps})
