"""Password hashing (argon2id), email normalisation and the random secrets of links, sessions and codes; no I/O."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "Verdict",
    "check_password",
    "digest",
    "hash_password",
    "new_token",
    "normal_email",
    "password_problem",
]

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
"""Longer is refused before hashing: argon2 is slow on purpose, and a megabyte password is an attack."""

_HASHER = PasswordHasher()  # argon2id with argon2-cffi's current recommended parameters
_DUMMY = _HASHER.hash("not a password anyone has")
"""Verified against when the account does not exist, so a wrong email costs the time a wrong password does."""


def normal_email(email: str) -> str:
    """The form emails are stored and compared in: trimmed, lower-cased."""
    return email.strip().lower()


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be set, or ``None``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password needs at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The password may have at most {MAX_PASSWORD_LENGTH} characters."
    if "\x00" in password:
        return "The password may not contain a NUL character."
    return None


def hash_password(password: str, hasher: PasswordHasher = _HASHER) -> str:
    return hasher.hash(password)


class Verdict:
    """The outcome of a password check: right or not, and the new hash when the parameters changed."""

    __slots__ = ("ok", "rehashed")

    def __init__(self, ok: bool, rehashed: str | None = None) -> None:
        self.ok = ok
        self.rehashed = rehashed


def check_password(stored: str | None, password: str, hasher: PasswordHasher = _HASHER) -> Verdict:
    """Verify ``password`` against ``stored`` (``None``: no such account or no password yet, same cost)."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return Verdict(False)
    try:
        hasher.verify(stored or _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return Verdict(False)
    if stored is None:
        return Verdict(False)
    return Verdict(True, hasher.hash(password) if hasher.check_needs_rehash(stored) else None)


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random secret (sessions, invitation and reset links)."""
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """SHA-256 of a random secret: what is stored in its place (a 256-bit secret needs no slow hash)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
