"""Helpers for the policy tests: policy guide files, a visitor's prompt in the delivery answer, decisions."""

from __future__ import annotations

import uuid
from typing import Any

from litestar.testing import AsyncTestClient

from tests.support import guide_yaml, push
from waymark.guides.content import compile_body
from waymark.guides.kinds.policy_text import text_hash

__all__ = ["TERMS", "decide", "policy_file", "prompt", "push_policy", "shown_hash"]

TERMS = {"en": "Please read our **terms**. See [the full text](https://example.com/terms).",
         "fr": "Lisez nos **conditions**."}
TITLES = {"en": "Terms of service", "fr": "Conditions d'utilisation"}


def policy_file(version: int = 1, body: dict[str, str] | None = None, policy_id: str = "terms",
                extra: str = "") -> str:
    body = body or TERMS
    lines = "\n".join(f"          {k}: {v!r}" for k, v in body.items())
    titles = "\n".join(f"          {k}: {TITLES.get(k, 'Terms')!r}" for k in body)
    return guide_yaml(f"""
    id: {policy_id}
    name: Terms
    kind: policy
    policy:
      version: {version}
{extra}
    steps:
      - type: lightbox
        title:
{titles}
        body:
{lines}
    """)


async def push_policy(client: AsyncTestClient, secret: str, **kwargs: Any) -> Any:
    return await push(client, secret, {f"{kwargs.get('policy_id', 'terms')}.yaml": policy_file(**kwargs)})


async def prompt(client: AsyncTestClient, public: str, visitor: str, tenant: str | None = None,
                 locale: str = "en", policy_id: str = "terms") -> dict[str, Any] | None:
    params = {"key": public, "visitor": visitor, "url": "https://h/app", "locale": locale}
    if tenant:
        params["tenant"] = tenant
    answer = await client.get("/api/v1/guides", params=params)
    assert answer.status_code == 200, answer.text
    return next((g for g in answer.json()["guides"] if g["id"] == policy_id), None)


def shown_hash(guide: dict[str, Any]) -> str:
    """What the widget computes: the hash of the title and body node tree it was sent."""
    step = guide["steps"][0]
    return text_hash(step["title"], step["body"])


def expected_hash(title: str, body: str) -> str:
    return text_hash(title, compile_body(body))


async def decide(client: AsyncTestClient, public: str, guide: dict[str, Any], visitor: str,
                 decision: str = "accepted", tenant: str | None = None, **override: Any) -> Any:
    body = {"id": uuid.uuid4().hex, "visitor": visitor, "policy": guide["id"], "version": guide["policy"]["version"],
            "locale": guide["policy"]["locale"], "decision": decision, "text_hash": shown_hash(guide)}
    if tenant:
        body["tenant"] = tenant
    body.update(override)
    return await client.post(f"/api/v1/policy-decisions?key={public}", json=body,
                             headers={"User-Agent": "pytest-browser/1.0"})
