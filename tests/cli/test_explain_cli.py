"""``waymark guides explain`` against a real database: the ordered checks and the reason, as lines and as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from waymark.cli import main

GUIDE = """\
id: hello
name: Hello
targeting: {pages: ["/app/home"]}
steps:
  - type: lightbox
    title: Hello
"""


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("WAYMARK_DATABASE_URL", database_url)
    return CliRunner()


def test_explain_prints_each_check_and_the_reason(cli: CliRunner, tmp_path: Path) -> None:
    app = json.loads(cli.invoke(main, ["apps", "create", "Shop", "--json"]).output)
    (tmp_path / "hello.yaml").write_text(GUIDE)
    pushed = cli.invoke(main, ["guides", "push", str(tmp_path), "--app", app["secret_key"]])
    assert pushed.exit_code == 0, pushed.output
    base = ["guides", "explain", "hello", "--app", app["secret_key"], "--visitor", "v1"]
    starts = cli.invoke(main, [*base, "--url", "https://h.example/app/home"])
    assert starts.exit_code == 0, starts.output
    assert starts.output.splitlines()[0] == "hello for visitor v1 on https://h.example/app/home: starts by itself"
    assert "  pass throttle" in starts.output.splitlines()
    elsewhere = cli.invoke(main, [*base, "--url", "https://h.example/app/other", "--json"])
    found = json.loads(elsewhere.output)
    assert (found["starts"], found["reason"]) == (False, "page_mismatch")
    assert [c["status"] for c in found["checks"][:3]] == ["pass", "fail", "skipped"]
    unknown = cli.invoke(main, ["guides", "explain", "nope", "--app", app["secret_key"], "--visitor", "v",
                                "--url", "https://h/"])
    assert unknown.exit_code == 1 and "no guide 'nope'" in unknown.output
