"""Invitation and password-reset links: the person sets a password, then is signed in."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Request, get, post
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_404_NOT_FOUND

from waymark.access.cookies import session_cookie
from waymark.access.deps import SESSION_COOKIE, audit
from waymark.access.forms import PasswordBody, clean
from waymark.access.passwords import MIN_PASSWORD_LENGTH
from waymark.access.services import AccessError, peek_link, redeem_link
from waymark.access.sessions import SessionStore
from waymark.clock import utcnow

__all__ = ["LinkController"]

_GONE = "This link has expired or was already used. Ask an owner of your app for a new one."
_TITLES = {"invite": "Welcome to Waymark", "reset": "Choose a new password"}


def _page(purpose: str, token: str, status_code: int = 200, **context: Any) -> Template:
    return Template(template_name="access/set_password.html", status_code=status_code, media_type=MediaType.HTML,
                    context={"title": _TITLES[purpose], "action": f"/admin/{purpose}/{token}",
                             "min_length": MIN_PASSWORD_LENGTH, **context})


async def _show(request: Request[Any, Any, Any], purpose: str, token: str) -> Template:
    async with request.app.state.sessionmaker() as db:
        user = await peek_link(db, clean(token, 100), purpose, utcnow())
    if user is None:
        return _page(purpose, "", HTTP_404_NOT_FOUND, gone=True, error=_GONE)
    return _page(purpose, token, email=user.email)


async def _set(request: Request[Any, Any, Any], purpose: str, token: str, password: str,
               confirm: str) -> Template | Redirect:
    token = clean(token, 100)
    async with request.app.state.sessionmaker() as db:
        user = await peek_link(db, token, purpose, utcnow())
        if user is None:
            return _page(purpose, "", HTTP_404_NOT_FOUND, gone=True, error=_GONE)
        if password != confirm:
            return _page(purpose, token, HTTP_400_BAD_REQUEST, email=user.email,
                         error="The two passwords are not the same.")
        try:
            user = await redeem_link(db, token, purpose, password, utcnow())
        except AccessError as exc:
            return _page(purpose, token, HTTP_400_BAD_REQUEST, email=user.email, error=str(exc))
    store: SessionStore = request.app.state.sessions
    await store.delete_for_user(user.id)  # a new password ends every session the old one opened
    old = request.cookies.get(SESSION_COOKIE)
    if old and len(old) <= 100:
        await store.delete(old)
    await audit(request, f"{purpose}.used", user.email, None, actor=user.email)
    session_id = await store.create(user.id, utcnow(), pending_totp=user.totp_enabled)
    target = "/admin/login/code" if user.totp_enabled else "/admin/"
    return Redirect(target, status_code=303, cookies=[session_cookie(request, session_id)])


class LinkController(Controller):
    path = "/admin"
    include_in_schema = False

    @get("/invite/{token:str}", cache=False)
    async def invitation(self, request: Request[Any, Any, Any], token: str) -> Template:
        return await _show(request, "invite", token)

    @post("/invite/{token:str}", status_code=303)
    async def accept(self, request: Request[Any, Any, Any], token: str, data: PasswordBody) -> Template | Redirect:
        return await _set(request, "invite", token, data.password, data.confirm)

    @get("/reset/{token:str}", cache=False)
    async def reset_form(self, request: Request[Any, Any, Any], token: str) -> Template:
        return await _show(request, "reset", token)

    @post("/reset/{token:str}", status_code=303)
    async def reset(self, request: Request[Any, Any, Any], token: str, data: PasswordBody) -> Template | Redirect:
        return await _set(request, "reset", token, data.password, data.confirm)
