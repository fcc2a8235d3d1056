"""Event references and units: every form reads back to itself, and every refusal says what is wrong."""

from __future__ import annotations

import pytest

from waymark.behaviour.refs import Ref, RefError, parse_ref, parse_refs, parse_unit


@pytest.mark.parametrize(("text", "ref"), [
    ("page:billing", Ref("page", "billing")),
    ("feature:export", Ref("feature", "export")),
    ("event:Signed Up", Ref("event", "Signed Up")),
    ("event:Signup[plan=pro, seats=5]", Ref("event", "Signup", None, (("plan", "pro"), ("seats", "5")))),
    ("guide:tour:completed", Ref("guide", "tour", "completed")),
    ("guide:tour", Ref("guide", "tour", "seen")),
])
def test_each_form_reads_and_writes_back(text: str, ref: Ref) -> None:
    assert parse_ref(text) == ref
    assert parse_ref(ref.text()) == ref


@pytest.mark.parametrize(("text", "says"), [
    ("billing", "page:ID"),
    ("screen:home", "page:ID"),
    ("page:", "a page id"),
    ("page:a/b", "a page id"),
    ("guide:tour:clicked", "one of seen"),
    ("page:billing[a=b]", "only event:NAME"),
    ("event:Signup[plan]", "not property=value"),
    ("event:Signup[]", "none were given"),
    ("event:" + "x" * 201, "1 to 200"),
])
def test_refusals_name_the_step_and_the_fix(text: str, says: str) -> None:
    with pytest.raises(RefError, match=says):
        parse_ref(text)


def test_a_list_keeps_commas_inside_filters() -> None:
    refs = parse_refs("event:Signup[plan=pro,seats=5], page:billing")
    assert [r.text() for r in refs] == ["event:Signup[plan=pro,seats=5]", "page:billing"]
    with pytest.raises(RefError, match="give 2 to 10"):
        parse_refs("page:a", at_least=2)


def test_property_filters_compare_as_text() -> None:
    ref = parse_ref("event:Signup[seats=5,trial=true]")
    assert ref.matches_props({"seats": 5, "trial": True})
    assert not ref.matches_props({"seats": 5})
    assert not ref.matches_props(None)
    assert parse_ref("event:Signup").matches_props(None)


def test_units() -> None:
    assert parse_unit(None) == "visitors" and parse_unit("tenants") == "tenants"
    with pytest.raises(RefError, match="visitors or tenants"):
        parse_unit("accounts")
