"""Verified identity: the host app's server signs the visitor (and tenant) as an HS256 JWT (pure, no I/O).

Claims: ``sub`` (the visitor id, required), ``tenant`` (optional: then the
visitor may only speak for that tenant) and ``exp`` (required). Any active
identity secret of the app may have signed it, so that secrets can be rotated.
"""

from __future__ import annotations

from collections.abc import Sequence

import jwt

__all__ = ["IdentityRefused", "verify_identity"]

_LEEWAY_SECONDS = 30


class IdentityRefused(ValueError):
    """The identity is missing, expired, wrongly signed or for someone else; the text says which."""


def verify_identity(token: str | None, secrets: Sequence[str], visitor: str, tenant: str | None) -> None:
    """Return when ``token`` proves that ``visitor`` (of ``tenant``) was signed by the host app."""
    if not token:
        raise IdentityRefused("this app requires a verified identity: pass the signed token as `identity`")
    if not secrets:
        raise IdentityRefused("this app requires a verified identity but has no identity secret")
    claims: dict[str, object] | None = None
    for secret in secrets:
        try:
            claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub", "exp"]},
                                leeway=_LEEWAY_SECONDS)
            break
        except jwt.ExpiredSignatureError as exc:
            raise IdentityRefused("identity token has expired") from exc
        except jwt.InvalidSignatureError:
            continue
        except jwt.MissingRequiredClaimError as exc:
            raise IdentityRefused(f"identity token lacks the {exc.claim!r} claim") from exc
        except jwt.PyJWTError as exc:
            raise IdentityRefused(f"identity token is malformed: {exc}") from exc
    if claims is None:
        raise IdentityRefused("identity token is not signed by any active identity secret of this app")
    if claims.get("sub") != visitor:
        raise IdentityRefused("identity token is for another visitor")
    signed_tenant = claims.get("tenant")
    if signed_tenant is not None and tenant is not None and signed_tenant != tenant:
        raise IdentityRefused("identity token is for another tenant")
