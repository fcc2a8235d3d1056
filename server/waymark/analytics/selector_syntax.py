"""Syntax of the feature selector subset: a hand-written parser with messages that say what is wrong and where.

See :mod:`waymark.analytics.selectors` for what the subset is and how it is matched.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_SELECTOR_LENGTH", "ComplexSelector", "Compound", "SelectorError", "parse_selector_list"]

MAX_SELECTOR_LENGTH = 500
_MAX_ALTERNATIVES = 32
_MAX_COMPOUNDS = 16
_HEX = frozenset("0123456789abcdefABCDEF")
_SPACE = frozenset(" \t\n\r\f")


class SelectorError(ValueError):
    """A selector outside the supported subset, or malformed; ``position`` is 0-based."""

    def __init__(self, selector: str, position: int, message: str) -> None:
        super().__init__(f"{message} (at character {position + 1} of {selector!r})")
        self.selector = selector
        self.position = position
        self.message = message


@dataclass(frozen=True, slots=True)
class Compound:
    """One compound selector (``button#save.primary[data-x=y]``); every given part must match."""

    tag: str | None
    """Lower-cased; ``None`` for ``*`` or no type."""
    id: str | None
    classes: tuple[str, ...]
    attrs: tuple[tuple[str, str | None], ...]
    """(lower-cased name, value); value ``None`` means "present"."""


@dataclass(frozen=True, slots=True)
class ComplexSelector:
    """Compounds joined by combinators, left to right; the last one is the clicked element."""

    parts: tuple[Compound, ...]
    child: tuple[bool, ...]
    """``child[i]``: ``>`` (True) or descendant (False) between ``parts[i]`` and ``parts[i + 1]``."""


def parse_selector_list(text: str) -> tuple[ComplexSelector, ...]:
    """Parse a comma list of selectors of the subset; raises SelectorError."""
    if len(text) > MAX_SELECTOR_LENGTH:
        raise SelectorError(text[:40] + "…", 0, f"a selector is at most {MAX_SELECTOR_LENGTH} characters")
    return _Parser(text).parse()


class _Parser:
    __slots__ = ("pos", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, message: str, pos: int | None = None) -> SelectorError:
        return SelectorError(self.text, self.pos if pos is None else pos, message)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_space(self) -> bool:
        start = self.pos
        while self.peek() in _SPACE and self.peek():
            self.pos += 1
        return self.pos > start

    def parse(self) -> tuple[ComplexSelector, ...]:
        self.skip_space()
        if not self.peek():
            raise self.fail("empty selector")
        alternatives = [self.complex()]
        while self.peek() == ",":
            self.pos += 1
            self.skip_space()
            if not self.peek():
                raise self.fail("a selector list does not end with ','", self.pos - 1)
            alternatives.append(self.complex())
            if len(alternatives) > _MAX_ALTERNATIVES:
                raise self.fail(f"at most {_MAX_ALTERNATIVES} selectors in a comma list")
        if self.peek():  # complex() stops only at ',' or the end, or raises
            raise self.fail(f"unexpected {self.peek()!r}")
        return tuple(alternatives)

    def complex(self) -> ComplexSelector:
        if self.peek() in (">", "+", "~"):
            raise self.fail(f"a selector does not start with the combinator {self.peek()!r}")
        parts = [self.compound()]
        child: list[bool] = []
        while True:
            spaced = self.skip_space()
            char = self.peek()
            if char in ("", ","):
                break
            if char in ("+", "~"):
                raise self.fail(f"the sibling combinator {char!r} is not supported: clicks record their "
                                "ancestors, not their siblings; use a space (descendant) or '>' (child)")
            if char == ">":
                self.pos += 1
                self.skip_space()
                if self.peek() in ("", ",", ">", "+", "~"):
                    raise self.fail("expected a selector after '>'")
                child.append(True)
            elif spaced:
                child.append(False)
            else:
                raise self.fail(f"unexpected {char!r}")
            parts.append(self.compound())
            if len(parts) > _MAX_COMPOUNDS:
                raise self.fail(f"at most {_MAX_COMPOUNDS} compound selectors in a row")
        return ComplexSelector(tuple(parts), tuple(child))

    def compound(self) -> Compound:
        start = self.pos
        tag: str | None = None
        element_id: str | None = None
        classes: list[str] = []
        attrs: list[tuple[str, str | None]] = []
        char = self.peek()
        if char == "*":
            self.pos += 1
        elif char.isalpha() or char == "\\" or char > "\x7f":
            tag = self.ident("an element name").lower()
        while True:
            char = self.peek()
            if char == "#":
                self.pos += 1
                if element_id is not None:
                    raise self.fail("two ids in one compound selector never match", self.pos - 1)
                element_id = self.ident("an id after '#'")
            elif char == ".":
                self.pos += 1
                classes.append(self.ident("a class name after '.'"))
            elif char == "[":
                attrs.append(self.attribute())
            elif char == ":":
                raise self.fail("pseudo-classes and pseudo-elements (':hover', '::before', ':nth-child') are "
                                "not supported: a click is matched against a stored description of the element")
            elif char == "|":
                raise self.fail("namespaces ('|') are not supported")
            else:
                break
        if self.pos == start:
            if not char:
                raise self.fail("expected a selector")
            raise self.fail(f"unexpected {char!r}; expected an element name, '*', '#id', '.class' or '[attr]'")
        return Compound(tag, element_id, tuple(classes), tuple(attrs))

    def attribute(self) -> tuple[str, str | None]:
        opened = self.pos
        self.pos += 1
        self.skip_space()
        if self.peek() == "|" or (self.peek() == "*" and self.text[self.pos + 1:self.pos + 2] == "|"):
            raise self.fail("namespaces ('|') are not supported")
        name = self.ident("an attribute name after '['").lower()
        self.skip_space()
        char = self.peek()
        value: str | None = None
        if char in ("^", "$", "*", "~", "|") and self.text[self.pos + 1:self.pos + 2] == "=":
            raise self.fail(f"the attribute operator '{char}=' is not supported; use [attr] or [attr=value]")
        if char == "=":
            self.pos += 1
            self.skip_space()
            quote = self.peek()
            value = self.string() if quote in ("'", '"') else self.ident("a value after '=' (quote it if needed)")
            self.skip_space()
            if self.peek().isalpha():
                raise self.fail("attribute flags such as ' i' are not supported")
        if not self.peek():
            raise self.fail("unclosed '['", opened)
        if self.peek() != "]":
            raise self.fail(f"unexpected {self.peek()!r} in an attribute selector; expected ']'")
        self.pos += 1
        return name, value

    def string(self) -> str:
        quote, opened = self.peek(), self.pos
        self.pos += 1
        out: list[str] = []
        while True:
            char = self.peek()
            if not char or char == "\n":
                raise self.fail("unclosed quote", opened)
            if char == quote:
                self.pos += 1
                return "".join(out)
            if char == "\\":
                out.append(self.escape())
            else:
                out.append(char)
                self.pos += 1

    def ident(self, what: str) -> str:
        out: list[str] = []
        while True:
            char = self.peek()
            if char == "\\":
                out.append(self.escape())
            elif char and (char.isalnum() or char in "-_" or char > "\x7f"):
                out.append(char)
                self.pos += 1
            else:
                break
        if not out:
            found = f"{self.peek()!r}" if self.peek() else "the end"
            raise self.fail(f"expected {what}, found {found}")
        return "".join(out)

    def escape(self) -> str:
        """A CSS escape: ``\\31 `` (hex, as CSS.escape writes) or ``\\:`` (any other character)."""
        start = self.pos
        self.pos += 1
        digits = ""
        while len(digits) < 6 and self.peek() in _HEX and self.peek():
            digits += self.peek()
            self.pos += 1
        if digits:
            if self.peek() in _SPACE and self.peek():
                self.pos += 1
            code = int(digits, 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        char = self.peek()
        if not char or char == "\n":
            raise self.fail("a '\\' escape needs a character after it", start)
        self.pos += 1
        return char
