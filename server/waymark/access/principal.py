"""The principal (who asks) and what each role may do; resolved once per request by :mod:`waymark.access.deps`.

A principal is an app key or a signed-in person. A person holds one grant per app: a role and, for a
tenant admin, the one tenant they may read. Every read and write is then made under a
:class:`~waymark.db.scope.Scope` derived from a grant, which can only narrow, never widen.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from waymark.db.scope import Scope

__all__ = ["Action", "Grant", "Principal", "Role"]


class Role(StrEnum):
    OWNER = "owner"
    """Everything, including people, keys and settings."""
    AUTHOR = "author"
    """Guides, surveys and policies, and reading every report."""
    ANALYST = "analyst"
    """Reads every report of the app."""
    TENANT_ADMIN = "tenant_admin"
    """Reads one tenant of one app: adoption, NPS, policy acceptance, benchmark position, evidence export."""


class Action(StrEnum):
    READ_TENANT = "read_tenant"
    """Read one tenant's pages (every role; a tenant admin only their own tenant)."""
    READ_APP = "read_app"
    """Read app-wide reports and any tenant (owner, author, analyst)."""
    AUTHOR = "author"
    """Archive, roll back and publish guides, surveys and policies (owner, author)."""
    MANAGE = "manage"
    """People, keys, settings, privacy actions, the audit log (owner)."""


_ALLOWED: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.AUTHOR: frozenset({Action.READ_TENANT, Action.READ_APP, Action.AUTHOR}),
    Role.ANALYST: frozenset({Action.READ_TENANT, Action.READ_APP}),
    Role.TENANT_ADMIN: frozenset({Action.READ_TENANT}),
}


@dataclass(frozen=True, slots=True)
class Grant:
    """A principal's standing in one app."""

    app_id: str
    role: Role
    tenant_id: str | None = None
    """Set for (and only for) a tenant admin: the one tenant they may read."""

    def allows(self, action: Action) -> bool:
        return action in _ALLOWED[self.role]

    def scope(self, tenant_id: str | None = None) -> Scope | None:
        """The scope for a request about ``tenant_id`` (None: the whole app), or None when not allowed.

        A tenant admin gets a scope only for their own tenant; asking for the whole app, or another
        tenant, gives None, which routes answer as 404 (nothing reveals that the other exists).
        """
        if self.role is Role.TENANT_ADMIN:
            return Scope(self.app_id, self.tenant_id) if tenant_id is not None and tenant_id == self.tenant_id else None
        return Scope(self.app_id, tenant_id)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking, resolved once per request."""

    kind: Literal["public_key", "secret_key", "person"]
    grants: tuple[Grant, ...]
    """A key has one grant (its app; a secret key acts as the app's owner); a person one per app."""
    user_id: int | None = None
    email: str | None = None
    session_id: str | None = None
    """The server-side session, for a person signed in through the admin."""
    totp_setup_required: bool = False
    """An app of this person requires a second factor they have not set up: /admin/account comes first."""

    def grant(self, app_id: str) -> Grant | None:
        for grant in self.grants:
            if grant.app_id == app_id:
                return grant
        return None

    def allows(self, action: Action, app_id: str) -> bool:
        grant = self.grant(app_id)
        return grant is not None and grant.allows(action)
