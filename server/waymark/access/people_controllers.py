"""The people page of an app (owners): who has which role, invitations, role changes, removal, reset links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, get, post
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_404_NOT_FOUND, HTTP_502_BAD_GATEWAY
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.access.deps import audit, requires, resolve_principal
from waymark.access.forms import FormBody, clean
from waymark.access.mail import MailError, hand_out
from waymark.access.models import User
from waymark.access.passwords import normal_email
from waymark.access.principal import Action, Role
from waymark.access.services import (
    AccessError,
    grant_from,
    invite,
    owners_left,
    people_of_app,
    remove_grant,
    reset_link_for,
    set_grant,
)
from waymark.clock import utcnow
from waymark.db.models import App

__all__ = ["PeopleController"]

ROLE_LABELS = {Role.OWNER: "Owner", Role.AUTHOR: "Author", Role.ANALYST: "Analyst", Role.TENANT_ADMIN: "Tenant admin"}


@dataclass
class InviteForm:
    email: str = ""
    role: str = ""
    tenant: str = ""


@dataclass
class RoleForm:
    role: str = ""
    tenant: str = ""


@dataclass
class SwitchForm:
    require_totp: str = ""


async def _owned_apps(request: Request[Any, Any, Any]) -> frozenset[str]:
    principal = await resolve_principal(request)
    return frozenset(g.app_id for g in principal.grants if g.role is Role.OWNER) if principal else frozenset()


class PeopleController(Controller):
    path = "/admin/apps/{app_id:str}/people"
    include_in_schema = False
    guards = [requires(Action.MANAGE)]

    async def _render(self, request: Request[Any, Any, Any], app_id: str, status_code: int = 200,
                      **extra: Any) -> Template:
        async with request.app.state.sessionmaker() as db:
            app = await db.get_one(App, app_id)
            people = await people_of_app(db, app_id)
        principal = await resolve_principal(request)
        context = {"app_id": app_id, "app_name": app.name, "people": people, "roles": ROLE_LABELS,
                   "require_totp": app.require_totp, "me": principal.user_id if principal else None, **extra}
        return Template(template_name="access/people.html", context=context, status_code=status_code,
                        media_type=MediaType.HTML)

    @get("/", cache=False)
    async def show(self, request: Request[Any, Any, Any], app_id: str) -> Template:
        return await self._render(request, app_id)

    @post("/invite", status_code=200)
    async def invite(self, request: Request[Any, Any, Any], app_id: str,
                     data: Annotated[InviteForm, FormBody]) -> Template:
        email = normal_email(clean(data.email))
        try:
            grant = grant_from(app_id, data.role, data.tenant)
            async with request.app.state.sessionmaker() as db:
                token = await invite(db, email, grant, utcnow())
                app = await db.get_one(App, app_id)
        except AccessError as exc:
            return await self._render(request, app_id, HTTP_400_BAD_REQUEST, error=str(exc))
        await audit(request, "people.invite", f"{email} as {grant.role.value}"
                    + (f" of tenant {grant.tenant_id}" if grant.tenant_id else ""), app_id)
        if token is None:
            return await self._render(request, app_id, notice=f"{email} already has an account; they now have "
                                      f"this role and see the app next time they sign in.")
        try:
            link = await hand_out(request.app.state.settings.smtp_url, str(request.base_url), "invite", email,
                                  token, app.name)
        except MailError as exc:
            return await self._render(request, app_id, HTTP_502_BAD_GATEWAY, error=str(exc))
        return await self._render(request, app_id, link=link, link_for=email, link_kind="invitation",
                                  notice=None if link else f"Invitation mailed to {email}.")

    @post("/{user_id:int}/role", status_code=200)
    async def change_role(self, request: Request[Any, Any, Any], app_id: str, user_id: int,
                          data: Annotated[RoleForm, FormBody]) -> Template:
        try:
            grant = grant_from(app_id, data.role, data.tenant)
            async with request.app.state.sessionmaker() as db:
                user = await self._member(db, app_id, user_id)
                if grant.role is not Role.OWNER and not await owners_left(db, app_id, user_id):
                    raise AccessError("An app keeps at least one owner: make someone else owner first.")
                await set_grant(db, user_id, grant)
        except AccessError as exc:
            return await self._render(request, app_id, HTTP_400_BAD_REQUEST, error=str(exc))
        except LookupError:
            return await self._render(request, app_id, HTTP_404_NOT_FOUND, error="No such person in this app.")
        await audit(request, "people.role", f"{user.email} to {grant.role.value}"
                    + (f" of tenant {grant.tenant_id}" if grant.tenant_id else ""), app_id)
        return await self._render(request, app_id, notice=f"{user.email} is now {ROLE_LABELS[grant.role].lower()}.")

    @post("/{user_id:int}/remove", status_code=200)
    async def remove(self, request: Request[Any, Any, Any], app_id: str, user_id: int) -> Template:
        try:
            async with request.app.state.sessionmaker() as db:
                user = await self._member(db, app_id, user_id)
                if not await owners_left(db, app_id, user_id):
                    raise AccessError("An app keeps at least one owner: make someone else owner first.")
                await remove_grant(db, user_id, app_id)
        except AccessError as exc:
            return await self._render(request, app_id, HTTP_400_BAD_REQUEST, error=str(exc))
        except LookupError:
            return await self._render(request, app_id, HTTP_404_NOT_FOUND, error="No such person in this app.")
        await audit(request, "people.remove", user.email, app_id)
        return await self._render(request, app_id, notice=f"{user.email} no longer has access to this app.")

    @post("/{user_id:int}/reset", status_code=200)
    async def reset(self, request: Request[Any, Any, Any], app_id: str, user_id: int) -> Template:
        try:
            async with request.app.state.sessionmaker() as db:
                user = await self._member(db, app_id, user_id)
                token = await reset_link_for(db, user.email, await _owned_apps(request), utcnow())
            link = await hand_out(request.app.state.settings.smtp_url, str(request.base_url), "reset", user.email,
                                  token)
        except AccessError as exc:
            return await self._render(request, app_id, HTTP_400_BAD_REQUEST, error=str(exc))
        except LookupError:
            return await self._render(request, app_id, HTTP_404_NOT_FOUND, error="No such person in this app.")
        except MailError as exc:
            return await self._render(request, app_id, HTTP_502_BAD_GATEWAY, error=str(exc))
        await audit(request, "people.reset_link", user.email, app_id)
        return await self._render(request, app_id, link=link, link_for=user.email, link_kind="password reset",
                                  notice=None if link else f"Reset link mailed to {user.email}.")

    @post("/second-factor", status_code=200)
    async def second_factor(self, request: Request[Any, Any, Any], app_id: str,
                            data: Annotated[SwitchForm, FormBody]) -> Template:
        required = data.require_totp == "on"
        async with request.app.state.sessionmaker() as db:
            app = await db.get_one(App, app_id)
            app.require_totp = required
            await db.commit()
        await audit(request, "app.require_totp", "on" if required else "off", app_id)
        return await self._render(request, app_id, notice="Everyone in this app must now use a second factor."
                                  if required else "A second factor is now optional in this app.")

    @staticmethod
    async def _member(db: AsyncSession, app_id: str, user_id: int) -> User:
        for person in await people_of_app(db, app_id):
            if person.user_id == user_id:
                return await db.get_one(User, user_id)
        raise LookupError(user_id)
