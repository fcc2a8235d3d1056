"""CORS ``*`` for the public router only (widget delivery and events, Segment, widget files): router middleware.

Litestar's ``CORSConfig`` applies to the whole application; the secret-key API and the admin must not answer
other origins, so the headers are added here, by the public router's one middleware, and nowhere else.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ALLOWED_METHODS", "EXPOSED_HEADERS", "MAX_AGE", "public_cors"]

ALLOWED_METHODS = "GET, HEAD, POST"
EXPOSED_HEADERS = "Retry-After, ETag"
MAX_AGE = 86400
"""Seconds a browser may keep a preflight answer."""
_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ, ")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


async def _preflight(send: Send, requested_headers: bytes | None) -> None:
    headers = [
        (b"access-control-allow-origin", b"*"),
        (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
        (b"access-control-max-age", str(MAX_AGE).encode()),
        (b"content-length", b"0"),
    ]
    # Echo the asked-for header names (only plain tokens, at most a few hundred bytes).
    if requested_headers and len(requested_headers) <= 512 and set(requested_headers) <= _TOKEN:
        headers.append((b"access-control-allow-headers", requested_headers))
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def public_cors(app: ASGIApp) -> ASGIApp:
    """Answer preflights itself; add ``Access-Control-Allow-Origin: *`` to cross-origin answers."""

    async def cors(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or _header(scope, b"origin") is None:
            await app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method") is not None:
            await _preflight(send, _header(scope, b"access-control-request-headers"))
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"access-control-allow-origin", b"*"),
                    (b"access-control-expose-headers", EXPOSED_HEADERS.encode()),
                ]
            await send(message)

        await app(scope, receive, send_with_cors)

    return cors
