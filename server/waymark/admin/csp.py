"""A strict Content-Security-Policy with a fresh nonce on every admin response (no inline code, no eval)."""

from __future__ import annotations

import secrets
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ADMIN_PREFIX", "NONCE_KEY", "nonce_of", "policy", "with_admin_headers"]

ADMIN_PREFIX = "/admin"
NONCE_KEY = "waymark_csp_nonce"
"""Where the request's nonce sits in ``scope["state"]``: templates read it as ``{{ csp_nonce }}``."""


def policy(nonce: str) -> str:
    """The policy: scripts only from Waymark itself or carrying this response's nonce; styles only from files."""
    return "; ".join((
        "default-src 'none'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ))


def nonce_of(scope: Any) -> str:
    """The nonce of this request (made on first use, so a page rendered outside the wrapper still gets one)."""
    state = scope.setdefault("state", {})
    nonce = state.get(NONCE_KEY)
    if nonce is None:
        nonce = state[NONCE_KEY] = secrets.token_urlsafe(18)
    return str(nonce)


_STATIC = ADMIN_PREFIX + "/static/"


def with_admin_headers(app: ASGIApp) -> ASGIApp:
    """Wrap the application: every response under ``/admin`` (pages, redirects, errors, 404s) gets the policy.

    A wrapper rather than router middleware: it also covers the admin's 404s and errors raised before a
    route is found, and costs other paths (delivery's included) one prefix test.
    """

    async def admin_headers(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == ScopeType.HTTP else ""
        if not (path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")):
            await app(scope, receive, send)
            return
        nonce = nonce_of(scope)
        private = not path.startswith(_STATIC)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers["Content-Security-Policy"] = policy(nonce)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["X-Frame-Options"] = "DENY"
                if private and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await app(scope, receive, send_with_headers)

    return admin_headers
