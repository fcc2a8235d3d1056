"""Request authentication by app key: public key (widget) or secret key (servers, CLI)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from waymark.apps.services import KeyResolver

__all__ = ["public_app_id", "secret_app_id"]


def _resolver(request: Request[Any, Any, Any]) -> KeyResolver:
    resolver: KeyResolver = request.app.state.key_resolver
    return resolver


async def public_app_id(request: Request[Any, Any, Any]) -> str:
    """The app of the public key in ``?key=`` (widget requests carry no custom headers)."""
    key = request.query_params.get("key") or request.headers.get("x-waymark-key")
    if not key:
        raise NotAuthorizedException("missing app key: pass the public key as ?key=pk_…")
    app_id = await _resolver(request).public(key)
    if app_id is None:
        raise PermissionDeniedException("unknown app key")
    return app_id


async def secret_app_id(request: Request[Any, Any, Any]) -> str:
    """The app of the secret key in ``Authorization: Bearer sk_…``."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise NotAuthorizedException("missing secret key: send 'Authorization: Bearer sk_…'")
    key = key.strip()
    if not key.startswith("sk_"):
        raise PermissionDeniedException("this operation needs a secret key (sk_…), not a public key")
    app_id = await _resolver(request).secret(key)
    if app_id is None:
        raise PermissionDeniedException("unknown or revoked secret key")
    return app_id
