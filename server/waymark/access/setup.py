"""What the application needs from access: session store, CSRF, the login redirect, the shared secret, the routes."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from litestar import MediaType, Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_403_FORBIDDEN
from litestar.types import ControllerRouterHandler, ExceptionHandlersMap
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.access.account_controllers import AccountController
from waymark.access.api_controllers import PeopleApiController
from waymark.access.apps_api import AppsApiController
from waymark.access.audit_controllers import AuditController
from waymark.access.deps import (
    SCOPE_DEPENDENCY,
    LoginRequired,
    SecondFactorSetupRequired,
    admin_scope,
    current_principal,
    login_url,
)
from waymark.access.links_controllers import LinkController
from waymark.access.login_controllers import LoginController
from waymark.access.models import ServerSecret
from waymark.access.people_controllers import PeopleController
from waymark.access.sessions import DatabaseSessions, RedisSessions, SessionStore, Timeouts
from waymark.db.upsert import insert_for
from waymark.settings import Settings

__all__ = ["CSRF_COOKIE", "AccessSetup", "load_shared_secret"]

CSRF_COOKIE = "waymark_csrf"
_CSRF_SECRET = "csrf"


async def load_shared_secret(maker: async_sessionmaker[AsyncSession], name: str) -> str:
    """The named secret every worker shares: made by whichever worker asks first, read by the others."""
    async with maker() as db:
        statement = insert_for(db, ServerSecret).values(name=name, value=secrets.token_urlsafe(48))
        await db.execute(statement.on_conflict_do_nothing(index_elements=["name"]))
        await db.commit()
        value = await db.scalar(select(ServerSecret.value).where(ServerSecret.name == name))
    assert value is not None
    return value


def _to_login(request: Request[Any, Any, Any], exc: LoginRequired) -> Response[Any]:
    return Redirect(login_url(exc.next_path), status_code=303)


def _forbidden(_: Request[Any, Any, Any], exc: PermissionDeniedException) -> Response[Any]:
    """On an admin page a refusal is a page (a form posted without its CSRF token, from another site or stale)."""
    return Template(template_name="access/forbidden.html", status_code=HTTP_403_FORBIDDEN, media_type=MediaType.HTML,
                    context={"detail": exc.detail})


def _to_account(_: Request[Any, Any, Any], __: SecondFactorSetupRequired) -> Response[Any]:
    return Redirect("/admin/account?setup=required", status_code=303)


class AccessSetup:
    """Built once in ``create_app``; its parts go into the Litestar constructor and ``app.state``."""

    def __init__(self, settings: Settings, maker: async_sessionmaker[AsyncSession]) -> None:
        self._maker = maker
        timeouts = Timeouts(idle=timedelta(minutes=settings.session_idle_minutes),
                            absolute=timedelta(hours=settings.session_max_hours))
        self.sessions: SessionStore = (
            RedisSessions(Redis.from_url(settings.redis_url), timeouts) if settings.redis_url
            else DatabaseSessions(maker, timeouts)
        )
        # Without WAYMARK_SECRET the key is read from the database at startup (below), before any request.
        self.csrf = CSRFConfig(
            secret=settings.secret or secrets.token_urlsafe(48), cookie_name=CSRF_COOKIE, cookie_path="/admin",
            cookie_httponly=True, cookie_secure=settings.cookie_secure, cookie_samesite="lax",
            # Only the cookie-authenticated admin is checked; public, /api/ and /v1/ routes carry keys instead.
            exclude=r"^/(?!admin(?:/|$)).+",
        )
        self._shared_secret = not settings.secret
        # Litestar reserves the name ``scope`` (the ASGI scope): the page's Scope is ``access_scope``.
        self.dependencies = {"principal": Provide(current_principal), SCOPE_DEPENDENCY: Provide(admin_scope)}
        self.exception_handlers: ExceptionHandlersMap = {
            LoginRequired: _to_login, SecondFactorSetupRequired: _to_account,
        }
        self.admin_exception_handlers: ExceptionHandlersMap = {PermissionDeniedException: _forbidden}
        """For the admin's router: errors there answer pages."""
        self.route_handlers: list[ControllerRouterHandler] = [
            LoginController, AccountController, LinkController, PeopleController, AuditController,
        ]
        """The admin's pages (cookie-authenticated: CSRF-checked, errors as pages)."""
        self.api_route_handlers: list[ControllerRouterHandler] = [PeopleApiController, AppsApiController]
        """The people and apps API (secret key: JSON errors, no CSRF)."""

    async def start(self) -> None:
        if self._shared_secret:
            self.csrf.secret = await load_shared_secret(self._maker, _CSRF_SECRET)
