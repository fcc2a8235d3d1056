"""People over the API (secret key): list, invite and reset links, for ``waymark users … --server``."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ServiceUnavailableException,
)
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from waymark.access.deps import audit, resolve_principal
from waymark.access.mail import MailError, hand_out
from waymark.access.services import AccessError, email_problem, grant_from, invite, people_of_app, reset_link_for
from waymark.clock import utcnow
from waymark.db.models import App
from waymark.openapi_docs import SECRET_KEY, documented
from waymark.wire import LINE_PATTERN

__all__ = ["PeopleApiController", "key_app"]

_Line = Annotated[str, msgspec.Meta(max_length=320, pattern=LINE_PATTERN)]


class PersonOut(msgspec.Struct):
    email: str
    role: str
    tenant: str | None
    has_password: bool
    """False until an invited person has chosen a password."""
    totp_enabled: bool


class InvitationIn(msgspec.Struct, forbid_unknown_fields=True):
    email: _Line
    role: Annotated[str, msgspec.Meta(max_length=32, pattern=LINE_PATTERN)]
    """``owner``, ``author``, ``analyst`` or ``tenant_admin``."""
    tenant: Annotated[str, msgspec.Meta(max_length=200, pattern=LINE_PATTERN)] | None = None
    """The tenant of a tenant admin (and only of one)."""
    base_url: Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https?://[^\s]+$")] | None = None
    """Where people reach Waymark, for the link (default: the address this request came to)."""


class ResetIn(msgspec.Struct, forbid_unknown_fields=True):
    base_url: Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https?://[^\s]+$")] | None = None


class LinkOut(msgspec.Struct):
    email: str
    link: str | None
    """The one-time link; ``null`` when it was mailed (SMTP configured) or not needed."""
    mailed: bool
    existing: bool = False
    """The person already had a password: they got the role, and no link is needed."""


async def key_app(request: Request[Any, Any, Any]) -> str:
    """The app of the request's secret key (401 without one, 403 for an unknown or revoked one)."""
    principal = await resolve_principal(request)
    header = request.headers.get("authorization", "")
    if not header:
        raise NotAuthorizedException("missing secret key: send 'Authorization: Bearer sk_…'")
    if principal is None or principal.kind != "secret_key":
        raise PermissionDeniedException("unknown or revoked secret key")
    return principal.grants[0].app_id


class PeopleApiController(Controller):
    path = "/api/v1/people"
    tags = ["people"]
    dependencies = {"app_id": Provide(key_app)}
    security = SECRET_KEY

    @get("/", operation_id="ListPeople", operation_class=documented(400, 401, 403, 503))
    async def list_people(self, request: Request[Any, Any, Any], app_id: NamedDependency[str]) -> list[PersonOut]:
        """Everyone with a role in the key's app."""
        async with request.app.state.sessionmaker() as db:
            people = await people_of_app(db, app_id)
        return [PersonOut(p.email, p.role.value, p.tenant_id, p.has_password, p.totp_enabled) for p in people]

    @post("/invitations", operation_id="InvitePerson", status_code=HTTP_201_CREATED,
          operation_class=documented(400, 401, 403, 413, 503))
    async def invite_person(self, request: Request[Any, Any, Any], app_id: NamedDependency[str],
                            data: JSONBody[InvitationIn]) -> LinkOut:
        """Give a person a role in the app; a one-time invitation link when they have no password yet."""
        try:
            grant = grant_from(app_id, data.role, data.tenant or "")
            problem = email_problem(data.email.strip().lower())
            if problem:
                raise AccessError(problem)
            async with request.app.state.sessionmaker() as db:
                token = await invite(db, data.email, grant, utcnow())
                app = await db.get_one(App, app_id)
        except AccessError as exc:
            raise ClientException(str(exc)) from exc
        await audit(request, "people.invite", f"{data.email} as {grant.role.value}", app_id)
        if token is None:
            return LinkOut(data.email.strip().lower(), None, mailed=False, existing=True)
        return await self._hand_out(request, "invite", data.email.strip().lower(), token, data.base_url, app.name)

    @post("/{email:str}/reset", operation_id="ResetPersonPassword", status_code=HTTP_200_OK,
          operation_class=documented(400, 401, 403, 404, 413, 503))
    async def reset(self, request: Request[Any, Any, Any], app_id: NamedDependency[str],
                    email: Annotated[str, PathParameter(max_length=320)], data: JSONBody[ResetIn] | None = None,
                    ) -> LinkOut:
        """A one-time password-reset link for a person whose every role is in this app."""
        async with request.app.state.sessionmaker() as db:
            if not any(p.email == email.strip().lower() for p in await people_of_app(db, app_id)):
                raise NotFoundException("no person with this email in the app")
            try:
                token = await reset_link_for(db, email, frozenset({app_id}), utcnow())
            except AccessError as exc:
                raise ClientException(str(exc)) from exc
        await audit(request, "people.reset_link", email.strip().lower(), app_id)
        return await self._hand_out(request, "reset", email.strip().lower(), token, data.base_url if data else None)

    @staticmethod
    async def _hand_out(request: Request[Any, Any, Any], purpose: str, email: str, token: str,
                        base_url: str | None, app_name: str | None = None) -> LinkOut:
        try:
            link = await hand_out(request.app.state.settings.smtp_url, base_url or str(request.base_url), purpose,
                                  email, token, app_name)
        except MailError as exc:
            raise ServiceUnavailableException(str(exc)) from exc
        return LinkOut(email, link, mailed=link is None)
