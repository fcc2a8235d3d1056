"""The ``waymark`` command line against a real database: apps, validate, push, rollback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from waymark.cli import main

GUIDE = """\
id: hello
name: Hello
steps:
  - type: lightbox
    title: "{title}"
"""


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("WAYMARK_DATABASE_URL", database_url)
    return CliRunner()


def _create_app(cli: CliRunner) -> dict[str, str]:
    result = cli.invoke(main, ["apps", "create", "Shop", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_apps_create_prints_keys_as_json_and_list_shows_it(cli: CliRunner) -> None:
    app = _create_app(cli)
    assert set(app) == {"id", "name", "public_key", "secret_key"}
    assert app["public_key"].startswith("pk_") and app["secret_key"].startswith("sk_")
    listed = json.loads(cli.invoke(main, ["apps", "list", "--json"]).output)
    assert [(a["id"], a["public_key"]) for a in listed] == [(app["id"], app["public_key"])]
    # the secret is stored hashed: only its prefix is ever shown again
    assert app["secret_key"] not in cli.invoke(main, ["apps", "list"]).output


def test_push_and_rollback(cli: CliRunner, tmp_path: Path) -> None:
    app = _create_app(cli)
    path = tmp_path / "hello.yaml"
    path.write_text(GUIDE.format(title="one"))
    first = cli.invoke(main, ["guides", "push", str(path), "--app", app["secret_key"]])
    assert first.exit_code == 0, first.output
    assert "hello: v1" in first.output
    path.write_text(GUIDE.format(title="two"))
    assert "hello: v2" in cli.invoke(main, ["guides", "push", str(path), "--app", app["secret_key"]]).output
    back = cli.invoke(main, ["guides", "rollback", "hello", "--app", app["secret_key"]])
    assert back.exit_code == 0, back.output
    assert "hello: v1 published again" in back.output
    again = cli.invoke(main, ["guides", "rollback", "hello", "--app", app["secret_key"]])
    assert again.exit_code == 1
    assert "no version before v1" in again.output


def test_push_refuses_a_public_or_unknown_key(cli: CliRunner, tmp_path: Path) -> None:
    app = _create_app(cli)
    path = tmp_path / "hello.yaml"
    path.write_text(GUIDE.format(title="x"))
    for key in (app["public_key"], "sk_unknown"):
        result = cli.invoke(main, ["guides", "push", str(path), "--app", key])
        assert result.exit_code == 1
        assert "unknown or revoked secret key" in result.output


def test_push_with_a_bad_file_changes_nothing(cli: CliRunner, tmp_path: Path) -> None:
    app = _create_app(cli)
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GUIDE.format(title="ok"))
    bad.write_text("id: bad\nname: Bad\nsteps:\n  - type: tooltip\n    title: t\n")
    result = cli.invoke(main, ["guides", "push", str(good), str(bad), "--app", app["secret_key"]])
    assert result.exit_code == 1
    assert f"{bad}:4: steps[0].anchor: required for a tooltip step" in result.output
    assert "nothing was changed" in result.output
    listed = json.loads(cli.invoke(main, ["apps", "list", "--json"]).output)
    assert listed[0]["guides_version"] == 0


def test_validate_reports_and_exits_nonzero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: Bad Id\nname: x\nkind: walkthrough\nsteps: []\nsurprise: 1\n")
    result = CliRunner().invoke(main, ["guides", "validate", str(bad)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(bad))]
    assert len(lines) >= 3, result.output  # every problem, not only the first


def test_validate_accepts_the_demo_guides() -> None:
    result = CliRunner().invoke(main, ["guides", "validate", "guides"])
    assert result.exit_code == 0, result.output
    assert "guide(s) valid" in result.output


def test_schema_is_json_schema() -> None:
    result = CliRunner().invoke(main, ["guides", "schema"])
    schema = json.loads(result.output)
    assert "$defs" in schema and "GuideFile" in schema["$defs"]


@pytest.mark.parametrize("command", [["apps", "list"], ["apps", "create", "Shop"], ["retention", "purge"]])
def test_a_database_not_migrated_is_one_line_naming_the_fix(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYMARK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1
    assert result.output == "Error: the database has no Waymark tables: run `waymark db upgrade` first\n"


def test_an_unreachable_database_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAYMARK_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:1/none")
    result = CliRunner().invoke(main, ["apps", "list"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot reach the database") and len(result.output.splitlines()) == 1
