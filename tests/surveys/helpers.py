"""Helpers for survey tests: an NPS guide and a walkthrough with polls, answers as the widget sends them."""

from __future__ import annotations

import uuid
from typing import Any

from litestar.testing import AsyncTestClient

from tests.support import at, guide_yaml

__all__ = ["NPS", "POLLS", "answer", "auth", "seen", "send"]

NPS = guide_yaml("""
    id: nps
    name: NPS
    kind: nps
    snooze_days: 2
    survey: {{sample: {sample}}}
    targeting: {{pages: ["/demo/invoices"]}}
    steps:
      - type: nps
        follow_up: {{default: "Why?"}}
""")

POLLS = guide_yaml("""
    id: tour-poll
    name: Tour with polls
    steps:
      - type: lightbox
        title: Welcome
      - type: poll
        title: {en: "Which plan?", fr: "Quel forfait ?"}
        question: plan
        input: single
        options: [{id: free, label: Free}, {id: pro, label: {en: Pro, fr: Pro}}]
      - type: poll
        title: What do you use?
        question: uses
        input: multiple
        options: [{id: invoices, label: Invoices}, {id: reports, label: Reports}, {id: api, label: API}]
      - type: poll
        title: How easy was it?
        question: ease
        input: rating
      - type: poll
        title: Anything else?
        question: more
        input: text
""")


def auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _event(kind: str, guide: str, visitor: str, tenant: str | None, seconds: float, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": uuid.uuid4().hex, "type": kind, "ts": at(seconds), "visitor": visitor,
                            "guide": guide, "guide_version": 1, **fields}
    if tenant is not None:
        body["tenant"] = tenant
    return body


def seen(visitor: str, tenant: str | None = "acme", guide: str = "nps", seconds: float = 0) -> dict[str, Any]:
    return _event("guide_seen", guide, visitor, tenant, seconds, step=0, props={"trigger": "auto"})


def answer(kind: str, visitor: str, tenant: str | None = "acme", guide: str = "nps", seconds: float = 1,
           **fields: Any) -> dict[str, Any]:
    return _event(kind, guide, visitor, tenant, seconds, **fields)


async def send(client: AsyncTestClient, public_key: str, *events: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/v1/events?key={public_key}", json={"events": list(events)})
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body
