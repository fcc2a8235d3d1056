"""The signature by hand, the README recipe on it, the backoff schedule, and which endpoint URLs are refused."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.webhooks.helpers import readme_verify
from waymark.webhooks.sender import MAX_ATTEMPTS, next_state
from waymark.webhooks.signing import signature_header
from waymark.webhooks.urls import EndpointUrlError, check_endpoint_url


def test_the_signature_is_an_hmac_of_the_timestamp_and_the_body() -> None:
    body = b'{"id":"d1","event":"alert.fired"}'
    expected = hmac.new(b"whsec_abc", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature_header("whsec_abc", 1700000000, body) == f"t=1700000000,v1={expected}"


def test_the_readme_recipe_accepts_a_fresh_signature_and_refuses_the_rest() -> None:
    verify = readme_verify()
    now = int(time.time())
    body = b'{"x":1}'
    assert verify("s", signature_header("s", now, body), body)
    assert not verify("s", signature_header("s", now - 301, body), body)  # older than five minutes: a replay
    assert not verify("s", signature_header("s", now, body), b'{"x":2}')
    assert not verify("s", "garbage", body)
    assert not verify("s", "t=abc,v1=00", body)


def test_backoff_waits_1_5_30_120_720_minutes_then_gives_up() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    waits = [next_state(False, n, start).next_attempt_at for n in range(1, MAX_ATTEMPTS)]
    assert [(w - start) if w else None for w in waits] == [
        timedelta(minutes=m) for m in (1, 5, 30, 120, 720)]
    assert next_state(False, MAX_ATTEMPTS, start) == ("failed", None)
    assert next_state(True, 3, start) == ("delivered", None)


@pytest.mark.parametrize("url", [
    "https://hooks.example.com/waymark", "http://127.0.0.1:8080/x?y=1", "HTTPS://Example.com",
])
def test_http_and_https_urls_are_accepted(url: str) -> None:
    assert check_endpoint_url(f"  {url} ") == url


@pytest.mark.parametrize(("url", "why"), [
    ("", "give the endpoint's address"),
    ("ftp://files.example.com/x", "only http:// and https://"),
    ("javascript:alert(1)", "only http:// and https://"),
    ("file:///etc/passwd", "only http:// and https://"),
    ("example.com/hook", "starting with https://"),
    ("http://", "has no host"),
    ("https://exa mple.com/", "spaces and control characters"),
    ("https://example.com/\x00", "spaces and control characters"),
    ("http://example.com:99999/", "not a valid address"),
    ("https://example.com/" + "a" * 2000, "at most 2000"),
])
def test_other_urls_are_refused_with_the_reason(url: str, why: str) -> None:
    with pytest.raises(EndpointUrlError) as refused:
        check_endpoint_url(url)
    assert str(refused.value).startswith("url: ") and why in str(refused.value)
