"""What an analysis counts: an event reference (``page:ID``, ``feature:ID``, ``event:NAME``, ``guide:ID:ACTION``)
and the unit it counts in (visitors, or tenants: a tenant did it when any of its visitors did).

Parsing is strict and every refusal names the reference and what is expected, so an API answers 400 with
a message a person can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from waymark.analytics.steps import GUIDE_ACTIONS

__all__ = [
    "GUIDE_ACTIONS",
    "MAX_PROPERTY_FILTERS",
    "Ref",
    "RefError",
    "RefKind",
    "Unit",
    "parse_ref",
    "parse_refs",
    "parse_unit",
]

RefKind = Literal["page", "feature", "event", "guide"]
Unit = Literal["visitors", "tenants"]

MAX_PROPERTY_FILTERS = 5
_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_PROPERTY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$.\-]{0,63}")
_KINDS = ("page", "feature", "event", "guide")


class RefError(ValueError):
    """A reference or unit that cannot be read; the message says which and what is expected."""


@dataclass(frozen=True, slots=True)
class Ref:
    """One kind of thing a visitor does."""

    kind: RefKind
    key: str
    """The page or feature id, the track event's name, or the guide id."""
    action: str | None = None
    """For a guide: seen, advanced, completed, dismissed or snoozed."""
    where: tuple[tuple[str, str], ...] = ()
    """For a track event: property filters, each ``props[name] == value`` compared as text."""

    @property
    def event_type(self) -> str:
        """The stored ``events.type`` this reference matches."""
        if self.kind == "page":
            return "page"
        if self.kind == "feature":
            return "click"
        if self.kind == "event":
            return "track"
        return GUIDE_ACTIONS[self.action or "seen"]

    @property
    def step(self) -> str:
        """The projected step this reference reads (:mod:`waymark.analytics.steps`): its text without filters."""
        return f"{self.kind}:{self.key}" + (f":{self.action}" if self.action else "")

    def text(self) -> str:
        """The reference as written, canonically (``parse_ref(r.text()) == r``)."""
        base = self.step
        if self.where:
            base += "[" + ",".join(f"{name}={value}" for name, value in self.where) + "]"
        return base

    def matches_props(self, props: dict[str, object] | None) -> bool:
        """Whether a stored event's properties pass this reference's filters (always, when it has none)."""
        if not self.where:
            return True
        props = props or {}
        return all(name in props and _as_text(props[name]) == value for name, value in self.where)


def _as_text(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def parse_ref(text: str) -> Ref:
    """``page:billing``, ``feature:export``, ``event:Signup[plan=pro]`` or ``guide:tour:completed``."""
    raw = text.strip()
    where: tuple[tuple[str, str], ...] = ()
    if raw.endswith("]") and "[" in raw:
        raw, _, filters = raw[:-1].partition("[")
        where = _parse_where(text, filters)
    kind, sep, rest = raw.partition(":")
    if not sep or kind not in _KINDS:
        raise RefError(f"step {text[:80]!r} is not understood: write page:ID, feature:ID, event:NAME "
                       "or guide:ID:completed")
    if where and kind != "event":
        raise RefError(f"step {text[:80]!r}: only event:NAME steps take [property=value] filters")
    if kind == "guide":
        guide, _, action = rest.partition(":")
        action = action or "seen"
        if not _ID.fullmatch(guide):
            raise RefError(f"step {text[:80]!r}: a guide id is 1 to 64 letters, digits, '.', '_' or '-'")
        if action not in GUIDE_ACTIONS:
            raise RefError(f"step {text[:80]!r}: a guide step ends in one of {', '.join(GUIDE_ACTIONS)}")
        return Ref("guide", guide, action)
    if kind == "event":
        name = rest.strip()
        if not name or len(name) > 200:
            raise RefError(f"step {text[:80]!r}: an event name is 1 to 200 characters")
        return Ref("event", name, None, where)
    if not _ID.fullmatch(rest):
        raise RefError(f"step {text[:80]!r}: a {kind} id is 1 to 64 letters, digits, '.', '_' or '-'")
    return Ref(kind, rest)  # type: ignore[arg-type]  # narrowed by _KINDS above


def _parse_where(text: str, filters: str) -> tuple[tuple[str, str], ...]:
    pairs = [part for part in filters.split(",") if part.strip()]
    if not pairs:
        raise RefError(f"step {text[:80]!r}: the brackets hold property=value filters, none were given")
    if len(pairs) > MAX_PROPERTY_FILTERS:
        raise RefError(f"step {text[:80]!r}: at most {MAX_PROPERTY_FILTERS} property filters")
    out: list[tuple[str, str]] = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not _PROPERTY.fullmatch(name):
            raise RefError(f"step {text[:80]!r}: filter {pair[:40]!r} is not property=value")
        out.append((name, value.strip()))
    return tuple(out)


def parse_refs(text: str, *, at_least: int = 1, at_most: int = 10, what: str = "steps") -> tuple[Ref, ...]:
    """A comma-separated list of references (commas inside ``[...]`` belong to the filters)."""
    parts: list[str] = []
    depth, current = 0, ""
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    parts = [p for p in (p.strip() for p in parts) if p]
    if not at_least <= len(parts) <= at_most:
        raise RefError(f"{what}: give {at_least} to {at_most}, comma-separated; {len(parts)} given")
    return tuple(parse_ref(p) for p in parts)


def parse_unit(text: str | None) -> Unit:
    """``visitors`` (the default) or ``tenants``."""
    if text in (None, "", "visitors"):
        return "visitors"
    if text == "tenants":
        return "tenants"
    raise RefError(f"count={str(text)[:40]!r} is not offered: count visitors or tenants")
