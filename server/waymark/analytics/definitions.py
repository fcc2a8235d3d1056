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
import yaml

from waymark.analytics.schemas import FeatureIn, PageIn, RuleId
from waymark.analytics.services import DefinitionError, check_feature, check_page
from waymark.guides.loader import GuideError

__all__ = ["DefinitionFiles", "FeatureEntry", "PageEntry", "validate_definition_paths", "validate_definition_sources"]

_MAX_NODES = 20_000
_PATH_PART = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")
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


def _format(path: FieldPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def _line(root: yaml.Node, path: FieldPath, at_key: bool = False) -> int:
    """Line of the node at ``path``, or of its deepest existing parent (for a missing field)."""
    node = root
    for i, part in enumerate(path):
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child = key if at_key and i == len(path) - 1 else value
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


def _duplicate_keys(node: yaml.Node, path: FieldPath, out: list[tuple[FieldPath, int]]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            if key.value in seen:
                out.append(((*path, key.value), key.start_mark.line + 1))
            seen.add(key.value)
            _duplicate_keys(value, (*path, key.value), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _duplicate_keys(item, (*path, i), out)


def _node_count(root: yaml.Node) -> int:
    stack, count = [root], 0
    while stack and count <= _MAX_NODES:
        node = stack.pop()
        count += 1
        if isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return count


def _msgspec_problem(exc: msgspec.ValidationError) -> tuple[FieldPath, str, bool]:
    """(path inside the entry, message, point at the key) from msgspec's "… - at `$.a[0].b`"."""
    text = str(exc)
    match = re.search(r" - at `\$(.*)`$", text)
    path: FieldPath = tuple(
        int(index) if index else key for key, index in _PATH_PART.findall(match.group(1))
    ) if match else ()
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
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is not None and _node_count(root) > _MAX_NODES:
            return [], [], [GuideError(file, None, "", f"too large: over {_MAX_NODES} YAML nodes")], (False, False)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        return [], [], [GuideError(file, line, "", f"invalid YAML: {exc.problem}")], (False, False)
    except (yaml.YAMLError, RecursionError) as exc:
        return [], [], [GuideError(file, None, "", f"invalid YAML: {exc}")], (False, False)
    finally:
        loader.dispose()
    if root is None or not isinstance(data, dict):
        line = root.start_mark.line + 1 if root is not None else None
        return [], [], [GuideError(file, line, "", "a definitions file is a mapping with `pages` and/or "
                                                   "`features` lists")], (False, False)
    duplicates: list[tuple[FieldPath, int]] = []
    _duplicate_keys(root, (), duplicates)
    errors += [GuideError(file, line, _format(path), "duplicate key") for path, line in duplicates]
    try:
        parsed = msgspec.convert(data, _File)
    except msgspec.ValidationError as exc:
        path, message, at_key = _msgspec_problem(exc)
        return [], [], [*errors, GuideError(file, _line(root, path, at_key), _format(path), message)], (False, False)
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
                    pages.append((page.id, definition, file, _line(root, (*where, "id"))))
                else:
                    feature = msgspec.convert(entry, FeatureEntry)
                    definition = feature.as_input()
                    check_feature(feature.id, definition)
                    features.append((feature.id, definition, file, _line(root, (*where, "id"))))
            except msgspec.ValidationError as exc:
                path, message, at_key = _msgspec_problem(exc)
                full = (*where, *path)
                errors.append(GuideError(file, _line(root, full, at_key), _format(full), message))
            except DefinitionError as exc:
                full = (*where, *(int(i) if i else k for k, i in _PATH_PART.findall("." + exc.field)))
                errors.append(GuideError(file, _line(root, full), _format(full), exc.message))
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
                target.append((rule_id, definition, source))  # type: ignore[arg-type]
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
