"""People and their standing in the database: users, grants, invitation and reset links, sign-in checks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.access.models import OneTimeToken, User, UserGrant
from waymark.access.passwords import check_password, digest, hash_password, new_token, normal_email, password_problem
from waymark.access.principal import Grant, Role
from waymark.clock import as_utc
from waymark.db.models import App
from waymark.wire import CONTROL_CHARACTER

__all__ = [
    "AccessError",
    "Person",
    "authenticate",
    "copy_owners",
    "create_user",
    "email_problem",
    "find_user",
    "grant_from",
    "grants_of",
    "invite",
    "issue_link",
    "owners_left",
    "peek_link",
    "people_of_app",
    "redeem_link",
    "remove_grant",
    "reset_link_for",
    "set_grant",
    "set_password",
    "totp_required_by",
]

INVITE_TTL = timedelta(days=7)
RESET_TTL = timedelta(hours=24)
_TTL = {"invite": INVITE_TTL, "reset": RESET_TTL}


class AccessError(ValueError):
    """A people operation that cannot be done as asked; the message says why, for a person to read."""


@dataclass(frozen=True, slots=True)
class Person:
    """One person's standing in an app, as the people page and ``waymark users list`` show it."""

    user_id: int
    email: str
    role: Role
    tenant_id: str | None
    has_password: bool
    totp_enabled: bool


def email_problem(email: str) -> str | None:
    if not 3 <= len(email) <= 320 or "@" not in email[1:-1]:
        return "Give an email address like name@example.com."
    if any(ord(c) < 33 or ord(c) == 127 for c in email):
        return "An email address has no spaces or control characters."
    return None


def grant_from(app_id: str, role: str, tenant: str) -> Grant:
    """The grant a form (or the CLI) asks for; AccessError when the role is unknown or the tenant does not fit."""
    try:
        parsed = Role(_one_line(role, 32))
    except ValueError:
        raise AccessError(f"unknown role {_one_line(role, 32)!r}: one of {', '.join(r.value for r in Role)}") from None
    tenant = _one_line(tenant, 200)
    if (parsed is Role.TENANT_ADMIN) != bool(tenant):
        raise AccessError("A tenant admin needs a tenant id, and only a tenant admin has one.")
    return Grant(app_id, parsed, tenant or None)


def _one_line(value: str, limit: int) -> str:
    return CONTROL_CHARACTER.sub("", value)[:limit].strip()


def _check_grant(grant: Grant) -> None:
    if (grant.role is Role.TENANT_ADMIN) != (grant.tenant_id is not None):
        raise AccessError("a tenant admin needs a tenant (--tenant), and only a tenant admin has one")


async def find_user(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == normal_email(email)))


async def _require_app(session: AsyncSession, app_id: str) -> None:
    if await session.get(App, app_id) is None:
        raise AccessError(f"no app with id {app_id!r}")


async def create_user(session: AsyncSession, email: str, password: str | None, grants: list[Grant]) -> int:
    """Add a person (``password`` None: they set it through an invitation link) with their grants; commits."""
    email = normal_email(email)
    problem = email_problem(email) or (password_problem(password) if password is not None else None)
    if problem:
        raise AccessError(problem)
    if await find_user(session, email) is not None:
        raise AccessError(f"{email} already has an account")
    for grant in grants:
        _check_grant(grant)
        await _require_app(session, grant.app_id)
    hashed = await asyncio.to_thread(hash_password, password) if password is not None else None
    user = User(email=email, password_hash=hashed)
    session.add(user)
    await session.flush()
    session.add_all(UserGrant(user_id=user.id, app_id=g.app_id, role=g.role.value, tenant_id=g.tenant_id)
                    for g in grants)
    await session.commit()
    return user.id


async def grants_of(session: AsyncSession, user_id: int) -> tuple[Grant, ...]:
    rows = (await session.scalars(select(UserGrant).where(UserGrant.user_id == user_id)
                                  .order_by(UserGrant.app_id))).all()
    return tuple(Grant(r.app_id, Role(r.role), r.tenant_id) for r in rows)


async def totp_required_by(session: AsyncSession, grants: tuple[Grant, ...]) -> bool:
    """Whether any of these apps requires a second factor of everyone."""
    if not grants:
        return False
    ids = [g.app_id for g in grants]
    return bool(await session.scalar(select(App.id).where(App.id.in_(ids), App.require_totp.is_(True)).limit(1)))


async def set_grant(session: AsyncSession, user_id: int, grant: Grant) -> None:
    """Give (or change) a person's role in an app; commits."""
    _check_grant(grant)
    await _require_app(session, grant.app_id)
    await session.execute(delete(UserGrant).where(UserGrant.user_id == user_id, UserGrant.app_id == grant.app_id))
    session.add(UserGrant(user_id=user_id, app_id=grant.app_id, role=grant.role.value, tenant_id=grant.tenant_id))
    await session.commit()


async def remove_grant(session: AsyncSession, user_id: int, app_id: str) -> bool:
    """Take a person's role in an app away; commits. False when they had none."""
    result = await session.execute(
        delete(UserGrant).where(UserGrant.user_id == user_id, UserGrant.app_id == app_id))
    await session.commit()
    return bool(getattr(result, "rowcount", 0))


