"""The browser family and language of a page view, read from the request headers (no I/O)."""

from __future__ import annotations

import pytest

from waymark.events.client import browser_family, primary_language

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/131.0.0.0 Safari/537.36")


@pytest.mark.parametrize(("agent", "family"), [
    (CHROME, "Chrome"),
    (CHROME + " Edg/131.0.2903.70", "Edge"),
    (CHROME + " OPR/115.0.0.0", "Opera"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
     "Safari/605.1.15", "Safari"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", "Chrome"),
    ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 "
     "Chrome/122.0.0.0 Mobile Safari/537.36", "Samsung Internet"),
    (CHROME.replace("Chrome/", "HeadlessChrome/"), "Chrome"),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", None),
    ("Mozilla/5.0 (something new)", "Other"),
    ("testclient", None),
    ("", None),
    (None, None),
])
def test_browser_family(agent: str | None, family: str | None) -> None:
    assert browser_family(agent) == family


@pytest.mark.parametrize(("header", "language"), [
    ("fr-CA,fr;q=0.8,en;q=0.5", "fr-CA"),
    ("EN-us", "en-US"),
    ("de", "de"),
    ("zh-Hant-TW;q=0.9", "zh-Hant-TW"),
    ("*", None),
    ("", None),
    (None, None),
    ("<script>", None),
])
def test_primary_language(header: str | None, language: str | None) -> None:
    assert primary_language(header) == language
