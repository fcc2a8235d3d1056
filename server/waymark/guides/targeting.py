"""Pure targeting rules: page globs, segment predicates, schedule and locale choice."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from waymark.clock import as_utc
from waymark.guides.schemas import PageRule, Text

__all__ = [
    "COHORTS",
    "COHORT_ID",
    "OPS",
    "PageMatcher",
    "Predicate",
    "RuleError",
    "UrlParts",
    "cohort_refs",
    "compile_page_rule",
    "compile_rule",
    "glob_to_regex",
    "locale_allowed",
    "pick_locale",
    "schedule_allows",
    "split_url",
]

Predicate = Callable[[Mapping[str, Any], Mapping[str, Any]], bool]
"""`predicate(visitor_metadata, tenant_metadata) -> bool`."""

OPS = frozenset({"eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "exists", "contains"})
_SCOPES = ("visitor", "tenant")
_COMPARE = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
_MISSING: Any = object()
COHORTS = "\x00cohorts"
"""The visitor-metadata key delivery puts the visitor's cohort ids under (a frozenset), for ``field: cohort``.

Set by the server from stored membership, after the request's own metadata, so no client can claim one."""
COHORT_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
"""A cohort's id: what ``field: cohort`` names."""
_NO_COHORTS: frozenset[str] = frozenset()


class RuleError(ValueError):
    """A rule that cannot be compiled; `field` is the path to the offending part."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# --- pages -------------------------------------------------------------------


class UrlParts(NamedTuple):
    """A URL split once per request: lower-cased host, `host:port`, path, the values of each query key."""

    host: str
    netloc: str
    path: str
    query: Mapping[str, list[str]]


def split_url(url: str) -> UrlParts:
    """Split a full URL (or a bare path) for `PageMatcher.matches`."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    netloc = f"{host}:{parts.port}" if parts.port else host
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        query.setdefault(key, []).append(value)
    return UrlParts(host, netloc, parts.path or "/", query)


_GLOB_TOKEN = re.compile(r"\*\*|\*|\?|[^*?]+")
_GLOB_REGEX = {"**": ".*", "*": "[^/]*", "?": "."}  # as the widget's pages.js


def glob_to_regex(glob: str) -> str:
    """`**` → any chars, `*` → any chars except '/', `?` → any one char."""
    return "".join(_GLOB_REGEX.get(tok) or re.escape(tok) for tok in _GLOB_TOKEN.findall(glob))


def _compile_glob(glob: str) -> Callable[[str], bool]:
    if "*" not in glob and "?" not in glob:
        return glob.__eq__
    pattern = re.compile(glob_to_regex(glob))
    return lambda s: pattern.fullmatch(s) is not None


class PageMatcher:
    """A compiled page rule: full-match globs on path and host, plus query equality."""

    __slots__ = ("_host", "_path", "_query", "host_uses_port", "rule")

    def __init__(self, rule: PageRule) -> None:
        self.rule = rule
        self._path = _compile_glob(rule.path) if rule.path is not None else None
        self._host = _compile_glob(rule.host.lower()) if rule.host is not None else None
        self.host_uses_port = rule.host is not None and ":" in rule.host
        self._query = tuple(rule.query.items())

    def matches(self, url: UrlParts) -> bool:
        if self._path is not None and not self._path(url.path):
            return False
        if self._host is not None and not self._host(url.netloc if self.host_uses_port else url.host):
            return False
        for key, expected in self._query:
            values = url.query.get(key)
            if values is None or (expected != "*" and expected not in values):
                return False
        return True


def compile_page_rule(rule: str | PageRule, path: str = "page") -> PageMatcher:
    """Compile a page rule (a bare string is a path glob); raises RuleError if malformed."""
    path_field = path
    if isinstance(rule, str):
        rule = PageRule(path=rule)
    else:
        path_field = f"{path}.path"
    if rule.path is not None and not rule.path.startswith(("/", "*")):
        raise RuleError(path_field, f"a path glob starts with '/' or '*' (got {rule.path!r})")
    if rule.host is not None and (not rule.host or "/" in rule.host):
        raise RuleError(f"{path}.host", f"a host glob is a name like app.example.com (got {rule.host!r})")
    return PageMatcher(rule)


# --- segment rules -----------------------------------------------------------


