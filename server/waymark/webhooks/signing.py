"""The webhook signature (no I/O): ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>``.

The timestamp is inside what is signed, so a receiver that refuses old timestamps also refuses a replayed body.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["SECRET_PREFIX", "new_secret", "signature", "signature_header"]

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret (256 random bits); the whole string, prefix included, is the HMAC key."""
    return SECRET_PREFIX + secrets.token_hex(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Waymark-Signature`` header of ``body`` sent at ``timestamp``."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"
