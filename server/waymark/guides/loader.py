"""Guide files (YAML) → GuideFile, reporting every problem as file:line: field: message."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import msgspec
import yaml
from msgspec import Struct

from waymark.guides.content import compile_body
from waymark.guides.kinds.policy_rules import policy_problems
from waymark.guides.kinds.survey_checks import survey_problems, survey_texts
from waymark.guides.schemas import INVALID, FieldPath, GuideFile, Locales, Step, Text, TooltipStep, check_guide_data
from waymark.guides.targeting import RuleError, compile_page_rule, compile_rule, locale_allowed
from waymark.guides.yaml_source import YamlProblem, duplicate_keys, format_path, node_line, parse_path, read_yaml

__all__ = [
    "GuideError",
    "GuideFileError",
    "LoadedGuide",
    "load_guide_file",
    "validate_paths",
    "validate_sources",
]



class GuideError(Struct, frozen=True):
    """One problem in one guide file."""

    file: str
    line: int | None
    """1-based; None when the problem is not at a place in the file."""
    field: str
    """Path such as `steps[2].anchor`; empty for the file as a whole."""
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class LoadedGuide(Struct, frozen=True):
    """A guide file that validated."""

    file: str
    guide: GuideFile


class GuideFileError(ValueError):
    """Raised by `load_guide_file`; `errors` holds every problem found."""

    def __init__(self, errors: list[GuideError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


class _FileCheck:
    """Validation of one parsed file, with the YAML node tree for line numbers."""

    def __init__(self, file: str, root: yaml.Node) -> None:
        self.file = file
        self.root = root
        self.errors: list[GuideError] = []

    # --- reporting ---

    def line(self, path: FieldPath, at_key: bool = False) -> int | None:
        """Line of the node at `path`, or of the deepest existing parent (for missing fields)."""
        return node_line(self.root, path, at_key)

    def error(self, path: FieldPath, message: str, at_key: bool = False, line: int | None = None) -> None:
        line = line if line is not None else self.line(path, at_key)
        self.errors.append(GuideError(self.file, line, format_path(path), message))

    def duplicate_keys(self) -> None:
        for path, line in duplicate_keys(self.root):
            self.error(path, "duplicate key", line=line)

    # --- meaning (what a schema cannot say) ---

    def semantics(self, parts: dict[str, Any], steps: list[Any]) -> None:
        activation, frequency = parts.get("activation"), parts.get("frequency")
        if activation is not None:
            click = activation.mode == "click"
            self.required_iff(("activation", "selector"), activation.selector, click, "activation.mode is click")
            if activation.selector is not None:
                self.selector(("activation", "selector"), activation.selector)
        if frequency is not None:
            every = frequency.mode == "every"
            self.required_iff(("frequency", "days"), frequency.days, every, "frequency.mode is every")
        kind = parts.get("kind", "walkthrough")
        for path, message, at_key in policy_problems(parts, steps):
            self.error(path, message, at_key)
        if kind in ("tooltip", "announcement") and len(steps) != 1:
            self.error(("steps",), f"a guide of kind {kind} has exactly one step (found {len(steps)})", True)
        locales: Locales | None = parts.get("locales")
        only = locales.only if locales is not None else None
        if locales is not None and only is not None and not locale_allowed(only, locales.default):
            self.error(("locales", "default"), "not in locales.only")
        buttons = parts.get("buttons")
        if buttons is not None:
            for name in ("next", "back", "done", "snooze"):
                self.text_locales(("buttons", name), getattr(buttons, name), only)
        for i, step in enumerate(steps):
            if step is not INVALID:
                self.step(("steps", i), step, kind, only)
        for path, message, at_key in survey_problems(kind, steps, parts.get("survey"), parts.get("targeting")):
            self.error(path, message, at_key)
        goal = parts.get("goal")
        if goal is not None and sum(x is not None for x in (goal.page, goal.feature, goal.event)) != 1:
            self.error(("goal",), "names exactly one of page, feature or event")
        targeting = parts.get("targeting")
        if targeting is not None:
            for i, page in enumerate(targeting.pages or ()):
                self.rule(page, f"targeting.pages[{i}]", compile_page_rule)
            if targeting.segment is not None:
                self.rule(targeting.segment, "targeting.segment")
            window = targeting.schedule
            if window is not None and window.start and window.end and window.end <= window.start:
                self.error(("targeting", "schedule", "end"), "must be after targeting.schedule.start")

    def step(self, path: FieldPath, step: Step, kind: str, only: list[str] | None) -> None:
        step_type = step.__struct_config__.tag
        if kind == "announcement" and step_type == "tooltip":
            self.error((*path, "type"), "an announcement step is a lightbox or a banner")
        if kind == "tooltip" and step_type != "tooltip":
            self.error((*path, "type"), "the step of a tooltip guide is a tooltip")
        if isinstance(step, TooltipStep):
            if step.anchor is None:
                self.error((*path, "anchor"), "required for a tooltip step")
            else:
                self.selector((*path, "anchor"), step.anchor)
        if step.page is not None:
            self.rule(step.page, format_path((*path, "page")), compile_page_rule)
        if step.title is None and step.body is None and step.__struct_config__.tag not in ("nps", "poll"):
            self.error(path, "a step needs a title or a body")  # survey steps: waymark.guides.kinds.survey_checks
        for sub, text in survey_texts(step):
            self.text_locales((*path, *sub), text, only)
        self.text_locales((*path, "title"), step.title, only)
        self.text_locales((*path, "body"), step.body, only)
        bodies = {(): step.body} if isinstance(step.body, str) else {(k,): v for k, v in (step.body or {}).items()}
        for sub, text in bodies.items():
            if text.strip() and not compile_body(text):
                self.error((*path, "body", *sub), "nothing is left once unsafe content is removed")

    def required_iff(self, path: FieldPath, value: Any, needed: bool, condition: str) -> None:
        if needed and value is None:
            self.error(path, f"required when {condition}")
        elif not needed and value is not None:
            self.error(path, f"only allowed when {condition}", at_key=True)

    def text_locales(self, path: FieldPath, text: Text | None, only: list[str] | None) -> None:
        if isinstance(text, dict) and only is not None:
            for key in text:
                if not locale_allowed(only, key):
                    self.error((*path, key), f"locale {key!r} is not in locales.only", at_key=True)

    def selector(self, path: FieldPath, selector: str) -> None:
        problem = _selector_problem(selector)
        if problem:
            self.error(path, f"not a valid CSS selector ({problem})")

    def rule(self, rule: Any, path: str, compile_fn: Any = compile_rule) -> None:
        """Report RuleErrors; compile_rule stops at the first, so each part of a well-formed all/any/not is retried."""
        try:
            compile_fn(rule, path)
        except RuleError as exc:
            before = len(self.errors)
            kind = next(iter(rule)) if isinstance(rule, dict) and len(rule) == 1 else None
            parts = rule[kind] if kind else None
            if kind == "not":
                self.rule(parts, f"{path}.not")
            elif kind in ("all", "any") and isinstance(parts, list):
                for i, part in enumerate(parts):
                    self.rule(part, f"{path}.{kind}[{i}]")
            if len(self.errors) == before:
                self.error(parse_path(exc.field), exc.message)


def _selector_problem(selector: str) -> str | None:
    text = selector.strip()
    if not text:
        return "empty"
    closing = {")": "(", "]": "["}
    stack: list[str] = []
    quote = ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            stack.append(char)
        elif char in closing and (not stack or stack.pop() != closing[char]):
            return "unbalanced brackets"
    if quote:
        return "unclosed quote"
    if stack:
        return "unbalanced brackets"
    if text[0] in ">+~," or text[-1] in ">+~,":
        return "starts or ends with a combinator"
    return None


def _utc_schedule(data: dict[str, Any]) -> None:
    """A YAML date in the schedule means midnight UTC; a datetime without offset is UTC."""
    targeting = data.get("targeting")
    schedule = targeting.get("schedule") if isinstance(targeting, dict) else None
    if isinstance(schedule, dict):
        for key, value in schedule.items():
            if isinstance(value, datetime) and value.tzinfo is None:
                schedule[key] = value.replace(tzinfo=UTC)
            elif isinstance(value, date) and not isinstance(value, datetime):
                schedule[key] = datetime(value.year, value.month, value.day, tzinfo=UTC)


def _check_file(path: Path, file: str) -> tuple[GuideFile | None, list[GuideError], int | None]:
    """The guide in one file, every problem in it, and the line of its id."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [GuideError(file, None, "", "not UTF-8 text")], None
    except OSError as exc:
        return None, [GuideError(file, None, "", f"cannot read: {exc.strerror}")], None
    return _check_text(text, file)