def _parse_temporal(value: Any) -> date | None:
    """A date/datetime from a date, a datetime or an ISO string; naive datetimes are UTC."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return value
    if isinstance(value, str) and 8 <= len(value) <= 40:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
        try:
            return as_utc(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _coerce_like(actual: Any, expected: Any) -> Any:
    """`actual` converted to compare with `expected`, or _MISSING when it cannot be."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual if type(actual) is type(expected) else _MISSING
    if isinstance(expected, int | float):
        if isinstance(actual, int | float):
            return actual
        if isinstance(actual, str):
            try:
                return float(actual)
            except ValueError:
                return _MISSING
        return _MISSING
    if isinstance(expected, date):
        parsed = _parse_temporal(actual)
        if parsed is None:
            return _MISSING
        if isinstance(expected, datetime):
            return parsed if isinstance(parsed, datetime) else datetime(*parsed.timetuple()[:3], tzinfo=UTC)
        return parsed.date() if isinstance(parsed, datetime) else parsed
    if isinstance(expected, str):
        if isinstance(actual, int):  # ids sent as numbers still equal their string form
            return str(actual)
        return actual if isinstance(actual, str) else _MISSING
    return actual


def _equals(actual: Any, expected: Any) -> bool:
    value = _coerce_like(actual, expected)
    return value is not _MISSING and value == expected


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | date)


def _compile_condition(raw: Mapping[str, Any], path: str) -> Predicate:
    for key in raw:
        if key not in ("field", "op", "value"):
            raise RuleError(f"{path}.{key}", "unknown key (a condition has field, op and value)")
    field = raw.get("field")
    if field == "cohort":
        return _compile_cohort_condition(raw, path)
    if not isinstance(field, str):
        raise RuleError(f"{path}.field", "required: visitor.<key>, tenant.<key> or cohort")
    scope, _, key = field.partition(".")
    if scope not in _SCOPES or not key:
        raise RuleError(f"{path}.field", f"must start with visitor. or tenant. (got {field!r})")
    op = raw.get("op")
    if op not in OPS:
        raise RuleError(f"{path}.op", f"unknown op {op!r} (expected one of {', '.join(sorted(OPS))})")
    has_value = "value" in raw
    value = as_utc(raw["value"]) if isinstance(raw.get("value"), datetime) else raw.get("value")
    where = f"{path}.value"

    if op == "exists":
        if has_value and not isinstance(value, bool):
            raise RuleError(where, "exists takes no value, or true/false")
        want = value is not False
        test: Callable[[Any], bool] = lambda _actual: want  # noqa: E731
        missing_result = not want
    elif op in ("in", "not_in"):
        if not isinstance(value, list) or not value or not all(_is_scalar(v) for v in value):
            raise RuleError(where, f"{op} takes a non-empty list of values")
        test = _member_test([as_utc(v) if isinstance(v, datetime) else v for v in value])
        if op == "not_in":
            inner_in = test
            test = lambda a: not inner_in(a)  # noqa: E731
        missing_result = op == "not_in"
    elif op in ("eq", "ne"):
        if not has_value or not _is_scalar(value):
            raise RuleError(where, f"{op} takes one value (use in/not_in for a list)")
        expected, negate = value, op == "ne"
        test = lambda a: (a == expected if type(a) is type(expected) else _equals(a, expected)) is not negate  # noqa: E731
        missing_result = op == "ne"
    elif op == "contains":
        if not has_value or not _is_scalar(value):
            raise RuleError(where, "contains takes one value")
        test = _contains_test(value)
        missing_result = False
    else:  # gt gte lt lte
        bound = _parse_temporal(value) if isinstance(value, str | date) else value
        if isinstance(bound, bool) or not isinstance(bound, int | float | date):
            raise RuleError(where, f"{op} compares with a number or an ISO date")
        compare, limit = _COMPARE[op], bound
        test = lambda a: (v := _coerce_like(a, limit)) is not _MISSING and bool(compare(v, limit))  # noqa: E731
        missing_result = False

    def condition(visitor: Mapping[str, Any], tenant: Mapping[str, Any]) -> bool:
        actual = (visitor if scope == "visitor" else tenant).get(key, _MISSING)
        if actual is _MISSING or actual is None:
            return missing_result
        return test(actual)

    return condition


def _cohort_ids(raw: Mapping[str, Any], path: str) -> frozenset[str]:
    value = raw.get("value")
    ids = [value] if isinstance(value, str) else value
    if not isinstance(ids, list) or not ids:
        raise RuleError(f"{path}.value", "a cohort id, or a non-empty list of cohort ids")
    for i, cohort_id in enumerate(ids):
        if not isinstance(cohort_id, str) or not COHORT_ID.fullmatch(cohort_id):
            where = f"{path}.value" if isinstance(value, str) else f"{path}.value[{i}]"
            raise RuleError(where, f"a cohort id is 1 to 64 lower-case letters, digits, '-' or '_' (got {cohort_id!r})")
    return frozenset(ids)


def _compile_cohort_condition(raw: Mapping[str, Any], path: str) -> Predicate:
    """``{field: cohort, op: in | not_in, value: ID | [IDs]}``: the visitor is (not) in any of these cohorts."""
    op = raw.get("op")
    if op not in ("in", "not_in"):
        raise RuleError(f"{path}.op", f"a cohort condition takes op in or not_in (got {op!r})")
    wanted = _cohort_ids(raw, path)
    member = op == "in"

    def condition(visitor: Mapping[str, Any], _tenant: Mapping[str, Any]) -> bool:
        return wanted.isdisjoint(visitor.get(COHORTS, _NO_COHORTS)) is not member

    return condition


