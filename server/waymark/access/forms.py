"""The admin's form bodies and how a form's values are read safely; no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar.enums import RequestEncodingType
from litestar.params import Body

from waymark.wire import CONTROL_CHARACTER

__all__ = ["FormBody", "LoginForm", "PasswordForm", "clean", "safe_next"]

_MAX_FIELD = 4096


def clean(value: Any, limit: int = 320) -> str:
    """A one-line form value: control characters removed, cut to ``limit`` (for logs, audit and lookups)."""
    return CONTROL_CHARACTER.sub("", str(value or ""))[:limit].strip()


def safe_next(value: str | None) -> str:
    """Where to go after signing in: only a path inside the admin, never another site (``//evil``, ``/\\evil``)."""
    if not value or not value.startswith("/admin") or "//" in value or "\\" in value or CONTROL_CHARACTER.search(value):
        return "/admin/"
    return value[:_MAX_FIELD]


@dataclass
class LoginForm:
    email: str = ""
    password: str = ""
    next: str = ""


@dataclass
class CodeForm:
    code: str = ""


@dataclass
class PasswordForm:
    password: str = ""
    confirm: str = ""


FormBody = Body(media_type=RequestEncodingType.URL_ENCODED)
LoginBody = Annotated[LoginForm, FormBody]
CodeBody = Annotated[CodeForm, FormBody]
PasswordBody = Annotated[PasswordForm, FormBody]
