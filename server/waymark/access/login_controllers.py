"""Signing in and out of the admin: email and password, then a TOTP or recovery code when enabled."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, MediaType, Request, get, post
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_401_UNAUTHORIZED, HTTP_429_TOO_MANY_REQUESTS

from waymark.access.cookies import cleared_session_cookie, session_cookie
from waymark.access.deps import SESSION_COOKIE, audit, client_address
from waymark.access.factors import check_second_factor
from waymark.access.forms import CodeBody, LoginBody, clean, safe_next
from waymark.access.models import User
from waymark.access.passwords import normal_email
from waymark.access.services import authenticate
from waymark.access.sessions import SessionStore
from waymark.access.throttle import FAILED_CODE, FAILED_PASSWORD, LoginLimits, retry_after
from waymark.clock import utcnow

__all__ = ["LoginController"]

FAILURE = "Email or password is incorrect."
CODE_FAILURE = "That code is not right. Try the current code from your app, or a recovery code."


def _page(template: str, status_code: int = 200, **context: Any) -> Template:
    return Template(template_name=template, context=context, status_code=status_code, media_type=MediaType.HTML)


def _limits(request: Request[Any, Any, Any]) -> LoginLimits:
    settings = request.app.state.settings
    return LoginLimits(settings.login_failures_per_account, settings.login_failures_per_address)


def _too_many(wait: int) -> Template:
    minutes = max(1, round(wait / 60))
    return Template(template_name="access/too_many.html", context={"minutes": minutes},
                    status_code=HTTP_429_TOO_MANY_REQUESTS, media_type=MediaType.HTML,
                    headers={"Retry-After": str(wait)})


async def _throttled(request: Request[Any, Any, Any], email: str) -> int | None:
    async with request.app.state.sessionmaker() as db:
        return await retry_after(db, email, client_address(request), utcnow(), _limits(request))


async def _start_session(request: Request[Any, Any, Any], user_id: int, *, pending: bool) -> str:
    """A new session id for this browser: whatever cookie came with the request is ended, never reused."""
    store: SessionStore = request.app.state.sessions
    old = request.cookies.get(SESSION_COOKIE)
    if old and len(old) <= 100:
        await store.delete(old)
    return await store.create(user_id, utcnow(), pending_totp=pending)


class LoginController(Controller):
    path = "/admin"
    include_in_schema = False

    @get("/login", name="admin-login", cache=False)
    async def login_form(self, request: Request[Any, Any, Any]) -> Template:
        return _page("access/login.html", next=safe_next(request.query_params.get("next")), email="")

    @post("/login", status_code=303)
    async def login(self, request: Request[Any, Any, Any], data: LoginBody) -> Template | Redirect:
        email, target = normal_email(clean(data.email)), safe_next(data.next)
        wait = await _throttled(request, email)
        if wait is not None:
            return _too_many(wait)
        async with request.app.state.sessionmaker() as db:
            user = await authenticate(db, email, data.password) if email == normal_email(data.email) else None
        if user is None:
            await audit(request, FAILED_PASSWORD, email, None, actor=email or "anonymous")
            return _page("access/login.html", HTTP_401_UNAUTHORIZED, error=FAILURE, next=target, email=email)
        session_id = await _start_session(request, user.id, pending=user.totp_enabled)
        if user.totp_enabled:
            return Redirect(f"/admin/login/code?next={quote(target, safe='/')}", status_code=303,
                            cookies=[session_cookie(request, session_id)])
        await audit(request, "login", email, None, actor=email)
        return Redirect(target, status_code=303, cookies=[session_cookie(request, session_id)])

    @get("/login/code", cache=False)
    async def code_form(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        if await self._pending_user(request) is None:
            return Redirect("/admin/login", status_code=303)
        return _page("access/login_code.html", next=safe_next(request.query_params.get("next")))

    @post("/login/code", status_code=303)
    async def code(self, request: Request[Any, Any, Any], data: CodeBody) -> Template | Redirect:
        target = safe_next(request.query_params.get("next"))
        user = await self._pending_user(request)
        if user is None:
            return Redirect("/admin/login", status_code=303)
        wait = await _throttled(request, user.email)
        if wait is not None:
            return _too_many(wait)
        async with request.app.state.sessionmaker() as db:
            fresh = await db.get(User, user.id)
            ok = fresh is not None and await check_second_factor(db, fresh, clean(data.code, 64), utcnow())
        if not ok:
            await audit(request, FAILED_CODE, user.email, None, actor=user.email)
            return _page("access/login_code.html", HTTP_401_UNAUTHORIZED, error=CODE_FAILURE, next=target)
        session_id = await _start_session(request, user.id, pending=False)
        await audit(request, "login", user.email, None, actor=user.email)
        return Redirect(target, status_code=303, cookies=[session_cookie(request, session_id)])

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie and len(cookie) <= 100:
            await audit(request, "logout", "", None)
            await request.app.state.sessions.delete(cookie)
        return Redirect("/admin/login", status_code=303, cookies=[cleared_session_cookie(request)])

    @staticmethod
    async def _pending_user(request: Request[Any, Any, Any]) -> User | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie or len(cookie) > 100:
            return None
        record = await request.app.state.sessions.get(cookie, utcnow())
        if record is None or not record.pending_totp:
            return None
        async with request.app.state.sessionmaker() as db:
            user = await db.get(User, record.user_id)
        return user if user is not None and user.disabled_at is None else None
