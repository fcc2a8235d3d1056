"""Page and feature definition files (YAML) → validated entries, every problem as file:line: field: message.

A file is a mapping with a ``pages`` list, a ``features`` list, or both::

    pages:
      - id: invoice-detail
        name: Invoice detail
        rule: /demo/invoices/*          # or {path, host, query}, as in guide targeting
    features:
      - id: send-invoice
        name: Send invoice
        selector: "#send-invoice"
        page: /demo/invoices/*          # optional: only clicks on such a page
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from waymark.analytics.schemas import FeatureIn, PageIn, RuleId
from waymark.analytics.services import DefinitionError, check_feature, check_page
from waymark.guides.loader import GuideError
from waymark.guides.yaml_source import YamlProblem, duplicate_keys, format_path, node_line, parse_path, read_yaml

__all__ = ["DefinitionFiles", "FeatureEntry", "PageEntry", "validate_definition_paths", "validate_definition_sources"]

FieldPath = tuple[str | int, ...]


class PageEntry(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: RuleId
    name: str
    rule: Any

    def as_input(self) -> PageIn:
        return msgspec.convert({"name": self.name, "rule": self.rule}, PageIn)


class FeatureEntry(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: RuleId
    name: str
    selector: str
    page: Any = None

    def as_input(self) -> FeatureIn:
        return msgspec.convert({"name": self.name, "selector": self.selector, "page": self.page}, FeatureIn)


class _File(msgspec.Struct, forbid_unknown_fields=True):
    pages: list[Any] | None = None
    features: list[Any] | None = None


class DefinitionFiles(msgspec.Struct):
    """Everything that validated, with the file each entry came from; ``has_*`` say which lists appeared."""

    pages: list[tuple[str, PageIn, str]]
    """(id, definition, file)."""
    features: list[tuple[str, FeatureIn, str]]
    has_pages: bool
    has_features: bool


def _msgspec_problem(exc: msgspec.ValidationError) -> tuple[FieldPath, str, bool]:
    """(path inside the entry, message, point at the key) from msgspec's "… - at `$.a[0].b`"."""
    text = str(exc)
    match = re.search(r" - at `\$(.*)`$", text)
    path: FieldPath = parse_path(match.group(1)) if match else ()
    message = text[:match.start()] if match else text
    field = re.search(r"(?:missing required|unknown) field `([^`]+)`", message)
    if field:
        return (*path, field.group(1)), message, "unknown" in message
    return path, message, False


_Checked = tuple[
    list[tuple[str, PageIn, str, int]], list[tuple[str, FeatureIn, str, int]], list[GuideError], tuple[bool, bool]
]
"""(pages, features, errors, (has pages, has features)); entries are (id, definition, file, line of the id)."""


def _check_text(text: str, file: str) -> _Checked:
    errors: list[GuideError] = []
    try:
        root, data = read_yaml(text)
    except YamlProblem as exc:
        return [], [], [GuideError(file, exc.line, "", exc.message)], (False, False)
    if root is None or not isinstance(data, dict):
        line = root.start_mark.line + 1 if root is not None else None
        return [], [], [GuideError(file, line, "", "a definitions file is a mapping with `pages` and/or "
                                                   "`features` lists")], (False, False)
    errors += [GuideError(file, line, format_path(path), "duplicate key") for path, line in duplicate_keys(root)]
    try:
        parsed = msgspec.convert(data, _File)
    except msgspec.ValidationError as exc:
        path, message, at_key = _msgspec_problem(exc)
        problem = GuideError(file, node_line(root, path, at_key), format_path(path), message)
        return [], [], [*errors, problem], (False, False)
    pages: list[tuple[str, PageIn, str, int]] = []
    features: list[tuple[str, FeatureIn, str, int]] = []
    for kind, entries in (("pages", parsed.pages), ("features", parsed.features)):
        for i, entry in enumerate(entries or ()):
            where: FieldPath = (kind, i)
            try:
                if kind == "pages":
                    page = msgspec.convert(entry, PageEntry)
                    definition: Any = page.as_input()
                    check_page(page.id, definition)
                    pages.append((page.id, definition, file, node_line(root, (*where, "id"))))
                else:
                    feature = msgspec.convert(entry, FeatureEntry)
                    definition = feature.as_input()
                    check_feature(feature.id, definition)
                    features.append((feature.id, definition, file, node_line(root, (*where, "id"))))
            except msgspec.ValidationError as exc:
                path, message, at_key = _msgspec_problem(exc)
                full = (*where, *path)
                errors.append(GuideError(file, node_line(root, full, at_key), format_path(full), message))
            except DefinitionError as exc:
                full = (*where, *parse_path(exc.field))
                errors.append(GuideError(file, node_line(root, full), format_path(full), exc.message))
    return pages, features, errors, (parsed.pages is not None, parsed.features is not None)


def _collect(checked: Iterable[tuple[str, str]]) -> tuple[DefinitionFiles, list[GuideError]]:
    out = DefinitionFiles(pages=[], features=[], has_pages=False, has_features=False)
    errors: list[GuideError] = []
    first: dict[tuple[str, str], str] = {}
    for file, text in checked:
        pages, features, file_errors, (has_pages, has_features) = _check_text(text, file)
        errors += file_errors
        out.has_pages |= has_pages
        out.has_features |= has_features
        for kind, entries, target in (("page", pages, out.pages), ("feature", features, out.features)):
            for rule_id, definition, source, line in entries:
                if (kind, rule_id) in first:
                    errors.append(GuideError(source, line, "id", f"duplicate {kind} id {rule_id!r} "
                                                                 f"(also in {first[(kind, rule_id)]})"))
                    continue
                first[(kind, rule_id)] = source
                target.append((rule_id, definition, source))  # type: ignore[arg-type]  # pages to pages, features to features
    return out, sorted(errors, key=lambda e: (e.file, e.line or 0))


def validate_definition_sources(sources: Sequence[tuple[str, str]]) -> tuple[DefinitionFiles, list[GuideError]]:
    """Validate definition files given as (name, YAML text); ids are unique per kind across them."""
    return _collect(sources)


def validate_definition_paths(paths: Sequence[str | Path]) -> tuple[DefinitionFiles, list[GuideError]]:
    """Validate definition files (a folder means its *.yaml/*.yml files, sorted)."""
    texts: list[tuple[str, str]] = []
    errors: list[GuideError] = []
    for given in paths:
        path = Path(given)
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()) \
            if path.is_dir() else [path]
        for file in files:
            try:
                texts.append((str(file), file.read_text(encoding="utf-8")))
            except UnicodeDecodeError:
                errors.append(GuideError(str(file), None, "", "not UTF-8 text"))
            except OSError as exc:
                errors.append(GuideError(str(file), None, "", f"cannot read: {exc.strerror}"))
    loaded, more = _collect(texts)
    return loaded, errors + more
