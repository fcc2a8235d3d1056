"""Who is asking and under which scope, resolved once per request; the guards and the audit hook built on it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler

from waymark.access.models import AuditEntry, User
from waymark.access.principal import Action, Grant, Principal, Role
from waymark.access.services import grants_of, totp_required_by
from waymark.access.sessions import SessionStore
from waymark.clock import utcnow
from waymark.db.scope import Scope

__all__ = [
    "SCOPE_DEPENDENCY",
    "SESSION_COOKIE",
    "LoginRequired",
    "SecondFactorSetupRequired",
    "admin_scope",
    "audit",
    "client_address",
    "current_principal",
    "login_url",
    "requires",
    "resolve_principal",
    "signed_in_person",
]

SESSION_COOKIE = "waymark_session"
SCOPE_DEPENDENCY = "access_scope"
"""The name handlers take the page's Scope by (``access_scope: Scope``): Litestar reserves ``scope``."""
_STATE_KEY = "waymark_principal"
_ADMIN = "/admin"


class LoginRequired(NotAuthorizedException):
    """Nobody is signed in: an admin page answers with a redirect to the login page (see ``app.py``)."""

    def __init__(self, next_path: str) -> None:
        super().__init__("sign in first")
        self.next_path = next_path


class SecondFactorSetupRequired(NotAuthorizedException):
    """An app of this person requires TOTP and they have none yet: they are sent to /admin/account."""


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return (connection.client.host if connection.client else "")[:64]


async def _person(connection: ASGIConnection[Any, Any, Any, Any], session_id: str) -> Principal | None:
    store: SessionStore = connection.app.state.sessions
    record = await store.get(session_id, utcnow())
    if record is None or record.pending_totp:
        return None
    async with connection.app.state.sessionmaker() as db:
        user = await db.get(User, record.user_id)
        if user is None or user.disabled_at is not None:
            return None
        grants = await grants_of(db, user.id)
        setup = not user.totp_enabled and await totp_required_by(db, grants)
    return Principal(kind="person", grants=grants, user_id=user.id, email=user.email, session_id=session_id,
                     totp_setup_required=setup)


async def _secret_key(connection: ASGIConnection[Any, Any, Any, Any], key: str) -> Principal | None:
    app_id = await connection.app.state.key_resolver.secret(key)
    return None if app_id is None else Principal(kind="secret_key", grants=(Grant(app_id, Role.OWNER),))


async def resolve_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The principal of this request (computed once, then kept on the connection)."""
    state = connection.scope.setdefault("state", {})
    if _STATE_KEY in state:
        found: Principal | None = state[_STATE_KEY]
        return found
    principal: Principal | None = None
    scheme, _, key = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and key.strip().startswith("sk_"):
        principal = await _secret_key(connection, key.strip())
    else:
        cookie = connection.cookies.get(SESSION_COOKIE)
        if cookie and 10 <= len(cookie) <= 100:
            principal = await _person(connection, cookie)
    state[_STATE_KEY] = principal
    return principal


async def current_principal(request: Request[Any, Any, Any]) -> Principal | None:
    """Dependency ``principal``: the signed-in person or secret key of this request, or ``None``."""
    return await resolve_principal(request)


def _denied(connection: ASGIConnection[Any, Any, Any, Any]) -> Exception:
    if connection.url.path.startswith(_ADMIN):
        return LoginRequired(connection.url.path + (f"?{connection.url.query}" if connection.url.query else ""))
    return NotAuthorizedException("sign in, or send 'Authorization: Bearer sk_…'")


async def signed_in_person(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The signed-in person of an admin page that belongs to no app (their account); else sign in first."""
    principal = await resolve_principal(connection)
    if principal is None or principal.kind != "person" or principal.user_id is None:
        raise _denied(connection)
    return principal


async def _allowed_scope(connection: ASGIConnection[Any, Any, Any, Any], action: Action | None) -> Scope:
    principal = await resolve_principal(connection)
    if principal is None:
        raise _denied(connection)
    if principal.totp_setup_required:
        raise SecondFactorSetupRequired("set up a second factor first")
    app_id = connection.path_params.get("app_id")
    tenant_id = connection.path_params.get("tenant_id")
    grant = principal.grant(app_id) if isinstance(app_id, str) else None
    needed = action or (Action.READ_TENANT if tenant_id is not None else Action.READ_APP)
    scope = grant.scope(str(tenant_id) if tenant_id is not None else None) if grant is not None else None
    if grant is None or scope is None or not grant.allows(needed):
        # 404, never 403: nobody learns that an app, a tenant or a page they may not see exists.
        raise NotFoundException("not found")
    return scope


async def admin_scope(request: Request[Any, Any, Any]) -> Scope:
    """Dependency ``access_scope``: the Scope of an ``/admin/apps/{app_id}[/tenants/{tenant_id}]/…`` page.

    The route's action is ``opt={"action": Action.…}`` when given, else READ_TENANT under a tenant
    and READ_APP otherwise. Nobody signed in: a redirect to the login page; not allowed: 404.
    """
    action = request.route_handler.opt.get("action")
    return await _allowed_scope(request, Action(action) if action is not None else None)


def requires(action: Action) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]:
    """A guard: the principal's grant in the route's ``{app_id}`` allows ``action`` (else 404, or sign in)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        await _allowed_scope(connection, action)

    guard.__name__ = f"requires_{action.value}"
    return guard


def _actor(principal: Principal | None) -> str:
    if principal is None:
        return "anonymous"
    if principal.kind == "person":
        return principal.email or f"user {principal.user_id}"
    return f"{principal.kind.replace('_', ' ')} of {principal.grants[0].app_id}" if principal.grants else principal.kind


async def audit(request: ASGIConnection[Any, Any, Any, Any], action: str, target: str, app_id: str | None,
                *, actor: str | None = None) -> None:
    """Record an admin action (who, what, on what, in which app, when, from where)."""
    async with request.app.state.sessionmaker() as db:
        db.add(AuditEntry(actor=(actor or _actor(await resolve_principal(request)))[:320], action=action[:64],
                          target=target[:400], app_id=app_id, ip=client_address(request), at=utcnow()))
        await db.commit()


def login_url(next_path: str) -> str:
    return f"{_ADMIN}/login?next={quote(next_path, safe='/')}"
