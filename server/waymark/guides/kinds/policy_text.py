"""The text a policy prompt renders, in one canonical form, and its SHA-256: the same bytes in server and widget.

Canonical form of "the text that was rendered": the JSON array ``[title, body]`` where
``title`` is the plain-text title as sent to the widget and ``body`` the sanitised node tree
(strings and ``[tag, {attr: value}, [children]]``) as sent to the widget, serialised with no
whitespace, object keys sorted, and non-ASCII characters written as themselves (UTF-8). This is
what ``JSON.stringify`` gives for the same value once attribute keys are sorted, so the widget
computes it from what it renders and the server from what it publishes. Links keep their
``href``: changing where a policy links to changes its hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from waymark.guides.content import Node, compile_body

__all__ = ["canonical_text", "render_variant", "resolve_locale", "text_hash", "variant_hashes"]


def canonical_text(title: str, body: list[Node]) -> str:
    return json.dumps([title, body], ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def text_hash(title: str, body: list[Node]) -> str:
    """SHA-256 (hex) of the canonical rendered text."""
    return hashlib.sha256(canonical_text(title, body).encode("utf-8")).hexdigest()


def _norm(tag: str) -> str:
    return tag.strip().lower().replace("_", "-")


def resolve_locale(locales: Iterable[str], wanted: str | None, default: str) -> str:
    """Which of a policy's locales a visitor asking for ``wanted`` is shown, as delivery picks text.

    The visitor's locale, else its language (``fr-CA`` → ``fr``), else the default, else the first.
    """
    given = list(locales)
    by_norm = {_norm(k): k for k in given}
    for tag in (_norm(wanted or ""), _norm(default)):
        for candidate in (tag, tag.split("-", 1)[0]) if tag else ():
            if candidate in by_norm:
                return by_norm[candidate]
    return given[0] if given else default


def render_variant(title: Mapping[str, str], body: Mapping[str, str], locale: str) -> tuple[str, list[Node]]:
    """The title and sanitised body shown for ``locale`` (one of the policy's locales)."""
    source = body.get(locale, "")
    return title.get(locale, ""), compile_body(source) if source else []


def variant_hashes(title: Mapping[str, str], body: Mapping[str, str]) -> dict[str, str]:
    """Locale → hash of what that locale renders."""
    return {locale: text_hash(*render_variant(title, body, locale)) for locale in {*title, *body}}
