"""Feature selectors against stored click descriptors: the supported CSS subset, and clear refusals."""

from __future__ import annotations

import pytest

from waymark.analytics.selectors import SelectorError, escape_ident, parse_selector

NEW_INVOICE = {
    "tag": "button", "id": "new-invoice", "classes": ["primary", "big"], "attrs": {"data-action": "create"},
    "text": "New invoice", "path": "main#main > div.page-head > div.actions > button#new-invoice.primary.big",
}


@pytest.mark.parametrize(("selector", "expected"), [
    ("#new-invoice", True),
    ("#old-invoice", False),
    ("button", True),
    ("BUTTON", True),  # element names are case-insensitive
    ("a", False),
    ("*", True),
    (".primary", True),
    (".primary.big", True),
    (".Primary", False),  # classes are not
    ("button.primary#new-invoice", True),
    ("[data-action]", True),
    ("[data-action=create]", True),
    ('[data-action="create"]', True),
    ("[data-action='delete']", False),
    ("[data-missing]", False),
    ("[id=new-invoice]", True),
    ("main button", True),
    ("main > button", False),  # button is not main's child
    ("div.actions > button", True),
    ("div.page-head > button", False),
    ("div.page-head button", True),
    ("main#main > div > div > #new-invoice", True),
    ("#main .actions > .primary", True),
    ("section button", False),
    ("div[data-action] button", False),  # attributes of ancestors are not recorded
    ("a, #new-invoice", True),  # any alternative of a comma list
    ("a, span", False),
    ("  #new-invoice  ", True),
])
def test_selector_matches_the_stored_descriptor(selector: str, expected: bool) -> None:
    assert parse_selector(selector).matches(NEW_INVOICE) is expected


def test_without_a_path_only_the_element_itself_can_be_matched() -> None:
    no_path = {**NEW_INVOICE, "path": ""}
    assert parse_selector("#new-invoice").matches(no_path)
    assert not parse_selector("main #new-invoice").matches(no_path)


def test_a_path_written_with_css_escapes_is_read_back() -> None:
    # element.js writes ids and classes with CSS.escape: "42" → "\34 2", "a:b" → "a\:b"
    clicked = {"tag": "a", "id": "", "classes": [], "attrs": {}, "text": "Row",
               "path": r"table#\34 2 > tbody > tr.row\:odd > td > a"}
    assert parse_selector(r"#\34 2 a").matches(clicked)
    assert parse_selector(r"tr.row\:odd > td > a").matches(clicked)
    assert parse_selector(f"#{escape_ident('42')} a").matches(clicked)
    assert not parse_selector("tr.row > td > a").matches(clicked)


def test_the_element_object_shape_of_ingestion_is_matched_too() -> None:
    from waymark.events.schemas import Element

    assert parse_selector("div.actions > #new-invoice").matches(Element(**NEW_INVOICE))


@pytest.mark.parametrize(("selector", "message"), [
    ("", "empty selector"),
    ("   ", "empty selector"),
    ("a:hover", "pseudo-classes and pseudo-elements"),
    ("li:nth-child(2)", "pseudo-classes"),
    ("p::before", "pseudo-classes"),
    ("h1 + p", "sibling combinator '+' is not supported"),
    ("h1 ~ p", "sibling combinator '~' is not supported"),
    ("[href^=https]", "attribute operator '^=' is not supported"),
    ("[class*=btn]", "attribute operator '*=' is not supported"),
    ("[lang|=en]", "attribute operator '|=' is not supported"),
    ("[data-x=y i]", "attribute flags"),
    ("svg|a", "namespaces"),
    ("a,", "does not end with ','"),
    ("a,,b", "unexpected ','"),
    ("> a", "does not start with the combinator '>'"),
    ("a >", "expected a selector after '>'"),
    ("a > > b", "expected a selector after '>'"),
    ("[data-x", "unclosed '['"),
    ('[data-x="y]', "unclosed quote"),
    ("#", "expected an id after '#'"),
    ("a..b", "expected a class name after '.'"),
    ("#a#b", "two ids"),
    ("a$", "unexpected '$'"),
    ("x" * 501, "at most 500 characters"),
])
def test_unsupported_or_malformed_selectors_are_refused_with_a_reason(selector: str, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_selector(selector)
    assert message in str(caught.value)


def test_the_error_says_where() -> None:
    with pytest.raises(SelectorError) as caught:
        parse_selector("main > a:hover")
    assert caught.value.position == 8
    assert "at character 9 of 'main > a:hover'" in str(caught.value)
