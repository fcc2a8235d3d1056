"""``waymark users`` (the first owner, invitations and reset links) and ``waymark apps``, on the local database
and over HTTP against a real server."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
from click.testing import CliRunner, Result
from litestar.testing import AsyncTestClient

from tests.access.helpers import PASSWORD, post_form, sign_in
from waymark.cli import main
from waymark.testing import running_server

_LINK = re.compile(r"^(http://\S+/admin/(invite|reset)/\S+)$", re.MULTILINE)


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("WAYMARK_DATABASE_URL", database_url)
    monkeypatch.delenv("WAYMARK_SMTP_URL", raising=False)
    return CliRunner()


def _app(cli: CliRunner) -> dict[str, str]:
    created = cli.invoke(main, ["apps", "create", "Shop", "--json"])
    assert created.exit_code == 0, created.output
    return dict(json.loads(created.output))


def _link(output: str) -> str:
    found = _LINK.search(output)
    assert found, output
    return found.group(1)


async def _invoke(cli: CliRunner, args: list[str], input: str | None = None) -> Result:
    """The CLI runs its own event loop: from an async test, it runs in a thread."""
    return await asyncio.to_thread(cli.invoke, main, args, input=input)


async def test_first_owner_then_invite_and_reset_locally(cli: CliRunner, client: AsyncTestClient) -> None:
    app = await asyncio.to_thread(_app, cli)
    created = await _invoke(cli, ["users", "create", "Owner@Example.com", "--app", app["id"], "--password-stdin"],
                         input=PASSWORD + "\n")
    assert created.exit_code == 0, created.output
    assert (await sign_in(client, "owner@example.com")).status_code == 303
    client.cookies.clear()

    again = await _invoke(cli, ["users", "create", "owner@example.com", "--app", app["id"], "--password-stdin"],
                       input=PASSWORD + "\n")
    assert again.exit_code == 1 and "already has an account" in again.output
    short = await _invoke(cli, ["users", "create", "b@example.com", "--app", app["id"], "--password-stdin"],
                       input="short\n")
    assert short.exit_code == 1 and "at least" in short.output

    invited = await _invoke(cli, ["users", "invite", "ta@example.com", "--role", "tenant_admin", "--app", app["id"],
                                "--tenant", "acme", "--base-url", "http://testserver.local"])
    assert invited.exit_code == 0, invited.output
    path = _link(invited.output).removeprefix("http://testserver.local")
    accepted = await post_form(client, path, {"password": PASSWORD, "confirm": PASSWORD}, token_from=path)
    assert accepted.status_code == 303
    listed = await _invoke(cli, ["users", "list", "--app", app["id"]])
    assert "ta@example.com" in listed.output and "tenant_admin of tenant acme" in listed.output
    assert "(invited)" not in listed.output

    reset = await _invoke(cli, ["users", "reset-password", "TA@example.com", "--base-url", "http://testserver.local"])
    assert reset.exit_code == 0, reset.output
    assert "/admin/reset/" in _link(reset.output)
    unknown = await _invoke(cli, ["users", "reset-password", "nobody@example.com"])
    assert unknown.exit_code == 1 and "no person" in unknown.output


def test_a_missing_schema_is_one_line(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAYMARK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    result = CliRunner().invoke(main, ["users", "list"])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "waymark db upgrade" in result.output


def test_invite_reset_and_list_against_a_server(cli: CliRunner, database_url: str) -> None:
    app = _app(cli)
    with running_server(database_url) as base:
        remote = ["--server", base, "--key", app["secret_key"]]
        invited = cli.invoke(main, ["users", "invite", "pat@example.com", "--role", "analyst", *remote])
        assert invited.exit_code == 0, invited.output
        link = _link(invited.output)
        assert link.startswith(base + "/admin/invite/")
        with httpx.Client(base_url=base) as browser:
            form = browser.get(link.removeprefix(base))
            token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
            assert form.status_code == 200 and token
            accepted = browser.post(link.removeprefix(base), data={
                "password": PASSWORD, "confirm": PASSWORD, "_csrf_token": token.group(1)})
            assert accepted.status_code == 303
        listed = cli.invoke(main, ["users", "list", *remote])
        assert listed.exit_code == 0 and "pat@example.com" in listed.output and "analyst" in listed.output
        reset = cli.invoke(main, ["users", "reset-password", "pat@example.com", *remote])
        assert reset.exit_code == 0 and "/admin/reset/" in _link(reset.output)
        wrong_key = cli.invoke(main, ["users", "list", "--server", base, "--key", "sk_not_a_key"])
        assert wrong_key.exit_code == 1 and "403" in wrong_key.output


def test_create_and_list_apps_against_a_server(cli: CliRunner, database_url: str) -> None:
    first = _app(cli)
    owner = cli.invoke(main, ["users", "create", "owner@example.com", "--app", first["id"], "--password-stdin"],
                       input=PASSWORD + "\n")
    assert owner.exit_code == 0, owner.output
    analyst = cli.invoke(main, ["users", "invite", "ann@example.com", "--role", "analyst", "--app", first["id"],
                                "--base-url", "http://h.test"])
    assert analyst.exit_code == 0, analyst.output
    with running_server(database_url) as base:
        remote = ["--server", base, "--key", first["secret_key"]]
        made = cli.invoke(main, ["apps", "create", "Second shop", "--json", *remote])
        assert made.exit_code == 0, made.output
        second = json.loads(made.output)
        assert second["name"] == "Second shop" and second["secret_key"].startswith("sk_")
        assert second["owners"] == ["owner@example.com"]  # the key's app's owners, not its analyst

        listed = cli.invoke(main, ["apps", "list", "--json", "--server", base, "--key", second["secret_key"]])
        assert listed.exit_code == 0, listed.output
        assert [(a["id"], a["public_key"]) for a in json.loads(listed.output)] == [
            (second["id"], second["public_key"])]  # a key sees its own app only
        shown = cli.invoke(main, ["apps", "list", *remote])
        assert shown.exit_code == 0 and first["id"] in shown.output and second["id"] not in shown.output

        people = cli.invoke(main, ["users", "list", "--server", base, "--key", second["secret_key"]])
        assert people.exit_code == 0 and "owner@example.com" in people.output and "ann@" not in people.output

        blank = cli.invoke(main, ["apps", "create", "   ", *remote])
        assert blank.exit_code == 1 and "400" in blank.output and "name" in blank.output
        control = cli.invoke(main, ["apps", "create", "bad\x00name", *remote])
        assert control.exit_code == 1 and "400" in control.output
        keyless = cli.invoke(main, ["apps", "create", "Third", "--server", base], env={"WAYMARK_SECRET_KEY": ""})
        assert keyless.exit_code == 1 and "--key" in keyless.output
        revoked = cli.invoke(main, ["apps", "list", "--server", base, "--key", "sk_not_a_key"])
        assert revoked.exit_code == 1 and "403" in revoked.output