async def people_of_app(session: AsyncSession, app_id: str) -> list[Person]:
    rows = (await session.execute(
        select(User, UserGrant).join(UserGrant, UserGrant.user_id == User.id)
        .where(UserGrant.app_id == app_id, User.disabled_at.is_(None)).order_by(User.email))).all()
    return [Person(u.id, u.email, Role(g.role), g.tenant_id, u.password_hash is not None, u.totp_enabled)
            for u, g in rows]


async def copy_owners(session: AsyncSession, source_app: str, new_app: str) -> list[str]:
    """Make the owners of ``source_app`` owners of ``new_app`` too; commits; returns their emails."""
    owners = (await session.execute(
        select(User.id, User.email).join(UserGrant, UserGrant.user_id == User.id)
        .where(UserGrant.app_id == source_app, UserGrant.role == Role.OWNER.value, User.disabled_at.is_(None))
        .order_by(User.email))).all()
    session.add_all(UserGrant(user_id=user_id, app_id=new_app, role=Role.OWNER.value) for user_id, _ in owners)
    await session.commit()
    return [email for _, email in owners]


async def owners_left(session: AsyncSession, app_id: str, without: int) -> int:
    """How many owners the app keeps if person ``without`` stops being one."""
    rows = await session.scalars(select(UserGrant.user_id).where(
        UserGrant.app_id == app_id, UserGrant.role == Role.OWNER.value, UserGrant.user_id != without))
    return len(rows.all())


async def authenticate(session: AsyncSession, email: str, password: str) -> User | None:
    """The person whose email and password these are, or None; the hash is upgraded when its parameters are old."""
    user = await find_user(session, email) if not email_problem(normal_email(email)) else None
    # argon2 takes tens of milliseconds of CPU on purpose: in a thread, so the event loop keeps serving.
    stored = user.password_hash if user and user.disabled_at is None else None
    verdict = await asyncio.to_thread(check_password, stored, password)
    if not verdict.ok or user is None:
        return None
    if verdict.rehashed:
        user.password_hash = verdict.rehashed
        await session.commit()
    return user


async def set_password(session: AsyncSession, user: User, password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise AccessError(problem)
    user.password_hash = await asyncio.to_thread(hash_password, password)
    await session.commit()


async def issue_link(session: AsyncSession, user_id: int, purpose: str, now: datetime) -> str:
    """A one-time token for an invitation or a password reset (earlier unused ones of that kind stop working)."""
    await session.execute(update(OneTimeToken).where(
        OneTimeToken.user_id == user_id, OneTimeToken.purpose == purpose, OneTimeToken.used_at.is_(None),
    ).values(used_at=now))
    token = new_token()
    session.add(OneTimeToken(token_hash=digest(token), user_id=user_id, purpose=purpose, created_at=now,
                             expires_at=now + _TTL[purpose]))
    await session.commit()
    return token


async def peek_link(session: AsyncSession, token: str, purpose: str, now: datetime) -> User | None:
    """The person an unused, unexpired link is for (nothing is changed)."""
    if not 10 <= len(token) <= 100:
        return None
    row = await session.get(OneTimeToken, digest(token))
    if row is None or row.purpose != purpose or row.used_at is not None or as_utc(row.expires_at) <= now:
        return None
    user = await session.get(User, row.user_id)
    return user if user is not None and user.disabled_at is None else None


async def redeem_link(session: AsyncSession, token: str, purpose: str, password: str, now: datetime) -> User:
    """Set the password through a link and spend it (once: a second use finds it used); commits."""
    problem = password_problem(password)
    if problem:
        raise AccessError(problem)
    user = await peek_link(session, token, purpose, now)
    if user is None:
        raise AccessError("This link has expired or was already used. Ask an owner for a new one.")
    spent = await session.execute(update(OneTimeToken).where(
        OneTimeToken.token_hash == digest(token), OneTimeToken.used_at.is_(None)).values(used_at=now))
    if not getattr(spent, "rowcount", 0):
        raise AccessError("This link has expired or was already used. Ask an owner for a new one.")
    await set_password(session, user, password)
    return user


async def invite(session: AsyncSession, email: str, grant: Grant, now: datetime) -> str | None:
    """Give ``email`` the grant and return an invitation link token, creating the account without a password.

    A person who already has a password gets the grant and no link: a link sets a password, and
    the one inviting must not be able to take over an account that other apps trust.
    """
    user = await find_user(session, email)
    if user is None:
        user_id = await create_user(session, email, None, [grant])
    else:
        user_id = user.id
        await set_grant(session, user_id, grant)
        if user.password_hash is not None:
            return None
    return await issue_link(session, user_id, "invite", now)


async def reset_link_for(session: AsyncSession, email: str, owned_apps: frozenset[str] | None, now: datetime) -> str:
    """A password-reset token for ``email``.

    ``owned_apps``: the apps whose owner asks (``None``: the server's operator, through the local CLI).
    An owner may reset only a person whose every role is in apps they own, so that no owner can
    take over an account another app trusts.
    """
    user = await find_user(session, email)
    if user is None or user.disabled_at is not None:
        raise AccessError(f"no person with the email {normal_email(email)}")
    if owned_apps is not None:
        apps = {g.app_id for g in await grants_of(session, user.id)}
        if not apps or not apps <= owned_apps:
            raise AccessError("this person has a role in an app you do not own: "
                              "an owner of every one of their apps, or the server's operator, can reset it")
    return await issue_link(session, user.id, "reset", now)
