"""A cohort's rule: behavioural conditions over the daily roll-up combined with metadata conditions (no I/O).

A rule is the guide segment language (:func:`waymark.guides.targeting.compile_rule`: ``all``, ``any``,
``not`` and ``{field, op, value}`` on ``visitor.*`` / ``tenant.*``) with three more leaves:

- ``{did: REF, at_least: N, days: D}``: REF done at least N times in the last D days;
- ``{not_did: REF, days: D}``: REF not done in the last D days (never done counts as not done);
- ``{first_seen_within: D}``: the visitor's first event falls in the last D days.

"The last D days" is today (UTC) and the D - 1 days before it, by whole days, as ``daily_usage`` counts.
REF is a reference of :mod:`waymark.behaviour.refs` that the roll-up counts: ``page:ID``, ``feature:ID``,
``event:NAME`` (without property filters) or ``guide:ID`` / ``guide:ID:seen``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from waymark.behaviour.refs import Ref, RefError, parse_ref
from waymark.guides.targeting import RuleError, compile_rule

__all__ = [
    "MAX_DAYS",
    "CohortPredicate",
    "CohortRule",
    "Did",
    "FirstSeenWithin",
    "NotDid",
    "compile_cohort_rule",
    "usage_key",
    "window_start",
]

MAX_DAYS = 400
"""The longest look-back a condition may ask for (a little over a year)."""
_MAX_COUNT = 1_000_000
_LEAF_KEYS = {"did": {"did", "at_least", "days"}, "not_did": {"not_did", "days"},
              "first_seen_within": {"first_seen_within"}}
_USAGE_KIND = {"page": "page", "feature": "feature", "event": "event", "guide": "guide"}


@dataclass(frozen=True, slots=True)
class Did:
    ref: Ref
    at_least: int
    days: int


@dataclass(frozen=True, slots=True)
class NotDid:
    ref: Ref
    days: int


@dataclass(frozen=True, slots=True)
class FirstSeenWithin:
    days: int


Condition = Did | NotDid | FirstSeenWithin
CohortPredicate = Callable[[Mapping[str, Any], Mapping[str, Any], Collection[int]], bool]
"""``predicate(visitor_metadata, tenant_metadata, facts)``; ``facts`` holds the indexes of the rule's
behavioural conditions that hold for this visitor."""


@dataclass(frozen=True, slots=True)
class CohortRule:
    conditions: tuple[Condition, ...]
    """The behavioural conditions, each once; a predicate refers to them by index."""
    predicate: CohortPredicate
    uses_metadata: bool
    """Whether any condition reads visitor or tenant metadata (a refresh loads it only then)."""


def window_start(today: date, days: int) -> date:
    """The first day of "the last ``days`` days" ending ``today`` (today counts as one)."""
    return today - timedelta(days=days - 1)


def usage_key(ref: Ref) -> tuple[str, str]:
    """The ``daily_usage`` (kind, key) that counts ``ref``."""
    return _USAGE_KIND[ref.kind], ref.key


def _days(raw: Any, path: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_DAYS:
        raise RuleError(path, f"a whole number of days from 1 to {MAX_DAYS} (got {raw!r})")
    return int(raw)


def _ref(raw: Any, path: str) -> Ref:
    if not isinstance(raw, str):
        raise RuleError(path, "a reference such as page:billing, feature:export, event:Signup or guide:tour")
    try:
        ref = parse_ref(raw)
    except RefError as exc:
        raise RuleError(path, str(exc)) from exc
    if ref.where:
        raise RuleError(path, "cohorts count from the daily roll-up, which keeps no event properties: "
                              "drop the [property=value] filters")
    if ref.kind == "guide" and ref.action != "seen":
        raise RuleError(path, "cohorts count guides seen only (guide:ID or guide:ID:seen)")
    return ref


def _leaf(raw: Mapping[str, Any], kind: str, path: str) -> Condition:
    for key in raw:
        if key not in _LEAF_KEYS[kind]:
            allowed = ", ".join(sorted(_LEAF_KEYS[kind]))
            raise RuleError(f"{path}.{key}", f"unknown key (a {kind} condition has {allowed})")
    if kind == "first_seen_within":
        return FirstSeenWithin(_days(raw["first_seen_within"], f"{path}.first_seen_within"))
    ref = _ref(raw[kind], f"{path}.{kind}")
    if "days" not in raw:
        raise RuleError(f"{path}.days", f"required: the number of days {kind} looks back over")
    days = _days(raw["days"], f"{path}.days")
    if kind == "not_did":
        return NotDid(ref, days)
    at_least = raw.get("at_least", 1)
    if isinstance(at_least, bool) or not isinstance(at_least, int) or not 1 <= at_least <= _MAX_COUNT:
        raise RuleError(f"{path}.at_least", f"a whole number from 1 to {_MAX_COUNT} (got {at_least!r})")
    return Did(ref, at_least, days)


class _Compiler:
    def __init__(self) -> None:
        self.conditions: list[Condition] = []
        self.uses_metadata = False

    def index(self, condition: Condition) -> int:
        if condition not in self.conditions:
            self.conditions.append(condition)
        return self.conditions.index(condition)

    def compile(self, raw: Any, path: str) -> CohortPredicate:
        if not isinstance(raw, Mapping) or not raw:
            raise RuleError(path, "a rule is {all: [...]}, {any: [...]}, {not: rule}, {did, at_least, days}, "
                                  "{not_did, days}, {first_seen_within} or {field, op, value}")
        leaf = next((k for k in _LEAF_KEYS if k in raw), None)
        if leaf is not None:
            i = self.index(_leaf(raw, leaf, path))
            return lambda _visitor, _tenant, facts: i in facts
        combinators = [k for k in ("all", "any", "not") if k in raw]
        if not combinators:
            if raw.get("field") == "cohort":
                raise RuleError(f"{path}.field", "a cohort's rule cannot refer to a cohort")
            self.uses_metadata = True
            meta = compile_rule(raw, path)
            return lambda visitor, tenant, _facts: meta(visitor, tenant)
        kind = combinators[0]
        if len(raw) != 1:
            extra = next(k for k in raw if k != kind)
            raise RuleError(f"{path}.{extra}", f"a `{kind}` rule has no other key")
        if kind == "not":
            inner = self.compile(raw["not"], f"{path}.not")
            return lambda visitor, tenant, facts: not inner(visitor, tenant, facts)
        items = raw[kind]
        if not isinstance(items, list) or not items:
            raise RuleError(f"{path}.{kind}", f"{kind} takes a non-empty list of rules")
        parts = tuple(self.compile(item, f"{path}.{kind}[{i}]") for i, item in enumerate(items))
        if kind == "all":
            return lambda visitor, tenant, facts: all(p(visitor, tenant, facts) for p in parts)
        return lambda visitor, tenant, facts: any(p(visitor, tenant, facts) for p in parts)


def compile_cohort_rule(raw: Any, path: str = "rule") -> CohortRule:
    """Compile a cohort's rule; raises :class:`~waymark.guides.targeting.RuleError` naming the bad part."""
    compiler = _Compiler()
    predicate = compiler.compile(raw, path)
    return CohortRule(tuple(compiler.conditions), predicate, compiler.uses_metadata)
