"""Guide bodies: the Markdown subset, the sanitiser and the node tree the widget builds DOM from."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from waymark.guides.content import compile_body, render_markdown_subset, sanitize_html, to_node_tree

LINK_ATTRS = {"target": "_blank", "rel": "noopener noreferrer"}


def walk(nodes: list[Any]) -> list[Any]:
    """Every element node, depth first."""
    found = []
    for node in nodes:
        if isinstance(node, list):
            found.append(node)
            found += walk(node[2])
    return found


def all_text(nodes: list[Any]) -> str:
    return "".join(n if isinstance(n, str) else all_text(n[2]) for n in nodes)


# --- Markdown subset ---------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("Hello", "<p>Hello</p>"),
        ("Click **here** to start.", "<p>Click <strong>here</strong> to start.</p>"),
        ("*one* and _two_", "<p><em>one</em> and <em>two</em></p>"),
        ("__bold__", "<p><strong>bold</strong></p>"),
        ("snake_case_name and 2*3*4", "<p>snake_case_name and 2*3*4</p>"),
        ("Line one\nline two", "<p>Line one<br>line two</p>"),
        ("First\n\nSecond", "<p>First</p><p>Second</p>"),
        ("- a\n- b", "<ul><li>a</li><li>b</li></ul>"),
        ("* a\n* **b**", "<ul><li>a</li><li><strong>b</strong></li></ul>"),
        ("1. one\n2. two", "<ol><li>one</li><li>two</li></ol>"),
        ("Intro\n- a\n- b\nOutro", "<p>Intro</p><ul><li>a</li><li>b</li></ul><p>Outro</p>"),
        ("- a\n  continued", "<ul><li>a continued</li></ul>"),
        ("- a\n1. b", "<ul><li>a</li></ul><ol><li>b</li></ol>"),
        ("[docs](https://example.com/a_b_c)", '<p><a href="https://example.com/a_b_c">docs</a></p>'),
        ("[wiki](https://w.org/A_(b))", '<p><a href="https://w.org/A_(b)">wiki</a></p>'),
        ("**[bold link](/x)**", '<p><strong><a href="/x">bold link</a></strong></p>'),
        ("![Logo](/logo.png)", '<p><img src="/logo.png" alt="Logo"></p>'),
        ("Run `make *all*`", "<p>Run <code>make *all*</code></p>"),
        ('a < b & "c"', "<p>a &lt; b &amp; &quot;c&quot;</p>"),
        ("<b>raw</b>", "<b>raw</b>"),
        ("", ""),
    ],
)
def test_render_markdown_subset(markdown: str, html: str) -> None:
    assert render_markdown_subset(markdown) == html


def test_markdown_body_to_nodes() -> None:
    assert compile_body("Click **here** to start.") == [["p", {}, ["Click ", ["strong", {}, ["here"]], " to start."]]]
    assert compile_body("See [docs](https://example.com)\n\n- one") == [
        ["p", {}, ["See ", ["a", {"href": "https://example.com", **LINK_ATTRS}, ["docs"]]]],
        ["ul", {}, [["li", {}, ["one"]]]],
    ]


def test_html_in_markdown_text_is_shown_as_text() -> None:
    nodes = compile_body("Use <script>alert(1)</script> carefully")
    assert nodes == [["p", {}, ["Use <script>alert(1)</script> carefully"]]]


# --- sanitiser ---------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script><p>ok</p>",
    '<p>ok<img src="x.png" onerror="alert(1)"></p>',
    '<p onclick="alert(1)" onmouseover="alert(2)">ok</p>',
    '<a href="javascript:alert(1)">ok</a>',
    '<a href="JaVaScRiPt:alert(1)">ok</a>',
    '<a href="&#106;avascript:alert(1)">ok</a>',
    '<a href=" javascript:alert(1)">ok</a>',
    '<img src="javascript:alert(1)"><p>ok</p>',
    '<img src="data:image/svg+xml;base64,PHN2Zz4=" alt="ok">',
    '<style>body{display:none}</style><p style="position:fixed">ok</p>',
    '<iframe src="https://evil.example"></iframe><p>ok</p>',
    '<svg onload="alert(1)"><p>ok</p></svg>',
    '<form action="https://evil.example"><input name="pw"><p>ok</p></form>',
    '<object data="x.swf"></object><embed src="x.swf"><p>ok</p>',
    "<p>ok</p><!-- <script>alert(1)</script> -->",
    '<a href="vbscript:msgbox(1)">ok</a>',
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_sanitiser_removes_active_content(hostile: str) -> None:
    clean = sanitize_html(hostile).lower()
    for bad in (
        "<script",
        "javascript:",
        "vbscript:",
        "onerror",
        "onclick",
        "onload",
        "onmouseover",
        "<style",
        "style=",
        "<iframe",
        "<svg",
        "<form",
        "<input",
        "<object",
        "<embed",
        "data:",
        "alert",
    ):
        assert bad not in clean, (hostile, clean)
    nodes = compile_body(hostile)
    assert all(n[0] in {"p", "br", "strong", "em", "b", "i", "a", "ul", "ol", "li", "img", "code"} for n in walk(nodes))
    assert "alert" not in json.dumps(nodes)


def test_sanitiser_keeps_the_allow_list() -> None:
    html = (
        "<p>A <strong>b</strong> <em>c</em> <b>d</b> <i>e</i> <code>f</code><br>"
        '<a href="https://x.test/p?q=1&amp;r=2" title="t" class="c" id="i">g</a>'
        '<img src="/img.png" alt="pic" width="9"></p><ul><li>h</li></ul><ol><li>i</li></ol>'
    )
    assert sanitize_html(html) == (
        "<p>A <strong>b</strong> <em>c</em> <b>d</b> <i>e</i> <code>f</code><br>"
        '<a href="https://x.test/p?q=1&amp;r=2" target="_blank" rel="noopener noreferrer">g</a>'
        '<img src="/img.png" alt="pic"></p><ul><li>h</li></ul><ol><li>i</li></ol>'
    )


@pytest.mark.parametrize(
    ("href", "kept"),
    [
        ("https://x.test", True),
        ("http://x.test", True),
        ("mailto:a@x.test", True),
        ("/relative", True),
        ("../up", True),
        ("#frag", True),
        ("ftp://x.test", False),
        ("data:text/html,hi", False),
    ],
)
def test_link_schemes(href: str, kept: bool) -> None:
    [[tag, attrs, _]] = to_node_tree(sanitize_html(f'<a href="{href}">x</a>'))
    assert tag == "a"
    assert ("href" in attrs) is kept
    assert attrs["rel"] == "noopener noreferrer" and attrs["target"] == "_blank"


def test_an_author_cannot_override_rel_or_target() -> None:
    [[_, attrs, _]] = to_node_tree(sanitize_html('<a href="/x" rel="opener" target="_self">x</a>'))
    assert attrs == {"href": "/x", **LINK_ATTRS}


@pytest.mark.parametrize(
    ("src", "kept"),
    [("https://x.test/a.png", True), ("/a.png", True), ("mailto:a@x.test", False), ("javascript:x", False)],
)
def test_image_sources(src: str, kept: bool) -> None:
    [[tag, attrs, children]] = to_node_tree(sanitize_html(f'<img src="{src}" alt="a">'))
    assert tag == "img" and children == []
    assert ("src" in attrs) is kept


def test_disallowed_tags_are_unwrapped_but_their_text_kept() -> None:
    assert compile_body("<div><h1>Title</h1><span>text</span></div>") == ["Titletext"]


# --- node tree ---------------------------------------------------------------


def test_node_tree_decodes_entities_and_has_void_elements_without_children() -> None:
    nodes = to_node_tree('<p>Tom &amp; Jerry &lt;3 &eacute;<br>next<img src="/a.png" alt="A &quot;B&quot;"></p>')
    assert nodes == [
        ["p", {}, ["Tom & Jerry <3 é", ["br", {}, []], "next", ["img", {"src": "/a.png", "alt": 'A "B"'}, []]]]
    ]


def test_node_tree_drops_layout_whitespace_only() -> None:
    html = "<ul>\n  <li>a</li>\n  <li>b <strong>c</strong> d</li>\n</ul>\n<p><em>x</em> <em>y</em></p>"
    assert to_node_tree(html) == [
        ["ul", {}, [["li", {}, ["a"]], ["li", {}, ["b ", ["strong", {}, ["c"]], " d"]]]],
        ["p", {}, [["em", {}, ["x"]], " ", ["em", {}, ["y"]]]],
    ]


def test_node_tree_is_json() -> None:
    body = compile_body("**Hi** [there](/x)\n\n1. one")
    assert json.loads(json.dumps(body)) == body
    assert all_text(body) == "Hi thereone"


def test_script_only_body_compiles_to_nothing() -> None:
    assert compile_body("<script>alert(1)</script>") == []
    assert compile_body("<style>p{}</style>") == []


@pytest.mark.parametrize("hostile", ["*a " * 20000, "**a " * 20000, "_a " * 20000, "[" * 60000 + "](x"])
def test_markdown_stays_fast_on_unclosed_delimiters(hostile: str) -> None:
    started = time.perf_counter()
    compile_body(hostile)
    assert time.perf_counter() - started < 5  # was tens of seconds with backtracking spans
