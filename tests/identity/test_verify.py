"""Verified identity tokens (pure)."""

from __future__ import annotations

import time

import jwt
import pytest

from waymark.identity.verify import IdentityRefused, verify_identity

OLD, NEW = "is_old-secret", "is_new-secret"


def token(secret: str = OLD, **claims: object) -> str:
    """A token valid for a day: the parameter table below is built at collection, long before its test runs."""
    return jwt.encode({"sub": "u-1", "exp": int(time.time()) + 86400, **claims}, secret, algorithm="HS256")


def test_a_signed_visitor_passes_with_either_active_secret() -> None:
    verify_identity(token(OLD), [NEW, OLD], "u-1", None)
    verify_identity(token(NEW), [NEW, OLD], "u-1", "acme")
    verify_identity(token(NEW, tenant="acme"), [NEW], "u-1", "acme")


@pytest.mark.parametrize(
    ("given", "secrets", "visitor", "tenant", "reason"),
    [
        (None, [OLD], "u-1", None, "requires a verified identity"),
        (token(OLD), [], "u-1", None, "has no identity secret"),
        (token(OLD), [NEW], "u-1", None, "not signed by any active identity secret"),
        (token(OLD, exp=int(time.time()) - 120), [OLD], "u-1", None, "expired"),
        (jwt.encode({"sub": "u-1"}, OLD, algorithm="HS256"), [OLD], "u-1", None, "lacks the 'exp' claim"),
        (token(OLD), [OLD], "u-2", None, "another visitor"),
        (token(OLD, tenant="acme"), [OLD], "u-1", "globex", "another tenant"),
        ("not-a-jwt", [OLD], "u-1", None, "malformed"),
        (jwt.encode({"sub": "u-1", "exp": int(time.time()) + 86400}, OLD, algorithm="HS512"), [OLD], "u-1", None,
         "malformed"),
    ],
)
def test_refusals_say_why(given: str | None, secrets: list[str], visitor: str, tenant: str | None,
                          reason: str) -> None:
    with pytest.raises(IdentityRefused, match=reason):
        verify_identity(given, secrets, visitor, tenant)
