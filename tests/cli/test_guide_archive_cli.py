"""``waymark guides push --prune`` and ``waymark guides archive`` against a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from waymark.cli import main

GUIDE = "id: {id}\nname: {id}\nsteps:\n  - type: lightbox\n    title: Hi\n"


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("WAYMARK_DATABASE_URL", database_url)
    return CliRunner()


def test_prune_then_archive(cli: CliRunner, tmp_path: Path) -> None:
    app = json.loads(cli.invoke(main, ["apps", "create", "Shop", "--json"]).output)
    key = ["--app", app["secret_key"]]
    for name in ("one", "two", "three"):
        (tmp_path / f"{name}.yaml").write_text(GUIDE.format(id=name))
    assert cli.invoke(main, ["guides", "push", str(tmp_path), *key]).exit_code == 0
    (tmp_path / "two.yaml").unlink()
    kept = cli.invoke(main, ["guides", "push", str(tmp_path), *key])
    assert "archived" not in kept.output
    pruned = cli.invoke(main, ["guides", "push", str(tmp_path), "--prune", *key])
    assert pruned.exit_code == 0, pruned.output
    assert "two: archived (was v1)" in pruned.output
    archived = cli.invoke(main, ["guides", "archive", "three", *key])
    assert (archived.exit_code, archived.output.strip()) == (0, "three: archived (was v1)")
    assert cli.invoke(main, ["guides", "archive", "three", *key]).output.strip() == "three: already archived"
    missing = cli.invoke(main, ["guides", "archive", "nope", *key])
    assert missing.exit_code == 1 and "no guide 'nope'" in missing.output
