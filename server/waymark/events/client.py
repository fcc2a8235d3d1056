"""The browser and language of a widget's page views, read from the request that brought them (no I/O).

The widget sends no user agent or locale with its events, and need not: the browser sends both
with every request (``User-Agent``, ``Accept-Language``). Only the browser's family and the
first language are kept, never the full header, so nothing here identifies anyone.
"""

from __future__ import annotations

import re

__all__ = ["browser_family", "primary_language"]

# Order matters: Edge and Opera also say Chrome, Chrome also says Safari, every one says Mozilla.
_FAMILIES = (
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/|\bOpera\b")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(HeadlessChrome|Chrome|CriOS|Chromium)/")),
    ("Safari", re.compile(r"\bVersion/[\d.]+.*\bSafari/")),
)
_BOT = re.compile(r"bot\b|crawler|spider", re.IGNORECASE)
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


def browser_family(user_agent: str | None) -> str | None:
    """``Chrome``, ``Firefox``, ``Safari``, ``Edge``, ``Opera``, ``Samsung Internet`` or ``Other``;
    None without a header, or for a robot (not a visitor's browser)."""
    if not user_agent or not user_agent.strip():
        return None
    text = user_agent[:512]
    if _BOT.search(text):
        return None
    for name, pattern in _FAMILIES:
        if pattern.search(text):
            return name
    return "Other" if text.startswith("Mozilla/") else None


def primary_language(accept_language: str | None) -> str | None:
    """The first language tag of an ``Accept-Language`` header (``fr-CA``), normalised; None if absent or ``*``."""
    if not accept_language:
        return None
    first = accept_language[:200].split(",", 1)[0].split(";", 1)[0].strip()
    if not _LANGUAGE.fullmatch(first):
        return None
    head, *rest = first.split("-")
    return "-".join([head.lower(), *(part.upper() if len(part) == 2 else part for part in rest)])[:35]