def cohort_refs(raw: Any, path: str = "segment") -> list[tuple[str, str]]:
    """(field path, cohort id) of every cohort a well-formed rule names, in order (for existence checks)."""
    if not isinstance(raw, Mapping):
        return []
    if raw.get("field") == "cohort":
        value = raw.get("value")
        if isinstance(value, str):
            return [(f"{path}.value", value)]
        return [(f"{path}.value[{i}]", v) for i, v in enumerate(value or ()) if isinstance(v, str)]
    found: list[tuple[str, str]] = []
    if "not" in raw:
        found += cohort_refs(raw["not"], f"{path}.not")
    for kind in ("all", "any"):
        items = raw.get(kind)
        if isinstance(items, list):
            for i, item in enumerate(items):
                found += cohort_refs(item, f"{path}.{kind}[{i}]")
    return found


def _member_test(values: list[Any]) -> Callable[[Any], bool]:
    if all(isinstance(v, str) for v in values):
        strings = frozenset(values)

        def in_strings(actual: Any) -> bool:
            if type(actual) is str:
                return actual in strings
            items = actual if isinstance(actual, list) else (actual,)
            return any(_coerce_like(a, "") in strings for a in items)

        return in_strings
    return lambda actual: any(
        _equals(a, v) for a in (actual if isinstance(actual, list) else (actual,)) for v in values
    )


def _contains_test(expected: Any) -> Callable[[Any], bool]:
    def contains(actual: Any) -> bool:
        if isinstance(actual, list):
            return any(_equals(a, expected) for a in actual)
        return isinstance(actual, str) and isinstance(expected, str) and expected in actual

    return contains


def compile_rule(raw: Any, path: str = "segment") -> Predicate:
    """Compile a segment Rule into a predicate; raises RuleError naming the bad part.

    Missing (or null) fields make a condition false, except `ne`, `not_in` and
    `exists: false`, which are true for them.
    """
    if not isinstance(raw, Mapping) or not raw:
        raise RuleError(path, "a rule is {all: [...]}, {any: [...]}, {not: rule} or {field, op, value}")
    combinators = [k for k in ("all", "any", "not") if k in raw]
    if not combinators:
        return _compile_condition(raw, path)
    if len(raw) != 1:
        extra = next(k for k in raw if k != combinators[0])
        raise RuleError(f"{path}.{extra}", f"a `{combinators[0]}` rule has no other key")
    kind = combinators[0]
    if kind == "not":
        inner = compile_rule(raw["not"], f"{path}.not")
        return lambda visitor, tenant: not inner(visitor, tenant)
    items = raw[kind]
    if not isinstance(items, list) or not items:
        raise RuleError(f"{path}.{kind}", f"{kind} takes a non-empty list of rules")
    parts = tuple(compile_rule(item, f"{path}.{kind}[{i}]") for i, item in enumerate(items))
    if len(parts) == 1:
        return parts[0]
    want = kind == "any"  # plain loops: evaluated per request for every guide

    def combined(visitor: Mapping[str, Any], tenant: Mapping[str, Any]) -> bool:
        for part in parts:
            if part(visitor, tenant) is want:
                return want
        return not want

    return combined


# --- schedule and locales ----------------------------------------------------


def schedule_allows(start: datetime | None, end: datetime | None, now: datetime) -> bool:
    """True when `start <= now < end` (a missing bound is open; naive datetimes are UTC)."""
    now = as_utc(now)
    if start is not None and now < as_utc(start):
        return False
    return end is None or now < as_utc(end)


def _norm(locale: str) -> str:
    return locale.strip().replace("_", "-").lower()


def pick_locale(text: Text, visitor_locale: str | None, default_locale: str | None) -> str:
    """Localise a Text: visitor locale, its language (`fr-CA` → `fr`), default locale, first given."""
    if isinstance(text, str):
        return text
    if not text:
        return ""
    by_norm = {_norm(k): v for k, v in text.items()}
    for wanted in (visitor_locale, default_locale):
        tag = _norm(wanted or "")
        for candidate in (tag, tag.split("-", 1)[0]) if tag else ():
            if candidate in by_norm:
                return by_norm[candidate]
    return next(iter(text.values()))


def locale_allowed(only: Iterable[str] | None, visitor_locale: str | None) -> bool:
    """True without a restriction; else the visitor's locale or its language must be listed.

    A visitor whose locale is unknown is not shown a locale-restricted guide.
    """
    allowed = {_norm(x) for x in only or ()}
    if not allowed:
        return True
    tag = _norm(visitor_locale or "")
    return tag in allowed or tag.split("-", 1)[0] in allowed
