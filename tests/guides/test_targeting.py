"""Page globs, segment rules, schedule windows and locale choice."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from waymark.guides.schemas import PageRule
from waymark.guides.targeting import (
    RuleError,
    compile_page_rule,
    compile_rule,
    locale_allowed,
    pick_locale,
    schedule_allows,
    split_url,
)


def page_matches(rule: str | PageRule, url: str) -> bool:
    return compile_page_rule(rule).matches(split_url(url))


# --- pages -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("glob", "path", "expected"),
    [
        ("/demo/invoices", "/demo/invoices", True),
        ("/demo/invoices", "/demo/invoices/", False),
        ("/demo/invoices", "/demo/invoices/INV-1001", False),
        ("/demo/invoices*", "/demo/invoices-archive", True),
        ("/demo/invoices*", "/demo/invoices/INV-1001", False),
        ("/demo/invoices/*", "/demo/invoices/INV-1001", True),
        ("/demo/invoices/*", "/demo/invoices/INV-1001/pdf", False),
        ("/demo/**", "/demo/invoices/INV-1001/pdf", True),
        ("/demo/**", "/demo/", True),
        ("/demo/**", "/other/demo/x", False),
        ("/demo/**/pdf", "/demo/invoices/INV-1/pdf", True),
        ("/demo/**/pdf", "/demo/pdf", False),  # as the widget: `**/` needs a folder
        ("/demo/invoices/INV-100?", "/demo/invoices/INV-1004", True),
        ("/demo/invoices/INV-100?", "/demo/invoices/INV-10042", False),
        ("/demo/a.b", "/demo/axb", False),  # regex characters are literal
        ("**", "/anything/at/all", True),
    ],
)
def test_path_glob(glob: str, path: str, expected: bool) -> None:
    assert page_matches(glob, f"http://app.example.com{path}?x=1") is expected


def test_host_glob_ignores_case_and_port_unless_given() -> None:
    assert page_matches(PageRule(host="*.example.com"), "https://App.Example.com:8443/x")
    assert not page_matches(PageRule(host="*.example.com"), "https://example.org/x")
    assert page_matches(PageRule(host="localhost:8000"), "http://localhost:8000/demo/")
    assert not page_matches(PageRule(host="localhost:8000"), "http://localhost:9000/demo/")


def test_query_equality_and_presence() -> None:
    rule = PageRule(path="/demo/invoices", query={"tab": "open", "q": "*"})
    assert page_matches(rule, "http://h/demo/invoices?tab=open&q=")
    assert page_matches(rule, "http://h/demo/invoices?q=acme&tab=open&other=1")
    assert not page_matches(rule, "http://h/demo/invoices?tab=paid&q=acme")
    assert page_matches(rule, "http://h/demo/invoices?tab=paid&tab=open&q=acme")  # any of its values
    assert not page_matches(rule, "http://h/demo/invoices?tab=open")
    assert not page_matches(rule, "http://h/demo/settings?tab=open&q=1")


def test_page_rule_without_path_matches_every_path() -> None:
    assert page_matches(PageRule(query={"beta": "1"}), "http://h/any/where?beta=1")


@pytest.mark.parametrize(
    ("rule", "field"),
    [("demo/invoices", "page"), (PageRule(path="invoices"), "page.path"), (PageRule(host="a/b"), "page.host")],
)
def test_malformed_page_rules(rule: str | PageRule, field: str) -> None:
    with pytest.raises(RuleError) as caught:
        compile_page_rule(rule)
    assert caught.value.field == field


# --- segment rules -----------------------------------------------------------

ALICE = {
    "id": "alice",
    "role": "admin",
    "locale": "en",
    "seats": 12,
    "signed_up": "2026-03-10T09:00:00Z",
    "tags": ["beta", "vip"],
    "email": "alice@acme.test",
}
ACME = {"id": "acme", "plan": "enterprise", "trial": False, "renews": "2027-01-15"}
BRUNO = {"id": "bruno", "role": "member", "locale": "fr", "seats": "3"}
GLOBEX = {"id": "globex", "plan": "free"}


def holds(rule: dict, visitor: dict, tenant: dict) -> bool:
    return compile_rule(rule)(visitor, tenant)


@pytest.mark.parametrize(
    ("rule", "alice", "bruno"),
    [
        ({"field": "visitor.role", "op": "eq", "value": "admin"}, True, False),
        ({"field": "visitor.role", "op": "ne", "value": "admin"}, False, True),
        ({"field": "tenant.plan", "op": "in", "value": ["pro", "enterprise"]}, True, False),
        ({"field": "tenant.plan", "op": "not_in", "value": ["free"]}, True, False),
        ({"field": "visitor.seats", "op": "gt", "value": 10}, True, False),
        ({"field": "visitor.seats", "op": "lte", "value": 3}, False, True),  # "3" is read as a number
        ({"field": "visitor.seats", "op": "gte", "value": 12}, True, False),
        ({"field": "visitor.seats", "op": "lt", "value": 12.5}, True, True),
        ({"field": "tenant.trial", "op": "exists"}, True, False),
        ({"field": "tenant.trial", "op": "exists", "value": False}, False, True),
        ({"field": "tenant.trial", "op": "eq", "value": False}, True, False),
        ({"field": "visitor.tags", "op": "contains", "value": "beta"}, True, False),
        ({"field": "visitor.email", "op": "contains", "value": "@acme."}, True, False),
        ({"field": "visitor.tags", "op": "in", "value": ["vip", "staff"]}, True, False),
        ({"field": "visitor.id", "op": "eq", "value": "alice"}, True, False),
        ({"field": "visitor.locale", "op": "eq", "value": "fr"}, False, True),
    ],
)
def test_conditions(rule: dict, alice: bool, bruno: bool) -> None:
    assert holds(rule, ALICE, ACME) is alice
    assert holds(rule, BRUNO, GLOBEX) is bruno


def test_missing_field_is_false_except_negations() -> None:
    for op, value in [("eq", "x"), ("in", ["x"]), ("gt", 1), ("lte", 1), ("contains", "x"), ("exists", True)]:
        assert holds({"field": "visitor.nope", "op": op, "value": value}, ALICE, ACME) is False, op
    for op, value in [("ne", "x"), ("not_in", ["x"]), ("exists", False)]:
        assert holds({"field": "visitor.nope", "op": op, "value": value}, ALICE, ACME) is True, op
    assert holds({"field": "visitor.role", "op": "eq", "value": "admin"}, {"role": None}, {}) is False


def test_types_do_not_mix() -> None:
    assert not holds({"field": "visitor.flag", "op": "eq", "value": True}, {"flag": 1}, {})
    assert not holds({"field": "visitor.n", "op": "eq", "value": 1}, {"n": True}, {})
    assert not holds({"field": "visitor.role", "op": "gt", "value": 3}, ALICE, {})
    assert holds({"field": "visitor.id", "op": "eq", "value": "42"}, {"id": 42}, {})


def test_date_comparisons_parse_iso_strings() -> None:
    signed_after = {"field": "visitor.signed_up", "op": "gte", "value": date(2026, 3, 1)}
    assert holds(signed_after, ALICE, ACME)
    assert not holds(signed_after, {"signed_up": "2026-02-28T23:59:59Z"}, {})
    assert not holds(signed_after, {"signed_up": "not a date"}, {})
    renews_before = {"field": "tenant.renews", "op": "lt", "value": datetime(2027, 1, 15, 12, 0)}
    assert holds(renews_before, ALICE, ACME)  # a bare date is midnight UTC; a naive rule value is UTC
    as_string = {"field": "tenant.renews", "op": "gt", "value": "2026-12-31"}
    assert holds(as_string, ALICE, ACME)
    aware = {"field": "visitor.signed_up", "op": "lt", "value": datetime(2026, 3, 10, 10, 0, tzinfo=UTC)}
    assert holds(aware, ALICE, ACME)


def test_all_any_not_nesting() -> None:
    rule = {
        "all": [
            {"field": "visitor.role", "op": "eq", "value": "admin"},
            {
                "any": [
                    {"field": "tenant.plan", "op": "in", "value": ["pro", "enterprise"]},
                    {"not": {"field": "tenant.trial", "op": "exists"}},
                ]
            },
        ]
    }
    assert holds(rule, ALICE, ACME)
    assert holds(rule, ALICE, GLOBEX)  # free, but no trial field
    assert not holds(rule, ALICE, {"plan": "free", "trial": True})
    assert not holds(rule, BRUNO, ACME)


@pytest.mark.parametrize(
    ("rule", "field", "message_part"),
    [
        ({"field": "visitor.role", "op": "equals", "value": "x"}, "segment.op", "unknown op 'equals'"),
        ({"field": "user.role", "op": "eq", "value": "x"}, "segment.field", "visitor. or tenant."),
        ({"field": "visitor.", "op": "eq", "value": "x"}, "segment.field", "visitor. or tenant."),
        ({"op": "eq", "value": "x"}, "segment.field", "required"),
        ({"field": "tenant.plan", "op": "in", "value": "pro"}, "segment.value", "list"),
        ({"field": "tenant.plan", "op": "in", "value": []}, "segment.value", "list"),
        ({"field": "tenant.plan", "op": "eq", "value": ["pro"]}, "segment.value", "in/not_in"),
        ({"field": "tenant.plan", "op": "eq"}, "segment.value", "one value"),
        ({"field": "visitor.seats", "op": "gt", "value": "many"}, "segment.value", "number or an ISO date"),
        ({"field": "visitor.seats", "op": "gt", "value": True}, "segment.value", "number or an ISO date"),
        ({"field": "tenant.trial", "op": "exists", "value": "yes"}, "segment.value", "true/false"),
        ({"field": "visitor.role", "op": "eq", "value": "x", "valeu": 1}, "segment.valeu", "unknown key"),
        (
            {"all": [{"field": "visitor.a", "op": "eq", "value": 1}, {"any": "nope"}]},
            "segment.all[1].any",
            "non-empty list",
        ),
        ({"all": [], "any": []}, "segment.any", "no other key"),
        ({"not": {"field": "visitor.a", "op": "in", "value": 1}}, "segment.not.value", "list"),
        ("visitor.role == admin", "segment", "a rule is"),
        ({}, "segment", "a rule is"),
    ],
)
def test_bad_rules_name_the_offending_part(rule: object, field: str, message_part: str) -> None:
    with pytest.raises(RuleError) as caught:
        compile_rule(rule)
    assert caught.value.field == field
    assert message_part in caught.value.message


def test_rule_error_paths_are_prefixed() -> None:
    with pytest.raises(RuleError) as caught:
        compile_rule({"any": [{"field": "x", "op": "eq", "value": 1}]}, "targeting.segment")
    assert caught.value.field == "targeting.segment.any[0].field"


# --- schedule and locales ----------------------------------------------------

JAN = datetime(2026, 1, 1, tzinfo=UTC)
JUL = datetime(2026, 7, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "now", "expected"),
    [
        (None, None, JAN, True),
        (JAN, None, JAN, True),
        (JAN, None, datetime(2025, 12, 31, 23, 59, tzinfo=UTC), False),
        (None, JUL, JUL, False),  # the end is exclusive
        (JAN, JUL, datetime(2026, 3, 1, tzinfo=UTC), True),
        (JAN, JUL, datetime(2026, 3, 1), True),  # naive is UTC
        (datetime(2026, 1, 1), JUL, datetime(2026, 8, 1, tzinfo=UTC), False),
    ],
)
def test_schedule(start: datetime | None, end: datetime | None, now: datetime, expected: bool) -> None:
    assert schedule_allows(start, end, now) is expected


TEXT = {"en": "Hello", "fr": "Bonjour", "pt-BR": "Olá"}


@pytest.mark.parametrize(
    ("text", "visitor", "default", "expected"),
    [
        ("Plain", "fr", "en", "Plain"),
        (TEXT, "fr", "en", "Bonjour"),
        (TEXT, "fr-CA", "en", "Bonjour"),
        (TEXT, "FR_ca", "en", "Bonjour"),
        (TEXT, "pt-br", "en", "Olá"),
        (TEXT, "de", "en", "Hello"),
        (TEXT, None, "fr", "Bonjour"),
        (TEXT, "de", "en-GB", "Hello"),
        ({"de": "Hallo", "it": "Ciao"}, "fr", "en", "Hallo"),
        ({}, "fr", "en", ""),
    ],
)
def test_pick_locale(text: dict | str, visitor: str | None, default: str, expected: str) -> None:
    assert pick_locale(text, visitor, default) == expected


def test_locale_allowed() -> None:
    assert locale_allowed(None, None)
    assert locale_allowed(["en", "fr"], "fr")
    assert locale_allowed(["en", "fr"], "fr-CA")
    assert locale_allowed(["en", "fr"], "EN_us")
    assert not locale_allowed(["en", "fr"], "de")
    assert not locale_allowed(["fr-CA"], "fr")
    assert not locale_allowed(["en"], None)
