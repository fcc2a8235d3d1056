"""YAML that people write by hand, read with its positions: lines of field paths, duplicate keys, a size guard.

Shared by guide files and page/feature definition files, so both report problems
the same way (``file:line: field: message``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from waymark.guides.schemas import FieldPath
from waymark.wire import bad_characters

__all__ = ["MAX_NODES", "YamlProblem", "duplicate_keys", "format_path", "node_line", "parse_path", "read_yaml"]

MAX_NODES = 20_000
_PATH_PART = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|^([^.\[\]]+)")


class YamlProblem(ValueError):
    """The text is not YAML we will read; ``line`` is 1-based when the parser knows it."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _too_many_nodes(root: yaml.Node) -> bool:
    """Aliases can make a small file a huge tree (a "billion laughs"): count before building it."""
    stack, count = [root], 0
    while stack and count <= MAX_NODES:
        node = stack.pop()
        count += 1
        if isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return count > MAX_NODES


def _refuse_control_characters(root: yaml.Node) -> None:
    """An escape such as ``"\\0"`` writes a control character that no text we store may hold."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            problem = bad_characters(str(node.value), multiline=True)
            if problem:
                raise YamlProblem(node.start_mark.line + 1, f"a value {problem}")
        elif isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def read_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for positions) and the data of one YAML document; raises YamlProblem."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # the reader refuses some characters (NUL) before parsing starts
        raise YamlProblem(None, f"invalid YAML: {exc}") from exc
    try:
        root = loader.get_single_node()
        if root is not None and _too_many_nodes(root):
            raise YamlProblem(None, f"too large: over {MAX_NODES} YAML nodes, aliases expanded")
        if root is not None:
            _refuse_control_characters(root)
        return root, loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        raise YamlProblem(exc.problem_mark.line + 1 if exc.problem_mark else None,
                          f"invalid YAML: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(None, f"invalid YAML: {exc}") from exc
    except RecursionError as exc:
        raise YamlProblem(None, "invalid YAML: nested too deeply") from exc
    finally:
        loader.dispose()


def node_line(root: yaml.Node, path: FieldPath, at_key: bool = False) -> int:
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


def duplicate_keys(node: yaml.Node, path: FieldPath = ()) -> Iterator[tuple[FieldPath, int]]:
    """Each repeated key with its line: PyYAML would keep the last of two equal keys silently."""
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            if key.value in seen:
                yield (*path, key.value), key.start_mark.line + 1
            seen.add(key.value)
            yield from duplicate_keys(value, (*path, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from duplicate_keys(item, (*path, i))


def format_path(path: FieldPath) -> str:
    """("steps", 2, "anchor") → ``steps[2].anchor``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def parse_path(text: str) -> FieldPath:
    """``targeting.segment.all[1].op`` (or msgspec's ``.steps[2]``) → ("targeting", "segment", "all", 1, "op")."""
    return tuple(int(index) if index else key or first for key, index, first in _PATH_PART.findall(text))
