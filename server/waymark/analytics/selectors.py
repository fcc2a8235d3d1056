"""Pure matching of feature selectors against stored click descriptors.

A click is stored as ``{tag, id, classes, attrs, text, path}`` (see docs/CONTRACT.md), not as a
live DOM node, so only what that description can answer is supported: type (``button``, ``*``),
``#id``, ``.class``, ``[attr]``, ``[attr=value]``, the descendant (space) and child (``>``)
combinators over ``path``, and comma lists. Anything else is refused with a message saying why
(:mod:`waymark.analytics.selector_syntax`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from waymark.analytics.selector_syntax import (
    MAX_SELECTOR_LENGTH,
    ComplexSelector,
    Compound,
    SelectorError,
    parse_selector_list,
)

__all__ = [
    "MAX_SELECTOR_LENGTH",
    "Node",
    "Selector",
    "SelectorError",
    "describe_target",
    "escape_ident",
    "parse_selector",
]


@dataclass(frozen=True, slots=True)
class Node:
    """What is known of one element: itself from the descriptor, or an ancestor from ``path``."""

    tag: str
    id: str | None
    classes: frozenset[str]
    attrs: Mapping[str, str] | None
    """``None`` for ancestors: the path records no attributes, so an attribute test on one fails."""


def _compound_matches(compound: Compound, node: Node) -> bool:
    if compound.tag is not None and node.tag != compound.tag:
        return False
    if compound.id is not None and node.id != compound.id:
        return False
    if any(c not in node.classes for c in compound.classes):
        return False
    for name, value in compound.attrs:
        actual = _attribute(node, name)
        if actual is None or (value is not None and actual != value):
            return False
    return True


def _attribute(node: Node, name: str) -> str | None:
    if name == "id":
        return node.id
    if name == "class":
        return " ".join(sorted(node.classes)) if node.classes else None
    return node.attrs.get(name) if node.attrs is not None else None


def _complex_matches(selector: ComplexSelector, subject: Node, ancestors: tuple[Node, ...] | None) -> bool:
    parts = selector.parts
    if not _compound_matches(parts[-1], subject):
        return False
    if len(parts) == 1:
        return True
    return ancestors is not None and _up(selector, len(parts) - 2, ancestors, len(ancestors))


def _up(selector: ComplexSelector, i: int, ancestors: tuple[Node, ...], below: int) -> bool:
    """Does ``parts[i]`` match an ancestor above index ``below`` (and the parts before it, further up)?"""
    if i < 0:
        return True
    part = selector.parts[i]
    if selector.child[i]:
        j = below - 1
        return j >= 0 and _compound_matches(part, ancestors[j]) and _up(selector, i - 1, ancestors, j)
    return any(
        _compound_matches(part, ancestors[j]) and _up(selector, i - 1, ancestors, j) for j in range(below - 1, -1, -1)
    )


class Selector:
    """A parsed selector list: matches when any of its alternatives does."""

    __slots__ = ("alternatives", "text")

    def __init__(self, text: str, alternatives: tuple[ComplexSelector, ...]) -> None:
        self.text = text
        self.alternatives = alternatives

    def __repr__(self) -> str:
        return f"Selector({self.text!r})"

    def matches(self, element: Mapping[str, Any] | Any) -> bool:
        """Does the stored descriptor (a mapping or an object with the same fields) match?"""
        subject, ancestors = describe_target(element)
        return any(_complex_matches(alt, subject, ancestors) for alt in self.alternatives)

    def matches_target(self, subject: Node, ancestors: tuple[Node, ...] | None) -> bool:
        """As :meth:`matches`, for a descriptor already turned into nodes (one click, many selectors)."""
        return any(_complex_matches(alt, subject, ancestors) for alt in self.alternatives)

    def required_tokens(self) -> list[str] | None:
        """One literal (id, class or attribute value) per alternative that any matching click contains.

        Lets a scan of stored clicks skip most rows before matching; ``None`` when some
        alternative has no such literal (``button``, ``*``).
        """
        tokens: list[str] = []
        for alt in self.alternatives:
            subject = alt.parts[-1]
            token = subject.id or (subject.classes[0] if subject.classes else None) or next(
                (v for _, v in subject.attrs if v), None
            )
            if not token:
                return None
            tokens.append(token)
        return tokens


# --- describing a stored click ------------------------------------------------------------------


def _get(element: Mapping[str, Any] | Any, name: str) -> Any:
    return element.get(name) if isinstance(element, Mapping) else getattr(element, name, None)


@lru_cache(maxsize=4096)
def _path_nodes(path: str) -> tuple[Node, ...] | None:
    """The nodes of a recorded path (``main > div.page-head > button#new``), or None if unreadable."""
    try:
        parsed = parse_selector_list(path)
    except SelectorError:
        return None
    if len(parsed) != 1 or not all(parsed[0].child):
        return None
    return tuple(
        Node(tag=p.tag or "*", id=p.id, classes=frozenset(p.classes), attrs=None) for p in parsed[0].parts
    )


def describe_target(element: Mapping[str, Any] | Any) -> tuple[Node, tuple[Node, ...] | None]:
    """The clicked element as a node, and its ancestors from its path (None when there is no path)."""
    path = _get(element, "path") or ""
    nodes = _path_nodes(path) if path else None
    classes = frozenset(_get(element, "classes") or ())
    if nodes:
        classes |= nodes[-1].classes
    attrs = _get(element, "attrs") or {}
    subject = Node(
        tag=str(_get(element, "tag") or (nodes[-1].tag if nodes else "")).lower(),
        id=_get(element, "id") or None,
        classes=classes,
        attrs={str(k).lower(): str(v) for k, v in attrs.items()} if isinstance(attrs, Mapping) else {},
    )
    return subject, (nodes[:-1] if nodes else None)


def escape_ident(value: str) -> str:
    """``value`` written as a CSS identifier (as the browser's ``CSS.escape`` does), for suggested selectors."""
    out: list[str] = []
    for i, char in enumerate(value):
        leading_digit = char.isdigit() and (i == 0 or (i == 1 and value[0] == "-"))
        if char.isascii() and (char.isalnum() or char in "-_") and not leading_digit:
            out.append(char)
        elif leading_digit or not char.isprintable():
            out.append(f"\\{ord(char):x} ")
        elif char.isascii():
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def parse_selector(text: str) -> Selector:
    """Parse a selector of the supported subset; raises SelectorError saying what is wrong and where."""
    return Selector(text, parse_selector_list(text))
