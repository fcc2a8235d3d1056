"""The admin's session cookie: HttpOnly, SameSite=Lax, Path=/admin, Secure behind TLS."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import Cookie

from waymark.access.deps import SESSION_COOKIE

__all__ = ["cleared_session_cookie", "session_cookie"]


def _secure(request: Request[Any, Any, Any]) -> bool:
    return bool(request.app.state.settings.cookie_secure) or request.url.scheme == "https"


def session_cookie(request: Request[Any, Any, Any], session_id: str) -> Cookie:
    """The cookie that carries a new session id (no Max-Age: it ends with the browser or the server side)."""
    return Cookie(key=SESSION_COOKIE, value=session_id, path="/admin", httponly=True, samesite="lax",
                  secure=_secure(request))


def cleared_session_cookie(request: Request[Any, Any, Any]) -> Cookie:
    return Cookie(key=SESSION_COOKIE, value="", path="/admin", httponly=True, samesite="lax",
                  secure=_secure(request), max_age=0, expires=0)