def _check_text(text: str, file: str) -> tuple[GuideFile | None, list[GuideError], int | None]:
    """The guide in one file's text, every problem in it, and the line of its id."""
    try:
        root, data = read_yaml(text)
    except YamlProblem as exc:
        return None, [GuideError(file, exc.line, "", exc.message)], None
    if not isinstance(data, dict) or root is None:
        line = root.start_mark.line + 1 if root is not None else None
        return None, [GuideError(file, line, "", "a guide file is a mapping (id, name, steps, ...)")], None
    check = _FileCheck(file, root)
    check.duplicate_keys()
    _utc_schedule(data)
    parts, steps, issues = check_guide_data(data)
    for issue in issues:
        check.error(issue.path, issue.message, issue.at_key)
    check.semantics(parts, steps)
    guide = None
    if not check.errors:
        try:
            guide = msgspec.convert(data, GuideFile)
        except msgspec.ValidationError as exc:  # the walk above should have said why; never accept it
            check.error((), str(exc))
    errors = sorted(check.errors, key=lambda e: e.line or 0)
    return (guide if not errors else None), errors, check.line(("id",))


def load_guide_file(path: str | Path) -> GuideFile:
    """The guide in one file; raises GuideFileError listing every problem."""
    guide, errors, _ = _check_file(Path(path), str(path))
    if errors or guide is None:
        raise GuideFileError(errors)
    return guide


