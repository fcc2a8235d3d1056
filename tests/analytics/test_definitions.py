"""Page and feature files: validation with file:line: field errors, and the command line that pushes them."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.analytics.helpers import usage_rows
from waymark.analytics.definitions import validate_definition_paths, validate_definition_sources
from waymark.analytics.rollups import rebuild_all
from waymark.cli import main
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.settings import Settings
from waymark_demo.seed import DEMO_APP_ID

REPO = Path(__file__).resolve().parents[2]


def _errors(text: str, name: str = "defs.yaml") -> list[str]:
    _, errors = validate_definition_sources([(name, textwrap.dedent(text).lstrip())])
    return [str(e) for e in errors]


def test_the_demo_definitions_are_valid() -> None:
    files, errors = validate_definition_paths([REPO / "guides" / "analytics"])
    assert errors == []
    assert [p[0] for p in files.pages] == ["invoices-list", "invoice-detail", "settings"]
    assert [f[0] for f in files.features] == ["new-invoice", "export-csv", "send-invoice", "save-settings", "help"]


def test_every_problem_is_reported_with_file_line_and_field() -> None:
    assert _errors("""
        pages:
          - id: ok
            name: OK
            rule: /ok
          - id: Bad Id
            name: Bad
            rule: /bad
          - id: relative
            name: Relative
            rule: demo/invoices
          - id: no-name
            rule: /x
        features:
          - id: hover
            name: Hover
            selector: "a:hover"
          - id: on-page
            name: On a page
            selector: "#x"
            page: {path: /x, colour: red}
          - id: extra
            name: Extra
            selector: "#y"
            colour: blue
    """) == [
        "defs.yaml:5: pages[1].id: Expected `str` matching regex '^[a-z0-9][a-z0-9-]{0,63}$'",
        "defs.yaml:10: pages[2].rule: a path glob starts with '/' or '*' (got 'demo/invoices')",
        "defs.yaml:11: pages[3].name: Object missing required field `name`",
        "defs.yaml:16: features[0].selector: pseudo-classes and pseudo-elements (':hover', '::before', "
        "':nth-child') are not supported: a click is matched against a stored description of the element "
        "(at character 2 of 'a:hover')",
        "defs.yaml:20: features[1].page.colour: Object contains unknown field `colour`",
        "defs.yaml:24: features[2].colour: Object contains unknown field `colour`",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("- a\n- b\n", "defs.yaml:1: a definitions file is a mapping with `pages` and/or `features` lists"),
    ("guides: []\n", "defs.yaml:1: guides: Object contains unknown field `guides`"),
    ("pages: {a: 1}\n", "defs.yaml:1: pages: Expected `array | null`, got `object`"),
    ("pages:\n  - id: a\n    id: b\n", "defs.yaml:3: pages[0].id: duplicate key"),
    ("pages: [\n", "defs.yaml:2: invalid YAML"),
])
def test_malformed_files(text: str, expected: str) -> None:
    assert any(e.startswith(expected) for e in _errors(text)), _errors(text)


def test_ids_are_unique_per_kind_across_files() -> None:
    page = "pages:\n  - {id: same, name: S, rule: /s}\n"
    feature = "features:\n  - {id: same, name: S, selector: '#s'}\n"
    files, errors = validate_definition_sources([("a.yaml", page), ("b.yaml", page + feature)])
    assert [str(e) for e in errors] == ["b.yaml:2: id: duplicate page id 'same' (also in a.yaml)"]
    assert [p[0] for p in files.pages] == ["same"] and [f[0] for f in files.features] == ["same"]


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("WAYMARK_DATABASE_URL", database_url)
    return CliRunner()


def test_push_creates_changes_and_prunes(cli: CliRunner, tmp_path: Path) -> None:
    app = json.loads(cli.invoke(main, ["apps", "create", "Shop", "--json"]).output)
    folder = tmp_path / "analytics"
    folder.mkdir()
    (folder / "pages.yaml").write_text("pages:\n  - {id: home, name: Home, rule: /}\n"
                                       "  - {id: old, name: Old, rule: /old}\n")
    (folder / "features.yaml").write_text("features:\n  - {id: save, name: Save, selector: '#save'}\n")
    first = cli.invoke(main, ["definitions", "push", str(folder), "--app", app["secret_key"]])
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        "page home: created, 0 views counted from stored events",
        "page old: created, 0 views counted from stored events",
        "feature save: created, 0 clicks counted from stored events",
    ]
    (folder / "pages.yaml").write_text("pages:\n  - {id: home, name: Start, rule: /}\n")
    (folder / "features.yaml").write_text("features:\n  - {id: save, name: Save, selector: 'button#save'}\n")
    second = cli.invoke(main, ["definitions", "push", str(folder), "--app", app["secret_key"], "--prune"])
    assert second.exit_code == 0, second.output
    assert second.output.splitlines() == [
        "page home: rule unchanged",
        "feature save: rule changed, 0 clicks recounted from stored events",
        "page old: deleted",
    ]
    assert "1 page(s) and 1 feature(s) valid" in cli.invoke(main, ["definitions", "validate", str(folder)]).output


def test_a_bad_file_changes_nothing(cli: CliRunner, tmp_path: Path) -> None:
    app = json.loads(cli.invoke(main, ["apps", "create", "Shop", "--json"]).output)
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("pages:\n  - {id: home, name: Home, rule: /}\n")
    bad.write_text("features:\n  - id: sib\n    name: Sib\n    selector: 'h1 + p'\n")
    result = cli.invoke(main, ["definitions", "push", str(good), str(bad), "--app", app["secret_key"]])
    assert result.exit_code == 1
    assert f"{bad}:4: features[0].selector: the sibling combinator '+' is not supported" in result.output
    assert "nothing was changed" in result.output
    again = cli.invoke(main, ["definitions", "push", str(good), "--app", app["secret_key"]])
    assert "page home: created" in again.output  # the first push created nothing
    refused = cli.invoke(main, ["definitions", "push", str(good), "--app", app["public_key"]])
    assert refused.exit_code == 1 and "unknown or revoked secret key" in refused.output


def test_demo_seeds_definitions_and_synthetic_events_with_their_roll_ups(
    cli: CliRunner, settings: Settings
) -> None:
    result = cli.invoke(main, ["demo", "--no-serve", "--no-history", "--guides", str(REPO / "guides"),
                                "--events", "600"])
    assert result.exit_code == 0, result.output
    assert "feature send-invoice: created" in result.output
    assert "600 synthetic events stored" in result.output
    seeded = asyncio.run(usage_rows(settings, DEMO_APP_ID))
    assert sum(r[4] for r in seeded if r[2] == "active") == 600
    assert {r[3] for r in seeded if r[2] == "page"} == {"invoices-list", "invoice-detail", "settings"}

    async def recount() -> None:
        engine = create_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                await rebuild_all(session, DEMO_APP_ID)
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(recount())
    assert asyncio.run(usage_rows(settings, DEMO_APP_ID)) == seeded
