"""Which endpoint URLs are accepted (no I/O): absolute http(s) URLs with a host, nothing else."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["MAX_URL_LENGTH", "EndpointUrlError", "check_endpoint_url"]

MAX_URL_LENGTH = 2000
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


class EndpointUrlError(ValueError):
    """The URL cannot be an endpoint; the message says why, for the person who typed it."""


def check_endpoint_url(raw: str) -> str:
    """``raw`` trimmed, when it is an http or https URL with a host; :class:`EndpointUrlError` otherwise."""
    url = raw.strip()
    if not url:
        raise EndpointUrlError("url: give the endpoint's address, such as https://example.com/hooks/waymark")
    if len(url) > MAX_URL_LENGTH:
        raise EndpointUrlError(f"url: at most {MAX_URL_LENGTH} characters")
    if _UNSAFE.search(url):
        raise EndpointUrlError("url: spaces and control characters are not allowed in an address")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise EndpointUrlError(f"url: {url[:80]!r} is not a valid address ({exc})") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise EndpointUrlError(f"url: only http:// and https:// addresses are accepted, not {parts.scheme[:20]!r}:"
                               if parts.scheme else "url: write the whole address, starting with https://")
    if not parts.hostname:
        raise EndpointUrlError("url: the address has no host")
    if port == 0:
        raise EndpointUrlError("url: port 0 cannot be reached")
    return url