def _expand(paths: Iterable[str | Path]) -> tuple[list[Path], list[GuideError]]:
    files: list[Path] = []
    errors: list[GuideError] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        elif path.exists():
            files.append(path)
        else:
            errors.append(GuideError(str(given), None, "", "no such file or folder"))
    return files, errors


def _collect(
    checked: Iterable[tuple[str, tuple[GuideFile | None, list[GuideError], int | None]]],
    errors: list[GuideError],
) -> tuple[list[LoadedGuide], list[GuideError]]:
    """Gather checked files, refusing a guide id that an earlier file already used."""
    loaded: list[LoadedGuide] = []
    first_file: dict[str, str] = {}
    for file, (guide, file_errors, id_line) in checked:
        errors += file_errors
        if guide is None:
            continue
        if guide.id in first_file:
            message = f"duplicate guide id {guide.id!r} (also in {first_file[guide.id]})"
            errors.append(GuideError(file, id_line, "id", message))
            continue
        first_file[guide.id] = file
        loaded.append(LoadedGuide(file, guide))
    return loaded, errors


def validate_sources(sources: Sequence[tuple[str, str]]) -> tuple[list[LoadedGuide], list[GuideError]]:
    """Validate guide files given as (name, text), as sent to the REST API; ids must be unique."""
    return _collect(((name, _check_text(text, name)) for name, text in sources), [])


def validate_paths(paths: Sequence[str | Path]) -> tuple[list[LoadedGuide], list[GuideError]]:
    """Validate guide files (a folder means its *.yaml/*.yml files, sorted); ids must be unique."""
    files, errors = _expand(paths)
    unique: dict[Path, Path] = {}
    for path in files:
        unique.setdefault(path.resolve(), path)
    return _collect(((str(p), _check_file(p, str(p))) for p in unique.values()), errors)
