"""A trend's formula over its series letters (``A / B``, ``(A - B) / A * 100``), parsed by hand, never ``eval``.

The grammar is the four operations over letters, decimal numbers and parentheses, with unary minus::

    expr  := term (("+" | "-") term)*
    term  := unary (("*" | "/") unary)*
    unary := "-" unary | atom
    atom  := NUMBER | LETTER | "(" expr ")"

A formula is at most :data:`MAX_LENGTH` characters and :data:`MAX_DEPTH` levels deep, so hostile input
costs nothing. Evaluating it gives ``None`` where a value is missing, a division is by zero or the result
is not a finite number: a gap in the chart rather than an error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "Formula", "FormulaError", "parse_formula"]

MAX_LENGTH = 200
MAX_DEPTH = 20
_SPACE = " \t\r\n"
_TOKEN = re.compile(r"[ \t\r\n]*(?:(?P<number>[0-9]+(?:\.[0-9]+)?)|(?P<letter>[A-Za-z])|(?P<op>[-+*/()]))")


class FormulaError(ValueError):
    """A formula that cannot be read; the message says where and what is expected."""


@dataclass(frozen=True, slots=True)
class _Number:
    value: float


@dataclass(frozen=True, slots=True)
class _Letter:
    name: str


@dataclass(frozen=True, slots=True)
class _Negate:
    operand: _Node


@dataclass(frozen=True, slots=True)
class _Binary:
    op: str
    left: _Node
    right: _Node


_Node = _Number | _Letter | _Negate | _Binary


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) of every token; anything else is refused with its position."""
    out: list[tuple[str, str, int]] = []
    at = 0
    while at < len(text):
        rest = text[at:].lstrip(_SPACE)
        if not rest:
            break
        found = _TOKEN.match(text, at)
        if found is None:
            raise FormulaError(f"formula: {rest[:1]!r} at position {len(text) - len(rest) + 1} is not "
                               "allowed; use series letters, numbers, + - * / and parentheses")
        kind = found.lastgroup or "op"
        out.append((kind, found.group(kind), found.start(kind) + 1))
        at = found.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str, int]], letters: Collection[str]) -> None:
        self.tokens = tokens
        self.at = 0
        self.letters = letters

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise FormulaError("formula: it ends too early; a letter, a number or '(' is missing at the end")
        self.at += 1
        return token

    def expr(self, depth: int) -> _Node:
        node = self.term(depth)
        while (token := self.peek()) is not None and token[1] in "+-" and token[0] == "op":
            self.at += 1
            node = _Binary(token[1], node, self.term(depth))
        return node

    def term(self, depth: int) -> _Node:
        node = self.unary(depth)
        while (token := self.peek()) is not None and token[1] in "*/" and token[0] == "op":
            self.at += 1
            node = _Binary(token[1], node, self.unary(depth))
        return node

    def unary(self, depth: int) -> _Node:
        if depth > MAX_DEPTH:
            raise FormulaError(f"formula: nested more than {MAX_DEPTH} levels deep")
        kind, text, position = self.take()
        if kind == "op" and text == "-":
            return _Negate(self.unary(depth + 1))
        if kind == "number":
            return _Number(float(text))
        if kind == "letter":
            if text not in self.letters:
                named = ", ".join(sorted(self.letters)) or "none"
                raise FormulaError(f"formula: {text!r} at position {position} names no series; the series are "
                                   f"{named} (capital letters, in the order of the events)")
            return _Letter(text)
        if text == "(":
            node = self.expr(depth + 1)
            closing = self.peek()
            if closing is None or closing[1] != ")":
                raise FormulaError(f"formula: the '(' at position {position} is never closed")
            self.at += 1
            return node
        raise FormulaError(f"formula: {text!r} at position {position} is out of place; a letter, a number or "
                           "'(' is expected there")


def _evaluate(node: _Node, values: Mapping[str, float | None]) -> float | None:
    if isinstance(node, _Number):
        return node.value
    if isinstance(node, _Letter):
        return values.get(node.name)
    if isinstance(node, _Negate):
        inner = _evaluate(node.operand, values)
        return None if inner is None else -inner
    left, right = _evaluate(node.left, values), _evaluate(node.right, values)
    if left is None or right is None:
        return None
    if node.op == "+":
        result = left + right
    elif node.op == "-":
        result = left - right
    elif node.op == "*":
        result = left * right
    elif right == 0:
        return None
    else:
        result = left / right
    return result if math.isfinite(result) else None


@dataclass(frozen=True, slots=True)
class Formula:
    """A parsed formula: :meth:`evaluate` it with each letter's value."""

    text: str
    root: _Node

    def evaluate(self, values: Mapping[str, float | None]) -> float | None:
        """The value for one period (``None``: a value missing, a division by zero, or not finite)."""
        return _evaluate(self.root, values)


def parse_formula(text: str, letters: Collection[str]) -> Formula:
    """Read ``text``; its letters must be among ``letters`` (the series: A for the first event, B …)."""
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula: at most {MAX_LENGTH} characters ({len(text)} given)")
    tokens = _tokens(text)
    if not tokens:
        raise FormulaError("formula: it is empty; write one such as A / B")
    parser = _Parser(tokens, letters)
    root = parser.expr(0)
    extra = parser.peek()
    if extra is not None:
        raise FormulaError(f"formula: {extra[1]!r} at position {extra[2]} is out of place (an operator is "
                           "missing, or a ')' has no '(')")
    return Formula(" ".join(t for _, t, _ in tokens), root)
