"""Guide files: every problem reported as file:line: field: message, and the demo guides valid."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from waymark.guides.loader import GuideError, GuideFileError, load_guide_file, validate_paths, validate_sources
from waymark.guides.schemas import GuideFile, LightboxStep, TooltipStep, guide_json_schema

HERE = Path(__file__).parent
BAD = HERE / "bad"
REPO_GUIDES = HERE.parent.parent / "guides"
EXPECT = re.compile(r"^# expect: (\d+) \| (.*?) \| (.*)$")

GOOD = """\
id: good
name: Good
kind: walkthrough
steps:
  - type: lightbox
    title: Hello
  - type: tooltip
    anchor: "#new-invoice"
    body: "Click **here**"
"""


def expected_errors(case: Path) -> list[GuideError]:
    """The `# expect: line | field | message` comments of a bad file (or of each file of a folder)."""
    files = sorted(p for p in case.iterdir() if p.suffix == ".yaml") if case.is_dir() else [case]
    return [
        GuideError(str(file), int(m[1]), m[2], m[3].replace("{dir}", str(case)))
        for file in files
        for m in map(EXPECT.match, file.read_text(encoding="utf-8").splitlines())
        if m
    ]


def key(error: GuideError) -> tuple[str, int, str, str]:
    return (error.file, error.line or 0, error.field, error.message)


@pytest.mark.parametrize("case", sorted(BAD.iterdir()), ids=lambda p: p.name)
def test_bad_guide_files_give_exactly_their_expected_errors(case: Path) -> None:
    expected = expected_errors(case)
    assert expected, f"{case} states no `# expect:` line"
    loaded, errors = validate_paths([case])
    assert sorted(errors, key=key) == sorted(expected, key=key)
    bad_files = {e.file for e in expected}
    assert not [g for g in loaded if g.file in bad_files]


def test_there_are_enough_bad_files() -> None:
    assert len(list(BAD.iterdir())) >= 12


def test_multiple_errors_are_all_reported_in_line_order() -> None:
    _, errors = validate_paths([BAD / "multiple-errors.yaml"])
    assert len(errors) >= 15
    assert [e.line for e in errors] == sorted(e.line or 0 for e in errors)


def test_every_repo_guide_validates() -> None:
    loaded, errors = validate_paths([REPO_GUIDES])
    assert errors == [], "\n".join(map(str, errors))
    assert {g.guide.id for g in loaded} >= {
        "welcome-tour",
        "export-tip",
        "help-tooltip",
        "settings-banner",
        "admin-announcement",
    }
    for item in loaded:
        assert Path(item.file).stem == item.guide.id  # one guide per file, named by its id


def test_welcome_tour_shape() -> None:
    tour = load_guide_file(REPO_GUIDES / "welcome-tour.yaml")
    assert (tour.kind, tour.priority, tour.frequency.mode, tour.snooze_days) == ("walkthrough", 100, "once", 1)
    assert len(tour.steps) >= 4
    assert isinstance(tour.steps[0], LightboxStep) and isinstance(tour.steps[-1], LightboxStep)
    assert any(isinstance(s, TooltipStep) and s.page == "/demo/invoices/*" for s in tour.steps)
    assert all(isinstance(s.title, dict) and set(s.title) == {"en", "fr"} for s in tour.steps)


def test_a_stored_definition_converts_back_to_the_same_guide() -> None:
    # The server stores msgspec.to_builtins(guide) and converts it back when compiling.
    for item in validate_paths([REPO_GUIDES])[0]:
        assert msgspec.convert(msgspec.to_builtins(item.guide), GuideFile) == item.guide


def test_error_string_format() -> None:
    error = GuideError("guides/bad.yaml", 12, "steps[2].anchor", "required for a tooltip step")
    assert str(error) == "guides/bad.yaml:12: steps[2].anchor: required for a tooltip step"
    assert str(GuideError("g.yaml", None, "", "no such file or folder")) == "g.yaml: no such file or folder"
    assert str(GuideError("g.yaml", 3, "", "invalid YAML: x")) == "g.yaml:3: invalid YAML: x"


def test_load_guide_file(tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(GOOD, encoding="utf-8")
    guide = load_guide_file(path)
    assert guide.id == "good" and guide.activation.mode == "automatic" and guide.frequency.mode == "once"
    assert isinstance(guide.steps[1], TooltipStep) and guide.steps[1].wait_ms == 3000


def test_load_guide_file_raises_with_every_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace("id: good", "id: Good").replace('    anchor: "#new-invoice"\n', ""), "utf-8")
    with pytest.raises(GuideFileError) as caught:
        load_guide_file(path)
    assert [(e.line, e.field) for e in caught.value.errors] == [(1, "id"), (7, "steps[1].anchor")]
    assert f"{path}:7: steps[1].anchor: required for a tooltip step" in str(caught.value)


def test_folders_expand_to_sorted_yaml_files(tmp_path: Path) -> None:
    for name in ("b.yml", "a.yaml", "c.yaml"):
        (tmp_path / name).write_text(GOOD.replace("id: good", f"id: {name[0]}"), "utf-8")
    (tmp_path / "notes.txt").write_text("not a guide", "utf-8")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "d.yaml").write_text("not: [valid", "utf-8")
    loaded, errors = validate_paths([tmp_path, tmp_path / "a.yaml"])  # a file given twice counts once
    assert errors == []
    assert [Path(g.file).name for g in loaded] == ["a.yaml", "b.yml", "c.yaml"]


def test_missing_path_and_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("# nothing yet\n", "utf-8")
    _, errors = validate_paths([tmp_path / "nope.yaml", tmp_path / "empty.yaml"])
    assert [str(e) for e in errors] == [
        f"{tmp_path}/nope.yaml: no such file or folder",
        f"{tmp_path}/empty.yaml: a guide file is a mapping (id, name, steps, ...)",
    ]


def test_schedule_dates_are_utc(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(GOOD + "targeting:\n  schedule: {start: 2026-01-01, end: 2026-02-01 12:00:00}\n", "utf-8")
    schedule = load_guide_file(path).targeting.schedule
    assert schedule is not None
    assert schedule.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert schedule.end == datetime(2026, 2, 1, 12, tzinfo=UTC)


def test_segment_values_keep_their_yaml_types(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    rule = "targeting:\n  segment: {field: visitor.signed_up, op: gte, value: 2026-01-01}\n"
    path.write_text(GOOD + rule, "utf-8")
    segment = load_guide_file(path).targeting.segment
    assert segment == {"field": "visitor.signed_up", "op": "gte", "value": datetime(2026, 1, 1).date()}


def test_json_schema() -> None:
    schema = guide_json_schema()
    guide = schema["$defs"]["GuideFile"]
    assert set(guide["required"]) == {"id", "name", "steps"}
    assert guide["additionalProperties"] is False
    assert "TooltipStep" in schema["$defs"] and "pattern" in guide["properties"]["id"]


def test_validate_sources_as_sent_to_the_rest_api() -> None:
    loaded, errors = validate_sources(
        [("a.yaml", GOOD), ("b.yaml", GOOD), ("c.yaml", GOOD.replace('anchor: "#new-invoice"', 'anchor: "  "'))]
    )
    assert [g.file for g in loaded] == ["a.yaml"]
    assert [str(e) for e in errors] == [
        "b.yaml:1: id: duplicate guide id 'good' (also in a.yaml)",
        "c.yaml:8: steps[1].anchor: not a valid CSS selector (empty)",
    ]


def test_alias_bombs_and_deep_nesting_are_refused_quickly() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"
    bomb += "id: bomb\nname: Bomb\nsteps: [{type: lightbox, title: *i}]\n"
    deep = "id: deep\nname: Deep\nsteps: " + "[" * 1000 + "]" * 1000 + "\n"
    _, errors = validate_sources([("bomb.yaml", bomb), ("deep.yaml", deep)])
    assert [(e.file, e.message) for e in errors] == [
        ("bomb.yaml", "too large: over 20000 YAML nodes, aliases expanded"),
        ("deep.yaml", "invalid YAML: nested too deeply"),
    ]
