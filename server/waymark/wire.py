"""Bounds every wire type shares: what a string, an integer, a moment and a free-form JSON value may hold.

They exist because the databases disagree on what they store: PostgreSQL refuses a NUL
character in ``text`` and a value past ``integer``'s range, SQLite stores both; and a date
near year 1 or 9999 overflows once a timezone offset or a clock correction is applied. Refusing
such values at the edge, with a message naming the field, keeps both databases alike and
turns what would be a 500 into a 4xx (or into one refused event of a batch).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

import msgspec

__all__ = [
    "CONTROL_CHARACTER",
    "INT32_MAX",
    "JSON_MAX_DEPTH",
    "JSON_MAX_ITEMS",
    "LINE_PATTERN",
    "TEXT_PATTERN",
    "TIME_MAX",
    "TIME_MIN",
    "Int32",
    "Line",
    "Text",
    "UnsignedInt32",
    "bad_characters",
    "day_problem",
    "explain",
    "json_problem",
    "moment_problem",
]

LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
"""One line of text: no control character at all (ids, names, keys, URLs)."""
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
"""Free text: tab, newline and carriage return allowed, other control characters (NUL above all) refused."""
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
"""Any control character: none may stand in an id, a name, a key, a URL, a path or a query string."""
_TEXT_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

INT32_MAX = 2**31 - 1
"""The largest value of an SQL ``integer`` column (PostgreSQL's, the narrowest of the two databases)."""
_INT64 = 2**63

Line = Annotated[str, msgspec.Meta(pattern=LINE_PATTERN)]
Text = Annotated[str, msgspec.Meta(pattern=TEXT_PATTERN)]
Int32 = Annotated[int, msgspec.Meta(ge=-INT32_MAX - 1, le=INT32_MAX)]
UnsignedInt32 = Annotated[int, msgspec.Meta(ge=0, le=INT32_MAX)]

TIME_MIN = datetime(1970, 1, 1, tzinfo=UTC)
TIME_MAX = datetime(2100, 1, 1, tzinfo=UTC)
"""Moments outside [TIME_MIN, TIME_MAX) are refused: no real event happened then, and near the
ends of the calendar an offset or a clock correction overflows."""

JSON_MAX_DEPTH = 16
"""How deep free-form JSON (event properties, traits, visitor metadata) may nest."""
JSON_MAX_ITEMS = 1000
"""How many keys and list items free-form JSON may hold in all."""


def bad_characters(value: str, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored as text, or ``None``: control characters (NUL above all) are refused."""
    found = (_TEXT_BAD if multiline else CONTROL_CHARACTER).search(value)
    if found is None:
        return None
    return f"contains the control character U+{ord(found.group()):04X}"


def explain(message: str) -> str:
    """A validation message with the patterns above said in words (the field stays named, ``- at `$.x```)."""
    return message.replace(f"matching regex {LINE_PATTERN!r}", "without control characters").replace(
        f"matching regex {TEXT_PATTERN!r}", "without control characters other than tab and newline")


def moment_problem(moment: datetime) -> str | None:
    """Why ``moment`` is not a time an event can have, or ``None``; checked before any arithmetic on it."""
    # Compare years first: converting a moment near year 1 or 9999 to UTC may itself overflow.
    if not TIME_MIN.year - 1 < moment.year <= TIME_MAX.year:
        return f"{moment.isoformat()} is outside {TIME_MIN.year}–{TIME_MAX.year}"
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if not TIME_MIN <= utc < TIME_MAX:
        return f"{moment.isoformat()} is outside {TIME_MIN.year}–{TIME_MAX.year}"
    return None


def day_problem(day: date) -> str | None:
    """Why ``day`` is not a day a report can cover, or ``None`` (the same window as events)."""
    if not TIME_MIN.date() <= day < TIME_MAX.date():
        return f"{day.isoformat()} is outside {TIME_MIN.year}–{TIME_MAX.year - 1}"
    return None


def json_problem(value: Any, field: str) -> str | None:
    """Why a decoded free-form JSON value cannot be stored, or ``None``.

    Bounds its depth and its number of items, refuses control characters in keys and strings
    (tab and newline are allowed in string values), and integers past 64 bits. The decoder has
    already refused nesting deep enough to endanger it (msgspec stops at Python's recursion limit);
    this keeps what is stored shallow enough for every reader after it.
    """
    budget = [JSON_MAX_ITEMS]

    def walk(node: Any, path: str, depth: int) -> str | None:
        if isinstance(node, str):
            bad = bad_characters(node, multiline=True)
            return f"{path} {bad}" if bad else None
        if isinstance(node, bool) or node is None or isinstance(node, float):
            return None
        if isinstance(node, int):
            return f"{path} is an integer past 64 bits" if not -_INT64 <= node < _INT64 else None
        if depth >= JSON_MAX_DEPTH:
            return f"{path} nests deeper than {JSON_MAX_DEPTH} levels"
        budget[0] -= len(node)
        if budget[0] < 0:
            return f"{field} holds more than {JSON_MAX_ITEMS} keys and items"
        if isinstance(node, dict):
            for key, item in node.items():
                bad = bad_characters(key)
                if bad:
                    return f"a key of {path} {bad}"
                problem = walk(item, f"{path}.{key}", depth + 1)
                if problem:
                    return problem
            return None
        for i, item in enumerate(node):
            problem = walk(item, f"{path}[{i}]", depth + 1)
            if problem:
                return problem
        return None

    return walk(value, field, 0)
