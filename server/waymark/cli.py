"""The ``waymark`` command line: database, server, apps and guides as code (and the commands packages add)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click
import msgspec

from waymark.cli_runner import run_on_database as _run
from waymark.cli_runner import serve_app as _serve
from waymark.settings import get_settings

if TYPE_CHECKING:
    from waymark.guides.loader import LoadedGuide

__all__ = ["main"]

T = TypeVar("T")


class _Commands(click.Group):
    """The product's commands, and those that installed packages add through the entry point group
    ``waymark.commands`` (the demo's ``waymark demo``), loaded only when named: the product imports none."""

    @staticmethod
    def _added() -> dict[str, EntryPoint]:
        return {ep.name: ep for ep in entry_points(group="waymark.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._added()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            return found
        point = self._added().get(cmd_name)
        if point is None:
            return None
        command = point.load()
        if not isinstance(command, click.Command):
            raise click.ClickException(f"entry point {point.value!r} of command {cmd_name!r} is not a click command")
        return command


@click.group(cls=_Commands)
def main() -> None:
    """Waymark: in-app guides, feedback and product analytics."""


# --- database -------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration, then the back-fills they need (safe to run again; run it before starting workers)."""
    from waymark.upgrade.run import upgrade

    settings = get_settings()
    done = upgrade(settings.database_url, progress=True)
    if done:
        click.echo(f"back-filled: {', '.join(done)}")
    click.echo(f"database at head: {settings.database_url}")


# --- server ---------------------------------------------------------------------------------


@main.command()
@click.option("--host", default=None, help="Interface to bind (default WAYMARK_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default WAYMARK_PORT or 8000).")
@click.option("--workers", type=int, default=None, help="Worker processes (default WAYMARK_WORKERS or 1).")
@click.option("--migrate/--no-migrate", default=True, help="Apply migrations before starting workers.")
def serve(host: str | None, port: int | None, workers: int | None, migrate: bool) -> None:
    """Run the HTTP server."""
    settings = get_settings()
    if migrate:
        from waymark.upgrade.run import upgrade

        upgrade(settings.database_url, progress=True)
    _serve(host or settings.host, port or settings.port, workers or settings.workers)


# --- apps -----------------------------------------------------------------------------------


@main.group()
def apps() -> None:
    """Apps (instrumented products) and their keys."""


_APP_SERVER = click.option("--server", default=None, help="Ask this Waymark over HTTP (default: the local database).")
_APP_KEY = click.option("--key", envvar="WAYMARK_SECRET_KEY", default=None,
                        help="With --server: a secret key (sk_…) of an app; a new app gets that app's owners.")


@apps.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the id and keys as JSON.")
@_APP_SERVER
@_APP_KEY
def apps_create(name: str, as_json: bool, server: str | None, key: str | None) -> None:
    """Create an app; prints its public key and a secret key (shown only this once)."""
    from waymark.apps.services import create_app_with_keys
    from waymark.cli_support import call_remote, with_session

    if server:
        new = call_remote("POST", server, key, "/api/v1/apps", {"name": name})
        owners = ", ".join(new["owners"]) or "none"
        shown = new
    else:
        made = _run(lambda s: with_session(s, lambda session: create_app_with_keys(session, name)))
        owners, shown = "", msgspec.to_builtins(made)
    if as_json:
        click.echo(msgspec.json.encode(shown).decode())
        return
    click.echo(f"app {shown['id']} ({shown['name']})\npublic key: {shown['public_key']}\n"
               f"secret key: {shown['secret_key']}\n(the secret key is not shown again)")
    if owners:
        click.echo(f"owners: {owners}")


@apps.command("list")
@click.option("--json", "as_json", is_flag=True)
@_APP_SERVER
@_APP_KEY
def apps_list(as_json: bool, server: str | None, key: str | None) -> None:
    """List apps with their public keys and secret-key prefixes (with --server: the key's app)."""
    from waymark.apps.services import list_apps
    from waymark.cli_support import call_remote, with_session

    found = call_remote("GET", server, key, "/api/v1/apps") if server else msgspec.to_builtins(
        _run(lambda s: with_session(s, list_apps)))
    if as_json:
        click.echo(msgspec.json.encode(found).decode())
        return
    for a in found:
        click.echo(f"{a['id']}  {a['name']:<24} {a['public_key']}  guides v{a['guides_version']}  "
                   f"secret keys: {', '.join(p + '…' for p in a['secret_key_prefixes'])}")


# --- guides ---------------------------------------------------------------------------------


@main.group()
def guides() -> None:
    """Guides as code: schema, validate, push, rollback, archive."""


@guides.command("schema")
def guides_schema() -> None:
    """Print the JSON Schema of a guide file."""
    from waymark.guides.schemas import guide_json_schema

    click.echo(json.dumps(guide_json_schema(), indent=2))


def _validate_or_exit(paths: tuple[Path, ...]) -> list[LoadedGuide]:
    from waymark.guides.loader import validate_paths

    loaded, errors = validate_paths([str(p) for p in paths])
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        click.echo(f"{len(errors)} problem(s) found; nothing was changed.", err=True)
        sys.exit(1)
    return list(loaded)


@guides.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def guides_validate(paths: tuple[Path, ...]) -> None:
    """Check guide files; prints every problem as file:line: field: message."""
    loaded = _validate_or_exit(paths)
    click.echo(f"{len(loaded)} guide(s) valid")


@guides.command("push")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--app", "key", required=True, envvar="WAYMARK_SECRET_KEY", help="The app's secret key (sk_…).")
@click.option("--server", default=None, help="Push over HTTP to this Waymark (default: the local database).")
@click.option("--prune", is_flag=True,
              help="Also archive the published guides these files do not hold (policies excepted: archive them by id).")
def guides_push(paths: tuple[Path, ...], key: str, server: str | None, prune: bool) -> None:
    """Publish guide files atomically: every file becomes a new version, or nothing changes."""
    from waymark.cli_support import push_files

    loaded = _validate_or_exit(paths)
    try:
        results = push_files(loaded, key, server, prune)
    except click.ClickException:
        raise
    for line in results:
        click.echo(line)


@guides.command("rollback")
@click.argument("guide_id")
@click.option("--app", "key", required=True, envvar="WAYMARK_SECRET_KEY", help="The app's secret key (sk_…).")
@click.option("--server", default=None, help="Roll back over HTTP on this Waymark.")
def guides_rollback(guide_id: str, key: str, server: str | None) -> None:
    """Publish the previous version of a guide again."""
    from waymark.cli_support import rollback_guide

    click.echo(rollback_guide(guide_id, key, server))


@guides.command("archive")
@click.argument("guide_id")
@click.option("--app", "key", required=True, envvar="WAYMARK_SECRET_KEY", help="The app's secret key (sk_…).")
@click.option("--server", default=None, help="Archive over HTTP on this Waymark.")
def guides_archive(guide_id: str, key: str, server: str | None) -> None:
    """Stop showing a guide (or a policy); its versions are kept, and pushing its file publishes it again."""
    from waymark.cli_support import archive_guide

    click.echo(archive_guide(guide_id, key, server))


@guides.command("explain")
@click.argument("guide_id")
@click.option("--app", "key", required=True, envvar="WAYMARK_SECRET_KEY", help="The app's secret key (sk_…).")
@click.option("--visitor", required=True, help="The visitor's id.")
@click.option("--url", required=True, help="The page's full URL.")
@click.option("--tenant", default=None, help="The tenant's id.")
@click.option("--locale", default=None, help="The visitor's locale (default: the stored one).")
@click.option("--server", default=None, help="Ask this Waymark over HTTP (default: the local database).")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
def guides_explain(guide_id: str, key: str, visitor: str, url: str, tenant: str | None, locale: str | None,
                   server: str | None, as_json: bool) -> None:
    """Why a guide is (not) shown to a visitor on a page: delivery's checks in order, with reason codes."""
    from waymark.cli_explain import explain_lines, fetch_explanation

    found = fetch_explanation(key, guide_id, visitor, tenant, url, locale, server)
    if as_json:
        click.echo(msgspec.json.encode(found).decode())
        return
    for line in explain_lines(found):
        click.echo(line)


# --- retention ------------------------------------------------------------------------------


@main.group()
def retention() -> None:
    """Event retention: events older than an app's retention period are purged."""


@retention.command("purge")
@click.option("--dry-run", is_flag=True, help="Count the expired events; delete nothing.")
@click.option("--server", default=None, help="Purge the key's app on this Waymark over HTTP (default: every app "
                                              "in the local database).")
@click.option("--key", default=None, envvar="WAYMARK_SECRET_KEY", help="With --server: the app's secret key (sk_…).")
def retention_purge(dry_run: bool, server: str | None, key: str | None) -> None:
    """Delete events older than each app's retention period now (the server also does it periodically)."""
    from waymark.db.models import utcnow
    from waymark.privacy.retention import run_purge

    verb = "would delete" if dry_run else "deleted"
    if server:
        from waymark.cli_support import purge_remote

        if not key:
            raise click.ClickException("--server needs --key sk_… (or WAYMARK_SECRET_KEY)")
        answer = purge_remote(server, key, dry_run)
        if answer["retention_days"] is None:
            click.echo("this app keeps events forever (no retention period); nothing to purge")
            return
        click.echo(f"{verb} {answer['deleted']} event(s) older than {answer['retention_days']} day(s) "
                   f"(before {answer['cutoff']})")
        return
    lines = _run(lambda s: run_purge(s.database_url, utcnow(), dry_run=dry_run))
    if not lines:
        click.echo("no app has a retention period; nothing to purge")
        return
    for line in lines:
        p = line.policy
        click.echo(f"{p.app_id} ({p.name}): {verb} {line.deleted} event(s) older than {p.days} day(s) "
                   f"(before {line.cutoff.isoformat(timespec='seconds')})")
    click.echo(f"{verb} {sum(line.deleted for line in lines)} event(s) in total")


# --- pages and features ---------------------------------------------------------------------


@main.group()
def definitions() -> None:
    """Pages and features as code: validate and push definition files (see guides/analytics/)."""


def _definitions_or_exit(loaded: T, errors: Sequence[object]) -> T:
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        click.echo(f"{len(errors)} problem(s) found; nothing was changed.", err=True)
        sys.exit(1)
    return loaded


@definitions.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def definitions_validate(paths: tuple[Path, ...]) -> None:
    """Check definition files; prints every problem as file:line: field: message."""
    from waymark.analytics.definitions import validate_definition_paths

    files = _definitions_or_exit(*validate_definition_paths(list(paths)))
    click.echo(f"{len(files.pages)} page(s) and {len(files.features)} feature(s) valid")


@definitions.command("push")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--app", "key", required=True, envvar="WAYMARK_SECRET_KEY", help="The app's secret key (sk_…).")
@click.option("--server", default=None, help="Push over HTTP to this Waymark (default: the local database).")
@click.option("--prune", is_flag=True, help="Also delete the pages (features) that the files do not list.")
def definitions_push(paths: tuple[Path, ...], key: str, server: str | None, prune: bool) -> None:
    """Create or replace pages and features; a new or changed rule is counted over every stored event."""
    from waymark.analytics.definitions import validate_definition_paths
    from waymark.analytics.push import PushError, push_definitions, push_definitions_remote
    from waymark.cli_support import on_app_database

    files = _definitions_or_exit(*validate_definition_paths(list(paths)))
    try:
        if server:
            lines = push_definitions_remote(server, key, files, prune)
        else:
            lines = on_app_database(key, lambda session, app_id: push_definitions(session, app_id, files, prune))
    except PushError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in lines:
        click.echo(line)


# --- policies -------------------------------------------------------------------------------


@main.group()
def policies() -> None:
    """Policies and their evidence."""


@policies.command("verify")
@click.option("--app", "key", required=True, envvar="WAYMARK_SECRET_KEY", help="The app's secret key (sk_…).")
@click.option("--server", default=None, help="Ask this Waymark over HTTP (default: the local database).")
def policies_verify(key: str, server: str | None) -> None:
    """Check the app's evidence chain: exit 0 when intact, 1 naming the first broken record."""
    from waymark.cli_policies import verify_command

    sys.exit(verify_command(key, server))


# --- people ---------------------------------------------------------------------------------

from waymark.cli_users import users  # noqa: E402  (a module of its own; registered here)

main.add_command(users)


if __name__ == "__main__":
    main()
