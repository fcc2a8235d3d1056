"""Making and recognising app keys: public keys for the widget, secret keys for servers."""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["hash_secret", "new_app_id", "new_public_key", "new_secret_key"]


def new_app_id() -> str:
    return secrets.token_hex(8)


def new_public_key() -> str:
    """Public (write-only) key: it sits in every host page, so it only needs to be unguessable-ish."""
    return "pk_" + secrets.token_urlsafe(18)


def new_secret_key() -> str:
    return "sk_" + secrets.token_urlsafe(32)


def hash_secret(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
