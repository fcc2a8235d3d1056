"""Product-qualified tenants: named milestones over a tenant's behaviour, and when each tenant reaches them.

A milestone is one of three kinds, each read from the daily roll-up (``daily_usage``, day granularity):

- ``visitors_did``: ``at_least`` distinct visitors of the tenant did ``ref`` within ``within_days`` days of
  the tenant's first visit (the first visit's UTC day and the ``within_days - 1`` days after it). Once the
  window has passed the answer no longer moves; it became true on the day its ``at_least``-th visitor first
  did it.
- ``active_share`` (rolling): the tenant's distinct active visitors in the last ``days`` days (today
  included) are at least ``percent`` % of the number in its metadata field ``field`` (``seats``). A tenant
  without a positive number there never qualifies.
- ``events_count`` (rolling): the tenant's visitors did ``ref`` ``at_least`` times in the last ``days`` days.

This module holds the definitions, their strict reading (every refusal names the field) and the pure
decisions; :mod:`waymark.behaviour.milestone_store` reads the rows and keeps the flags.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import msgspec

from waymark.behaviour.refs import Ref, RefError, parse_ref

__all__ = [
    "KINDS",
    "MAX_DAYS",
    "MAX_MILESTONES",
    "Definition",
    "Kind",
    "MilestoneError",
    "RollupKey",
    "active_share_holds",
    "parse_definition",
    "parse_field_name",
    "parse_milestone_id",
    "rollup_key",
    "seats_of",
    "visitors_did_day",
]

KINDS = ("visitors_did", "active_share", "events_count")
Kind = Literal["visitors_did", "active_share", "events_count"]
MAX_DAYS = 365
MAX_COUNT = 1_000_000
MAX_MILESTONES = 50
"""Milestones an app may define (each is evaluated for every tenant on every run)."""
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
_FIELDS: dict[str, tuple[str, ...]] = {
    "visitors_did": ("kind", "name", "ref", "at_least", "within_days"),
    "active_share": ("kind", "name", "field", "percent", "days"),
    "events_count": ("kind", "name", "ref", "at_least", "days"),
}


class MilestoneError(ValueError):
    """A definition that cannot be used; ``field`` names the part that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Definition(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One milestone as stored and as the API reads and writes it (fields unused by its kind are left out)."""

    kind: Kind
    name: str
    ref: str | None = None
    at_least: int | None = None
    within_days: int | None = None
    field: str | None = None
    percent: float | None = None
    days: int | None = None

    @property
    def rolling(self) -> bool:
        """Whether the flag can turn off as time passes (its window moves with today)."""
        return self.kind != "visitors_did"

    def describe(self) -> str:
        """The condition in words, for the admin page."""
        if self.kind == "visitors_did":
            return (f"{self.at_least} or more visitors did {self.ref} within {self.within_days} days of the "
                    "tenant's first visit")
        if self.kind == "active_share":
            return f"active visitors in the last {self.days} days ≥ {self.percent:g} % of tenant.{self.field}"
        return f"{self.at_least} or more events of {self.ref} in the last {self.days} days"


@dataclass(frozen=True, slots=True)
class RollupKey:
    """The ``daily_usage`` kind and key a reference is counted under."""

    kind: str
    key: str


def rollup_key(ref: Ref) -> RollupKey:
    """Where the daily roll-up counts ``ref``; RefError for what it does not keep per day (property filters, a
    guide action other than seen)."""
    if ref.kind == "event":
        if ref.where:
            raise RefError(f"{ref.text()!r}: property filters are not kept in the daily roll-up milestones "
                           "read; use event:NAME")
        return RollupKey("event", ref.key)
    if ref.kind == "guide":
        if ref.action != "seen":
            raise RefError(f"{ref.text()!r}: only guide:ID:seen is kept in the daily roll-up milestones read")
        return RollupKey("guide", ref.key)
    return RollupKey(ref.kind, ref.key)


def parse_milestone_id(text: str) -> str:
    """A milestone id: 1 to 64 lower-case letters, digits, '_' or '-', starting with a letter or digit."""
    if not _ID.fullmatch(text):
        raise MilestoneError("id", f"{text[:80]!r} is not an id: 1 to 64 lower-case letters, digits, '_' or '-'")
    return text


def parse_field_name(text: Any, name: str = "crm_field") -> str:
    """A tenant metadata field name (``seats``, ``crm_id``)."""
    if not isinstance(text, str) or not _FIELD.fullmatch(text):
        raise MilestoneError(name, f"{str(text)[:80]!r} is not a metadata field name: 1 to 64 letters, digits, "
                                   "'_', '.' or '-', starting with a letter or '_'")
    return text


def _whole(raw: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = raw.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MilestoneError(name, f"give a whole number from {low} to {high}; {str(value)[:40]!r} given")
    return value


def parse_definition(raw: Any) -> Definition:
    """A milestone from a JSON object (or a form read into one); MilestoneError names the first wrong field."""
    if not isinstance(raw, Mapping):
        raise MilestoneError("body", "give a JSON object with kind, name and the kind's fields")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise MilestoneError("kind", f"{str(kind)[:40]!r} is not a kind: use one of {', '.join(KINDS)}")
    unknown = sorted(set(raw) - set(_FIELDS[kind]))
    if unknown:
        raise MilestoneError(str(unknown[0])[:40], f"not a field of a {kind} milestone (its fields: "
                                                   f"{', '.join(_FIELDS[kind])})")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 200:
        raise MilestoneError("name", "give a name of 1 to 200 characters")
    name = name.strip()
    if kind == "active_share":
        percent = raw.get("percent")
        if isinstance(percent, bool) or not isinstance(percent, int | float) or not math.isfinite(percent) \
                or not 0 < percent <= 1000:
            raise MilestoneError("percent", f"give a number above 0 and at most 1000; {str(percent)[:40]!r} given")
        field = raw.get("field")
        return Definition(kind="active_share", name=name, field=parse_field_name(field, "field"),
                          percent=float(percent), days=_whole(raw, "days", 1, MAX_DAYS))
    text = raw.get("ref")
    if not isinstance(text, str):
        raise MilestoneError("ref", "give a reference: page:ID, feature:ID, event:NAME or guide:ID:seen")
    try:
        ref = parse_ref(text)
        rollup_key(ref)
    except RefError as exc:
        raise MilestoneError("ref", str(exc)) from exc
    at_least = _whole(raw, "at_least", 1, MAX_COUNT)
    if kind == "visitors_did":
        return Definition(kind="visitors_did", name=name, ref=ref.text(), at_least=at_least,
                          within_days=_whole(raw, "within_days", 1, MAX_DAYS))
    return Definition(kind="events_count", name=name, ref=ref.text(), at_least=at_least,
                      days=_whole(raw, "days", 1, MAX_DAYS))


def visitors_did_day(first_day: date, within_days: int, at_least: int, firsts: Iterable[date]) -> date | None:
    """The day a ``visitors_did`` milestone became true, or None.

    ``firsts``: for each visitor of the tenant, the first day they did the reference. A visitor counts when
    that day falls in the window (``first_day`` to ``first_day + within_days - 1``); the milestone became true
    on the ``at_least``-th earliest of those days.
    """
    last = first_day + timedelta(days=within_days - 1)
    inside = sorted(day for day in firsts if first_day <= day <= last)
    return inside[at_least - 1] if len(inside) >= at_least else None


def seats_of(meta: Mapping[str, Any] | None, field: str) -> float | None:
    """The positive number in a tenant's metadata ``field`` (a number or numeric text), else None."""
    value = (meta or {}).get(field)
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value) and value > 0:
        return float(value)
    return None


def active_share_holds(active: int, meta: Mapping[str, Any] | None, field: str, percent: float) -> bool:
    """``active`` visitors are at least ``percent`` % of the metadata ``field`` (False without a number)."""
    seats = seats_of(meta, field)
    return seats is not None and active * 100 >= percent * seats
