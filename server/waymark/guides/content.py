"""Guide body content: a small Markdown subset → sanitised HTML → JSON node tree."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

import nh3

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "Node",
    "compile_body",
    "render_markdown_subset",
    "sanitize_html",
    "to_node_tree",
]

Node = str | list[Any]
"""A text string, or `[tag, {attr: value}, [children]]`."""

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "b", "i", "a", "ul", "ol", "li", "img", "code"})
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"*": set(), "a": {"href"}, "img": {"src", "alt"}}
_URL_SCHEMES = {"http", "https", "mailto"}
# Dropped together with their content, not just unwrapped.
_CLEAN_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "title"}
_VOID = frozenset({"br", "img"})
_BLOCKISH = frozenset({"ul", "ol"})

# --- Markdown subset ---------------------------------------------------------

_LIST_ITEM = re.compile(r"^\s{0,3}(?:([-*])|(\d{1,9})\.)\s+(.*)$")
_CODE = re.compile(r"`([^`\n]+)`")
_URL = r"\(\s*((?:[^()\s]|\([^()\s]*\))+)\s*\)"  # one level of parentheses, as in wiki URLs
# Spans never contain their own opening delimiter: each match attempt stops at the next one,
# which keeps these linear on hostile input ("*a *a *a ..." is quadratic with `.+?`).
_IMAGE = re.compile(r"!\[([^\[\]\n]*)\]" + _URL)
_LINK = re.compile(r"\[([^\[\]\n]+)\]" + _URL)
_BOLD = re.compile(r"\*\*(?=\S)((?:[^*]|\*(?!\*))+?)(?<=\S)\*\*|__(?=\S)((?:[^_]|_(?!_))+?)(?<=\S)__")
_ITALIC = re.compile(r"(?<![*\w])\*(?=\S)([^*]+?)(?<=\S)\*(?!\*)|(?<![_\w])_(?=\S)([^_]+?)(?<=\S)_(?![_\w])")
_STASH = re.compile("\x00(\\d+)\x00")


def _inline(text: str) -> str:
    """Escape `text` and turn code, images, links, bold and italic into tags."""
    stash: list[str] = []

    def keep(fragment: str) -> str:
        stash.append(fragment)
        return f"\x00{len(stash) - 1}\x00"

    out = html.escape(text.replace("\x00", ""), quote=True)
    out = _CODE.sub(lambda m: keep(f"<code>{m.group(1)}</code>"), out)
    out = _IMAGE.sub(lambda m: keep(f'<img src="{m.group(2)}" alt="{m.group(1)}">'), out)
    out = _LINK.sub(lambda m: keep(f'<a href="{m.group(2)}">') + m.group(1) + keep("</a>"), out)
    out = _BOLD.sub(lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>", out)
    out = _ITALIC.sub(lambda m: f"<em>{m.group(1) or m.group(2)}</em>", out)
    while _STASH.search(out):  # a stashed link may hold stashed code
        out = _STASH.sub(lambda m: stash[int(m.group(1))], out)
    return out


def render_markdown_subset(text: str) -> str:
    """Render paragraphs, line breaks, bold, italic, links, images, lists and code to HTML.

    Text that starts with `<` is taken as HTML and returned as is (sanitise it next).
    """
    if text.lstrip().startswith("<"):
        return text
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""

    def flush() -> None:
        nonlocal list_tag
        if paragraph:
            blocks.append("<p>" + "<br>".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()
        if items:
            blocks.append(f"<{list_tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + f"</{list_tag}>")
            items.clear()
            list_tag = ""

    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        item = _LIST_ITEM.match(raw)
        if not line:
            flush()
        elif item:
            tag = "ol" if item.group(2) else "ul"
            if paragraph or (items and tag != list_tag):
                flush()
            list_tag = tag
            items.append(item.group(3).strip())
        elif items and raw[:1].isspace():  # an indented line continues the list item
            items[-1] += " " + line
        else:
            if items:
                flush()
            paragraph.append(line)
    flush()
    return "".join(blocks)


# --- sanitiser ---------------------------------------------------------------


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    # url_schemes is one list for every tag; images must not point at mailto:.
    if tag == "img" and attribute == "src" and value.strip().lower().startswith("mailto:"):
        return None
    return value


def sanitize_html(fragment: str) -> str:
    """Keep only the allow-listed tags and attributes; links get rel=noopener noreferrer and target=_blank."""
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=_CLEAN_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


# --- node tree ---------------------------------------------------------------


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: list[Node] = []
        self._stack: list[tuple[str, list[Node]]] = [("", self.root)]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node: list[Any] = [tag, {name: value or "" for name, value in attrs}, []]
        self._append(node)
        if tag not in _VOID:
            self._stack.append((tag, node[2]))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._append([tag, {name: value or "" for name, value in attrs}, []])

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        for depth in range(len(self._stack) - 1, 0, -1):
            if self._stack[depth][0] == tag:
                del self._stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        parent_tag, children = self._stack[-1]
        # Layout whitespace between list items or top-level blocks is not content.
        if not data.strip() and (parent_tag in _BLOCKISH or (not parent_tag and "\n" in data)):
            return
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)

    def _append(self, node: Node) -> None:
        self._stack[-1][1].append(node)


def to_node_tree(fragment: str) -> list[Node]:
    """Parse (sanitised) HTML into nodes: text strings and `[tag, {attrs}, [children]]`."""
    builder = _TreeBuilder()
    builder.feed(fragment)
    builder.close()
    return builder.root


def compile_body(text: str) -> list[Node]:
    """Markdown subset or HTML → sanitised node tree, ready for the widget."""
    return to_node_tree(sanitize_html(render_markdown_subset(text)))
