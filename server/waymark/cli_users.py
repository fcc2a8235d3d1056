"""``waymark users``: the first owner, invitations, reset links and the list of people, locally or over HTTP."""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import click

from waymark.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["users"]

T = TypeVar("T")
_ROLES = click.Choice(["owner", "author", "analyst", "tenant_admin"])
_SERVER = click.option("--server", default=None, help="Ask this Waymark over HTTP (default: the local database).")
_KEY = click.option("--key", envvar="WAYMARK_SECRET_KEY", default=None,
                    help="With --server: a secret key (sk_…) of the app; its app is the one acted on.")
_BASE_URL = click.option("--base-url", default=None,
                         help="Where people reach Waymark, for the link (default WAYMARK_PUBLIC_URL, or the server).")


def _local(work: Callable[[AsyncSession, Settings], Coroutine[Any, Any, T]]) -> T:
    """Run ``work`` on the local database (a missing schema is one line naming the command to run)."""
    from waymark.access.services import AccessError
    from waymark.cli_runner import run_on_database as _run
    from waymark.db.engine import create_engine, make_sessionmaker

    async def run(settings: Settings) -> T:
        engine = create_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return await work(session, settings)
        finally:
            await engine.dispose()

    try:
        return _run(run)
    except AccessError as exc:
        raise click.ClickException(str(exc)) from exc


def _remote(method: str, server: str, key: str | None, path: str, body: dict[str, Any] | None = None) -> Any:
    from waymark.cli_support import call_remote

    return call_remote(method, server, key, path, body)


def _say_link(email: str, link: str | None, mailed: bool, what: str) -> None:
    if mailed:
        click.echo(f"{what} link mailed to {email}")
    elif link:
        click.echo(f"one-time {what} link for {email} (works once; not shown again):\n{link}")


@click.group()
def users() -> None:
    """People who sign in to the admin: the first owner, invitations, password resets."""


@users.command("create")
@click.argument("email")
@click.option("--role", type=_ROLES, default="owner", show_default=True)
@click.option("--app", "app_id", required=True, help="The app's id (see `waymark apps list`).")
@click.option("--tenant", default=None, help="The tenant of a tenant admin.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def users_create(email: str, role: str, app_id: str, tenant: str | None, password_stdin: bool) -> None:
    """Create a person with a password (the first owner of an app) on the local database."""
    from waymark.access.principal import Grant, Role
    from waymark.access.services import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    grant = Grant(app_id, Role(role), tenant)

    async def work(session: AsyncSession, _: Settings) -> int:
        return await create_user(session, email, password, [grant])

    user_id = _local(work)
    click.echo(f"{email.strip().lower()} (user {user_id}) is {role} of app {app_id}; sign in at "
               f"{get_settings().public_url.rstrip('/')}/admin/login")


@users.command("invite")
@click.argument("email")
@click.option("--role", type=_ROLES, required=True)
@click.option("--app", "app_id", default=None, help="The app's id (local database; with --server, the key's app).")
@click.option("--tenant", default=None, help="The tenant of a tenant admin.")
@_BASE_URL
@_SERVER
@_KEY
def users_invite(email: str, role: str, app_id: str | None, tenant: str | None, base_url: str | None,
                 server: str | None, key: str | None) -> None:
    """Give a person a role; prints a one-time invitation link (mailed instead when SMTP is configured)."""
    if server:
        body: dict[str, Any] = {"email": email, "role": role, "tenant": tenant}
        if base_url:
            body["base_url"] = base_url
        answer = _remote("POST", server, key, "/api/v1/people/invitations", body)
        if answer.get("existing"):
            click.echo(f"{answer['email']} already has an account: they now have the role {role}")
        _say_link(answer["email"], answer.get("link"), answer.get("mailed", False), "invitation")
        return
    if not app_id:
        raise click.ClickException("--app ID is needed on the local database (or use --server and --key)")
    from sqlalchemy import select

    from waymark.access.mail import hand_out
    from waymark.access.services import grant_from, invite
    from waymark.clock import utcnow
    from waymark.db.models import App

    async def work(session: AsyncSession, settings: Settings) -> tuple[str | None, bool]:
        token = await invite(session, email, grant_from(app_id, role, tenant or ""), utcnow())
        if token is None:
            return None, False
        name = await session.scalar(select(App.name).where(App.id == app_id))
        link = await hand_out(settings.smtp_url, base_url or settings.public_url, "invite", email, token, name)
        return link, link is None

    link, mailed = _local(work)
    if link is None and not mailed:
        click.echo(f"{email.strip().lower()} already has an account: they now have the role {role}")
    _say_link(email.strip().lower(), link, mailed, "invitation")


@users.command("reset-password")
@click.argument("email")
@_BASE_URL
@_SERVER
@_KEY
def users_reset(email: str, base_url: str | None, server: str | None, key: str | None) -> None:
    """Print a one-time password-reset link (mailed instead when SMTP is configured)."""
    if server:
        body = {"base_url": base_url} if base_url else {}
        answer = _remote("POST", server, key, f"/api/v1/people/{email.strip().lower()}/reset", body)
        _say_link(answer["email"], answer.get("link"), answer.get("mailed", False), "password reset")
        return
    from waymark.access.mail import hand_out
    from waymark.access.services import reset_link_for
    from waymark.clock import utcnow

    async def work(session: AsyncSession, settings: Settings) -> str | None:
        token = await reset_link_for(session, email, None, utcnow())
        return await hand_out(settings.smtp_url, base_url or settings.public_url, "reset", email, token)

    link = _local(work)
    _say_link(email.strip().lower(), link, link is None, "password reset")


@users.command("list")
@click.option("--app", "app_id", default=None, help="Only this app's people (local database).")
@_SERVER
@_KEY
def users_list(app_id: str | None, server: str | None, key: str | None) -> None:
    """Everyone with a role: email, role (and tenant), app, whether they have set a password."""
    if server:
        for p in _remote("GET", server, key, "/api/v1/people"):
            tenant = f" of tenant {p['tenant']}" if p.get("tenant") else ""
            click.echo(f"{p['email']:<32} {p['role']}{tenant}{'' if p['has_password'] else '  (invited)'}")
        return
    from sqlalchemy import select

    from waymark.access.models import User, UserGrant

    async def work(session: AsyncSession, _: Settings) -> list[tuple[User, UserGrant]]:
        query = select(User, UserGrant).join(UserGrant, UserGrant.user_id == User.id)
        if app_id:
            query = query.where(UserGrant.app_id == app_id)
        return [(u, g) for u, g in (await session.execute(query.order_by(User.email, UserGrant.app_id))).all()]

    rows = _local(work)
    if not rows:
        click.echo("nobody yet: create the first owner with `waymark users create EMAIL --app ID`")
    for user, grant in rows:
        tenant = f" of tenant {grant.tenant_id}" if grant.tenant_id else ""
        state = "" if user.password_hash else "  (invited)"
        click.echo(f"{user.email:<32} {grant.role}{tenant} in app {grant.app_id}{state}")
